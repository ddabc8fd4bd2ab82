// Package staff renders the national team's back-office: habilitation requests, aidants to
// train, the stock of cartes TOTP, organisations and aidants.
package staff

import (
	"net/url"
	"strconv"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/ui"
)

// Title of the back-office's pages, and its first breadcrumb.
const Title = "Back-office"

func crumbs(here string) []ui.Crumb {
	return []ui.Crumb{ui.CrumbTo(Title, paths.Staff), ui.Here(here)}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// HomeData is the back-office's home.
type HomeData struct {
	StaffName string
}

type homeTile struct{ href, title, desc string }

// tiles are the back-office's areas, in the order the team works through them.
func tiles() []homeTile {
	return []homeTile{
		{paths.StaffRequests, "Demandes d'habilitation", "Étudier les demandes des structures : valider, refuser, demander des modifications."},
		{paths.StaffAidantRequests, "Aidants à former", "Valider l'éligibilité, enregistrer la formation suivie : le compte de l'aidant est créé."},
		{paths.StaffCartes, "Cartes TOTP", "Importer le fichier du fournisseur, retrouver une carte, la dissocier."},
		{paths.StaffOrganisations, "Organisations", "Rechercher une organisation, la désactiver ou la réactiver."},
		{paths.StaffAidants, "Aidants", "Rechercher un compte, le désactiver ou le réactiver."},
		{paths.StaffJobs, "Tâches de fond", "Voir les envois d'e-mails en échec et les tâches périodiques, les relancer ou les annuler."},
	}
}

// RequestsData is the requests list.
type RequestsData struct {
	Filter   store.RequestFilter
	From, To string // the date filters as typed
	Query    url.Values
	List     *store.RequestList
	Errors   ui.Errors
}

// PageURL is page p of the same filters.
func (d RequestsData) PageURL(p int) string { return pageQuery(d.Query, p) }

// RequestData is one request's page.
type RequestData struct {
	View                          *store.RequestView
	Message, AskBody, ProposeBody string
	ValidateSubject, ValidateBody string
	RefuseSubject, RefuseBody     string
	Errors                        ui.Errors
}

// Can reports an action the request's status allows.
func (d RequestData) Can(act store.HabilitationAction) bool {
	_, ok := store.HabilitationTransition(d.View.Request.Status, act)
	return ok
}

func nameOr(r store.OrganisationRequest) string {
	if r.Name != "" {
		return r.Name
	}
	return "Structure " + r.Siret
}

func number(r *store.OrganisationRequest) string {
	if r.HabilitationNumber == nil {
		return "—"
	}
	return itoa(*r.HabilitationNumber)
}

// CartesData is the carte search.
type CartesData struct {
	Serial       string
	Info         *store.CarteInfo
	Reason, Text string
	Errors       ui.Errors
}

// ImportData is the CSV import with its preview.
type ImportData struct {
	CSV    string
	Lines  []store.CarteLine
	Valid  bool // every line good: the import is offered
	Errors ui.Errors
}

// AidantRequestsData is the people to train.
type AidantRequestsData struct {
	Status   store.RequestStatus
	Query    string
	Requests []store.StaffAidantRequest
	Typed    map[string]string // the training form as posted, by field id
	Errors   ui.Errors
}

func (d AidantRequestsData) typed(id int64, name string) string { return d.Typed[TrainingID(id, name)] }

// TrainingID is the id of a training form's field for one request.
func TrainingID(id int64, name string) string { return "formation-" + itoa(id) + "-" + name }

func aidantStatuses() []store.RequestStatus {
	return []store.RequestStatus{store.RequestWaitingList, store.RequestNew, store.RequestProcessing, store.RequestProcessingP2P,
		store.RequestValidated, store.RequestRefused, store.RequestCancelled, store.RequestCancelledByReferent}
}

func aidantStatusLabel(s store.RequestStatus) string {
	switch s {
	case store.RequestWaitingList:
		return "Liste d'attente"
	case store.RequestNew:
		return "Nouvelle"
	case store.RequestProcessing:
		return "Éligibilité validée"
	case store.RequestProcessingP2P:
		return "Éligibilité validée (pair-à-pair)"
	case store.RequestValidated:
		return "Validée"
	case store.RequestRefused:
		return "Refusée"
	case store.RequestCancelled:
		return "Annulée"
	case store.RequestCancelledByReferent:
		return "Annulée par le ou la référente"
	}
	return string(s)
}

func choose(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}
