// Package referent renders the espace référent: the organisation, its aidants and their
// cartes and apps, adding aidants, co-référents, and the référent's own first app.
package referent

import (
	"strconv"
	"strings"
	"time"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/ui"
)

// Element ids the htmx attributes and the tests refer to.
const (
	ResultsID = "aidants-results" // the aidants list's region the filter swaps
	StatusID  = "aidants-status"  // the live region announcing the count
	SearchID  = "aidants-q"       // the filter's text box

	PanelsID  = "aidant-panels" // the aidant page's carte, app and account panels
	CarteID   = "carte-panel"
	AppID     = "app-panel"
	AccountID = "account-panel"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Title of the espace's pages, and its first breadcrumb.
const Title = "Espace référent"

func crumbs(here string) []ui.Crumb {
	return []ui.Crumb{ui.CrumbTo(Title, paths.Referent), ui.Here(here)}
}

// HomeData is the espace référent's home.
type HomeData struct {
	Home *store.ReferentHome
}

// OrganisationData is the organisation page: its details, the démarches form, the switch.
type OrganisationData struct {
	Organisation *store.Organisation
	Managed      []store.Membership // the organisations the référent manages, for the switch
	Selected     []string           // the démarches ticked (the form as posted, or as saved)
	Errors       ui.Errors
}

// IsSelected reports a ticked démarche.
func (d OrganisationData) IsSelected(key string) bool {
	for _, k := range d.Selected {
		if k == key {
			return true
		}
	}
	return false
}

// AidantsData is the aidants list (and its filter's fragment).
type AidantsData struct {
	List  *store.AidantList
	Query string
	Error string // the filter's text is too long
	Loc   *time.Location
	CSRF  string
}

// URL is the list with the same text on another status and page.
func (d AidantsData) URL(st store.AidantStatus, page int) string {
	return paths.ReferentAidantsFiltered(d.Query, string(st), page)
}

// pageURL is the address of a page of the current filter; "" when there is no such page.
func (d AidantsData) pageURL(page int) string {
	if page < 1 || page > d.List.Pages {
		return ""
	}
	return d.URL(d.List.Filter.Status, page)
}

// StatusText is what the live region announces.
func (d AidantsData) StatusText() string {
	if d.List == nil {
		return ""
	}
	n := d.List.Total()
	switch n {
	case 0:
		return "Aucun aidant ne correspond."
	case 1:
		return "1 aidant."
	}
	return strconv.Itoa(n) + " aidants."
}

// StatusLabel is a filter choice's label.
func StatusLabel(st store.AidantStatus) string {
	switch st {
	case store.AidantsActive:
		return "Actifs"
	case store.AidantsInactive:
		return "Désactivés"
	case store.AidantsNoDevice:
		return "Sans moyen de connexion"
	}
	return "Tous"
}

// AidantData is the aidant page, or one of its panels after an htmx action.
type AidantData struct {
	File    *store.AidantFile
	CSRF    string
	Errors  ui.Errors
	Serial  string // the serial as typed
	Reason  string // the unlink reason as chosen
	Text    string // its text
	Message string // what the last action did, shown in its panel
	In      string // the panel Message and Errors belong to (CarteID, AppID, AccountID)
	// AppURI and AppKey are the pending app's otpauth URI (its QR code) and its secret for
	// manual entry, while one is being added.
	AppURI, AppKey string
	Orgs           []int64 // the memberships as posted, after an error
}

// A is the aidant.
func (d AidantData) A() *store.ManagedAidant { return &d.File.Aidant }

// FirstOrganisationID is the id of the first organisation box: where the error summary
// sends focus.
func (d AidantData) FirstOrganisationID() string {
	if len(d.File.Managed) > 0 {
		return "organisation-" + itoa(d.File.Managed[0].ID)
	}
	return "organisations"
}

// CanChangeOrganisations: the membership form is shown to référents of several
// organisations, never about themselves.
func (d AidantData) CanChangeOrganisations() bool { return len(d.File.Managed) > 1 && !d.File.IsSelf }

// Ticked reports an organisation ticked in the membership form.
func (d AidantData) Ticked(orgID int64) bool {
	if d.Orgs != nil {
		for _, id := range d.Orgs {
			if id == orgID {
				return true
			}
		}
		return false
	}
	return d.File.MemberOf(orgID)
}

// CarteText describes the aidant's carte.
func CarteText(a *store.ManagedAidant) string {
	switch a.Carte() {
	case store.DeviceValidated:
		return "Carte n° " + a.CarteSerial + ", validée"
	case store.DeviceUnvalidated:
		return "Carte n° " + a.CarteSerial + ", à valider"
	}
	return "Aucune carte"
}

// AppText describes the aidant's app.
func AppText(a *store.ManagedAidant) string {
	switch a.App() {
	case store.DeviceValidated:
		return "Application active"
	case store.DeviceUnvalidated:
		return "Application en cours d'ajout"
	}
	return "Aucune application"
}

// GroupedKey is a base32 key in groups of four, easier to type by hand.
func GroupedKey(key string) string {
	var parts []string
	for len(key) > 4 {
		parts, key = append(parts, key[:4]), key[4:]
	}
	return strings.Join(append(parts, key), " ")
}

// RequestStatusLabel is a request's status as the référent reads it (the reference's labels).
func RequestStatusLabel(st store.RequestStatus) string {
	switch st {
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
	return string(st)
}

// badgeClass colours a request's status.
func badgeClass(st store.RequestStatus) string {
	switch st {
	case store.RequestValidated:
		return "fr-badge--success"
	case store.RequestRefused, store.RequestCancelled, store.RequestCancelledByReferent:
		return "fr-badge--error"
	case store.RequestProcessing, store.RequestProcessingP2P:
		return "fr-badge--info"
	}
	return "fr-badge--new"
}

// PersonRow is one row of the form for people to train.
type PersonRow struct {
	Email, FirstName, LastName, Profession string
	ConseillerNumerique                    bool
}

// UntrainedData is the form for people to train.
type UntrainedData struct {
	Organisation *store.Organisation
	Rows         []PersonRow
	Errors       ui.Errors // fields named FieldID(row, name)
}

// MaxRows bounds the rows of the forms for several people.
const MaxRows = 20

// FieldID is the id of a row's field, as the error summary links to it.
func FieldID(row int, name string) string { return "p" + strconv.Itoa(row) + "-" + name }

// TrainedData is the form for trained aidants, by e-mail.
type TrainedData struct {
	Organisation *store.Organisation
	Emails       []string
	Errors       ui.Errors
}

// CoReferentsData is the co-référents page.
type CoReferentsData struct {
	Page   *store.ReferentsPage
	Self   int64
	Input  store.CoReferentInput
	Errors ui.Errors
}

// ScanData is the onboarding's QR code step.
type ScanData struct {
	URI, Key string
	Errors   ui.Errors
}

// reasons lists the unlink reasons.
func reasons() []store.UnlinkReason { return store.UnlinkReasons() }

// dateText is a date as tables show it (24/11/2026).
func dateText(t time.Time, loc *time.Location) string {
	if loc != nil {
		t = t.In(loc)
	}
	return ui.Date(t)
}
