// Package staff renders the national team's back-office: habilitation requests, aidants to
// train, the stock of cartes TOTP, organisations and aidants.
package staff

import (
	"strconv"

	"github.com/aidantsconnect/ac/app/paths"
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
	return []homeTile{}
}
