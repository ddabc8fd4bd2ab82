package staff

import (
	"strconv"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/ui"
)

// JobsData is the job queue page: one state's jobs.
type JobsData struct {
	List    *store.JobList
	Loc     *time.Location
	Problem string // an action that could not be done (409)
}

// JobStateLabel names a state in French.
func JobStateLabel(st rivertype.JobState) string {
	switch st {
	case rivertype.JobStateAvailable:
		return "En attente"
	case rivertype.JobStateRunning:
		return "En cours"
	case rivertype.JobStateRetryable:
		return "En échec, à réessayer"
	case rivertype.JobStateDiscarded:
		return "Abandonnées"
	case rivertype.JobStateCancelled:
		return "Annulées"
	case rivertype.JobStateCompleted:
		return "Terminées"
	}
	return string(st)
}

// JobKindLabel says what a kind of job does.
func JobKindLabel(kind string) string {
	switch kind {
	case store.DeliverEmailArgs{}.Kind():
		return "Envoi d'un e-mail"
	case "purge_expired":
		return "Purge des données expirées"
	case "journal_checkpoint":
		return "Point de contrôle du journal"
	case "stats_recount":
		return "Statistiques publiques"
	case "notify_aidants_digest":
		return "Récapitulatif hebdomadaire des aidants"
	case "notify_referents":
		return "Alertes des référents"
	case "notify_demandeurs":
		return "Relance des demandeurs"
	}
	return kind
}

// JobTabID is the id of a state's link.
func JobTabID(st rivertype.JobState) string { return "taches-" + string(st) }

// Count is the number of jobs in a state.
func (d JobsData) Count(st rivertype.JobState) int { return d.List.Counts[st] }

// PageText is "Page 2 sur 3".
func (d JobsData) PageText() string {
	return "Page " + strconv.Itoa(d.List.Page) + " sur " + strconv.Itoa(d.List.Pages)
}

func (d JobsData) pageURL(p int) string {
	if p < 1 || p > d.List.Pages {
		return ""
	}
	return paths.StaffJobsState(string(d.List.State), p)
}

func (d JobsData) when(t time.Time) string {
	t = t.In(d.Loc)
	return ui.Date(t) + " à " + t.Format("15h04")
}

// attempts is "3 sur 12".
func attempts(j store.JobRow) string {
	return strconv.Itoa(j.Attempt) + " sur " + strconv.Itoa(j.MaxAttempts)
}
