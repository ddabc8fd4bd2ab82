// Package layout holds the page frame every page shares: header, footer, banners, flash.
package layout

import (
	"strconv"

	"github.com/aidantsconnect/ac/store"
)

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind string // success, info, warning, error
	Text string
}

// Shell carries the request-wide data every page needs. Handlers build it once per request.
type Shell struct {
	Title string // page title, without the site name
	// Description is the page's meta description; "" is the service's.
	Description string
	// ActivityLeft is how many seconds the signed-in aidant has before the activity check,
	// ActivityWarn how long before it the page warns (0: no warning, e.g. already stale).
	ActivityLeft, ActivityWarn int
	// Invalid is set by a page showing validation errors: its title then starts with
	// « Erreur – », the first thing a screen reader says of the page.
	Invalid      bool
	Mode         string // "dev" or "sandbox" shows the loud banner; empty in production
	CSRF         string
	Path         string // current path, for navigation state and "next" links
	Aidant       *store.Aidant
	Organisation *store.Organisation // the aidant's current organisation
	Memberships  []store.Membership  // for the organisation switch
	Flashes      []Flash
	// The espace usager: its pages show the usager's header (the usager signed in, if any),
	// never the aidant's.
	InUsagerSpace bool
	Usager        *store.Usager
	// Scripts is what the page loads: htmx and app.js unless the page says otherwise
	// (WithoutHTMX).
	Scripts Scripts
}

// Scripts says which scripts a page loads. Pages choose it, each for what it uses.
type Scripts uint8

const (
	// HTMXAndApp, the zero value, is htmx then app.js, and a boosted body: the signed-in
	// pages (boosted navigation, live search, fragments, the progress bar).
	HTMXAndApp Scripts = iota
	// AppOnly is app.js alone, which does without htmx what such a page needs (data-autosubmit,
	// live regions, a submit button disabled once its form is sent, focus on the error
	// summary): the login steps, the first page most aidants load, with no hx-get/hx-post.
	AppOnly
)

// HTMX reports whether the page loads htmx.
func (sc Scripts) HTMX() bool { return sc == HTMXAndApp }

// WithoutHTMX makes the page load app.js alone (AppOnly): for a page that uses no htmx
// request of its own. Its links and forms then work as without JavaScript, with app.js's
// help.
func (s Shell) WithoutHTMX() Shell {
	s.Scripts = AppOnly
	return s
}

// IsReferent reports an aidant who is référent of at least one of their organisations: the
// header then links the espace référent too.
func (s Shell) IsReferent() bool {
	for _, m := range s.Memberships {
		if m.IsReferent {
			return true
		}
	}
	return false
}

// hasTools reports whether the header has account links to show (the espace usager's
// sign-in page has none).
func (s Shell) hasTools() bool { return !s.InUsagerSpace || s.Usager != nil }

// ErrorRegionID is the layout's region for messages about htmx requests: errors answered as
// fragments, and the network message of app.js.
const ErrorRegionID = "ac-error"

// ActivityID is the id of the activity warning (the modal app.js opens before the check).
const ActivityID = "ac-activity"

// minutes says a short delay in words: « 2 minutes », « 1 minute », « 30 secondes ».
func minutes(seconds int) string {
	switch {
	case seconds >= 120:
		return strconv.Itoa(seconds/60) + " minutes"
	case seconds >= 60:
		return "1 minute"
	}
	return strconv.Itoa(seconds) + " secondes"
}

// DefaultDescription is the meta description of pages that set none.
const DefaultDescription = "Aidants Connect permet à un aidant professionnel habilité de réaliser des démarches administratives en ligne pour le compte d'une personne, sous un mandat signé avec elle."

// FullTitle is "<page> - Aidants Connect", after « Erreur – » on a page with errors.
func (s Shell) FullTitle() string {
	t := "Aidants Connect"
	if s.Title != "" {
		t = s.Title + " - Aidants Connect"
	}
	if s.Invalid {
		t = "Erreur – " + t
	}
	return t
}

// Erring marks the page as showing validation errors when invalid is true (see Invalid).
func (s Shell) Erring(invalid bool) Shell {
	s.Invalid = s.Invalid || invalid
	return s
}

// Describe sets the page's meta description.
func (s Shell) Describe(text string) Shell {
	s.Description = text
	return s
}

// MetaDescription is the page's description, or the service's.
func (s Shell) MetaDescription() string {
	if s.Description != "" {
		return s.Description
	}
	return DefaultDescription
}

// CSRFHeaders is the hx-headers value that sends the CSRF token with every htmx request.
func (s Shell) CSRFHeaders() string {
	return `{"X-CSRF-Token":"` + s.CSRF + `"}`
}

// ModeLabel is the banner text for non-production modes.
func (s Shell) ModeLabel() string {
	switch s.Mode {
	case "dev":
		return "Environnement de développement : données fictives, codes de démonstration acceptés."
	case "sandbox":
		return "Bac à sable : environnement d'entraînement, données fictives."
	}
	return ""
}
