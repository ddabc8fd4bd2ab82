// Package idp renders the aidant's pages of a FranceConnect login for a usager: the usager
// choice (step 1) and the démarche choice (step 2), and the page of an expired flow.
package idp

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/ui"
)

// IDs of the search's htmx targets.
const (
	resultsID = "idp-results"
	statusID  = "idp-search-status"
)

// UsagerChoiceData is step 1: search, results (a page of them), and the démarches asked for.
type UsagerChoiceData struct {
	Flow         string // the flow's token (?id=)
	Organisation *store.Organisation
	Demarches    []store.Demarche // what the aidant may do for the service; all when Restricted is false
	Restricted   bool             // the service asked for some démarches only
	Query        string
	TooShort     bool // a query of one character
	Usagers      []store.Usager
	Total        int
	Page         int // from 1
	PerPage      int
	Errors       ui.Errors
}

// DemarcheChoiceData is step 2.
type DemarcheChoiceData struct {
	Flow      string
	Usager    *store.Usager
	Demarches []store.Demarche
	Errors    ui.Errors
}

func (d UsagerChoiceData) pageURL(page int) string {
	q := url.Values{"id": {d.Flow}}
	if d.Query != "" {
		q.Set("q", d.Query)
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	return paths.IdPUsagerChoice + "?" + q.Encode()
}

func (d UsagerChoiceData) hasNext() bool { return d.Page*d.PerPage < d.Total }

// status is the line screen readers hear after each search.
func (d UsagerChoiceData) status() string {
	switch {
	case d.TooShort:
		return "Saisissez au moins 2 caractères pour rechercher."
	case d.Total == 0 && d.Query != "":
		return "Aucune personne ne correspond à votre recherche."
	case d.Total == 0:
		return "Aucune personne ne peut être choisie."
	case d.Total == 1:
		return "1 personne."
	}
	first := (d.Page-1)*d.PerPage + 1
	last := min(d.Page*d.PerPage, d.Total)
	if first == 1 && last == d.Total {
		return fmt.Sprintf("%d personnes.", d.Total)
	}
	return fmt.Sprintf("%d personnes ; affichées : %d à %d.", d.Total, first, last)
}

func (d UsagerChoiceData) demarcheTitles() string {
	s := ""
	for i, dm := range d.Demarches {
		if i > 0 {
			s += ", "
		}
		s += "« " + dm.Title + " »"
	}
	return s
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// born is "née le 24 août 1962" (birth dates are calendar dates: no time zone).
func born(u *store.Usager) string {
	word := "né"
	if u.Gender == "female" {
		word = "née"
	}
	return word + " le " + ui.DayMonthYear(u.Birthdate)
}
