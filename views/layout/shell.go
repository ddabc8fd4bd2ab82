// Package layout holds the page frame every page shares: header, footer, banners, flash.
package layout

import "github.com/aidantsconnect/ac/store"

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind string // success, info, warning, error
	Text string
}

// Shell carries the request-wide data every page needs. Handlers build it once per request.
type Shell struct {
	Title        string // page title, without the site name
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

// FullTitle is "<page> - Aidants Connect".
func (s Shell) FullTitle() string {
	if s.Title == "" {
		return "Aidants Connect"
	}
	return s.Title + " - Aidants Connect"
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
