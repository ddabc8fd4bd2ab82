// Package monespace renders the usager's own space: sign-in, the mandats in their name, what
// was done with them, and their revocation. The words are the usager's: "vous" is the person
// represented, never the aidant.
package monespace

import (
	"strconv"
	"time"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/attestation"
	"github.com/aidantsconnect/ac/views/ui"
)

// Sign-in problems, as the sign-in page's erreur parameter names them.
const (
	ProblemCancelled  = "annule"
	ProblemFailed     = "echec"
	ProblemExpired    = "expire"
	ProblemIncomplete = "incomplet"
)

// LoginData is the sign-in page.
type LoginData struct {
	Problem string // one of the Problem keys, or "" (anything else shows nothing)
}

// Message is the problem's sentence, "" for none.
func (d LoginData) Message() string {
	switch d.Problem {
	case ProblemCancelled:
		return "Vous avez annulé la connexion avec FranceConnect. Vous pouvez recommencer quand vous voulez."
	case ProblemFailed:
		return "La connexion avec FranceConnect n'a pas abouti. C'est probablement temporaire : recommencez dans quelques instants."
	case ProblemExpired:
		return "La connexion a pris trop de temps ou a été interrompue. Recommencez."
	case ProblemIncomplete:
		return "FranceConnect n'a pas transmis votre identité complète. Nous ne pouvons pas retrouver vos mandats."
	}
	return ""
}

// HomeData is the space's home: every mandat in the usager's name.
type HomeData struct {
	Usager  *store.Usager
	Mandats *store.UsagerMandats
	Now     time.Time
	Loc     *time.Location
}

// UsesData is one page of what was done for the usager.
type UsesData struct {
	Uses *store.UsagerUses
	Loc  *time.Location
}

// RevokeData is a revocation's confirmation page.
type RevokeData struct {
	Mandat       *store.Mandat
	Autorisation *store.Autorisation // nil: the whole mandat
	Loc          *time.Location
}

// RevocationData is the page of a revocation just made (or looked at again): what it
// changes, and the revocation attestation.
type RevocationData struct {
	Doc         attestation.RevocationData
	Done        bool   // just revoked: say so
	StillActive bool   // one démarche revoked, others still in force
	PDFURL      string // the attestation as a PDF
}

// Element ids the tests and the htmx focus rely on.
const (
	MandatsID = "mes-mandats"
	UsesID    = "mes-demarches"
)

// MandatID is the id of a mandat's card.
func MandatID(m store.Mandat) string { return "mandat-" + itoa(m.ID) }

// StatusText is the mandat's status in words.
func StatusText(st store.MandatStatus) string {
	switch st {
	case store.StatusActive:
		return "En cours"
	case store.StatusExpired:
		return "Expiré"
	}
	return "Révoqué"
}

func statusClass(st store.MandatStatus) string {
	switch st {
	case store.StatusActive:
		return "fr-badge--success"
	case store.StatusExpired:
		return "fr-badge--warning"
	}
	return "fr-badge--error"
}

// AutorisationState is one démarche's state: in force, expired, or revoked (by whom, when).
func (d HomeData) AutorisationState(m store.Mandat, a store.Autorisation) string {
	switch {
	case a.RevokedAt != nil && a.RevokedByUsager:
		return "Révoquée par vous le " + date(*a.RevokedAt, d.Loc)
	case a.RevokedAt != nil:
		return "Révoquée par l'organisation le " + date(*a.RevokedAt, d.Loc)
	case m.Status(d.Now) == store.StatusExpired:
		return "Expirée"
	}
	return "En cours"
}

// SeparatelyRevoked: the autorisation was revoked on its own, not with its whole mandat, so
// it has its own revocation attestation.
func (d HomeData) SeparatelyRevoked(m store.Mandat, a store.Autorisation) bool {
	if a.RevokedAt == nil {
		return false
	}
	last := m.RevokedAt()
	return !d.Mandats.Cancelled[m.ID] || last == nil || !a.RevokedAt.Equal(*last)
}

// Demarches are what a confirmation is about: the one autorisation, or those still in force.
func (d RevokeData) Demarches() []store.Demarche {
	if d.Autorisation != nil {
		return store.DemarchesOf([]store.Autorisation{*d.Autorisation})
	}
	var in []store.Autorisation
	for _, a := range d.Mandat.Autorisations {
		if a.RevokedAt == nil {
			in = append(in, a)
		}
	}
	return store.DemarchesOf(in)
}

// ActionURL is where the confirmation posts.
func (d RevokeData) ActionURL() string {
	if d.Autorisation != nil {
		return paths.MonEspaceAutorisationRevoke(d.Mandat.ID, d.Autorisation.ID)
	}
	return paths.MonEspaceMandatRevoke(d.Mandat.ID)
}

// Title is the revocation's heading.
func (d RevokeData) Title() string {
	if d.Autorisation != nil {
		return "Révoquer une démarche"
	}
	return "Révoquer le mandat"
}

// PageText is "Page 2 sur 14".
func (d UsesData) PageText() string {
	return "Page " + strconv.Itoa(d.Uses.Page) + " sur " + strconv.Itoa(d.Uses.Pages)
}

// pageURL is the address of a page of uses; "" when there is no such page.
func (d UsesData) pageURL(page int) string {
	if page < 1 || page > d.Uses.Pages {
		return ""
	}
	return paths.MonEspaceUsesPage(page)
}

// ServiceName is the service a use was for, or a plain phrase when it is not known.
func ServiceName(u store.UsagerUse) string {
	if u.ServiceName == "" {
		return "Service en ligne (nom non communiqué)"
	}
	return u.ServiceName
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// date is dd/mm/yyyy in loc.
func date(t time.Time, loc *time.Location) string { return ui.Date(t.In(loc)) }

// dateTime is "dd/mm/yyyy à 14h05" in loc.
func dateTime(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return ui.Date(t) + " à " + t.Format("15h04")
}

func demarcheTitle(key string) string {
	if d, ok := store.FindDemarche(key); ok {
		return d.Title
	}
	return key
}

func dureeLabel(key string) string {
	if d, ok := store.FindDuree(key); ok {
		return d.Title
	}
	return key
}
