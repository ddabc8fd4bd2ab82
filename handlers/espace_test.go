package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/usagers"
)

// The espace's home says how many of the organisation's mandats in force end within 30 days,
// with a link to the list; another organisation's aidant sees nothing of them.
func TestEspaceHomeSaysWhatExpiresSoon(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t, apptest.WithPractice)
	b := e.LoginWithCode(app.DemoAidantEmail, app.DemoCode)
	home := b.Get(paths.Espace)
	notice := words(parseHTML(t, home.Body).Find("#ac-expiring-soon"))
	if home.Status != http.StatusOK || !strings.Contains(notice, "1 mandat de votre organisation expire dans les 30 jours.") {
		t.Fatalf("home: %d, notice %q", home.Status, notice)
	}
	href, _ := parseHTML(t, home.Body).Find("#ac-expiring-soon a").Attr("href")
	if href != paths.UsagersExpiringSoon("", 1) {
		t.Errorf("the notice links to %q", href)
	}
	// The list it leads to counts the same mandats, and lists only usagers whose mandat ends soon.
	list := b.Get(href)
	doc := parseHTML(t, list.Body)
	if status := words(doc.Find("#" + usagers.StatusID)); list.Status != http.StatusOK || status != "1 mandat en vigueur expire dans les 30 jours, pour 1 usager." {
		t.Fatalf("filtered list: %d, status %q", list.Status, status)
	}
	rows, badges := doc.Find("tbody tr").Length(), doc.Find("tbody tr .fr-badge--warning").Length()
	if rows != 1 || badges != 1 {
		t.Errorf("filtered list: %d rows, %d with the badge", rows, badges)
	}
	if cur, _ := doc.Find("#" + usagers.SoonID).Attr("aria-current"); cur != "page" {
		t.Errorf("the filter link is not current: %q", cur)
	}
	// The whole tab holds more (the practice data has mandats that end later).
	all := parseHTML(t, b.Get(paths.UsagersTab(string(store.TabActifs), "", 1)).Body)
	if n := all.Find("tbody tr").Length(); n <= rows {
		t.Errorf("the whole actifs tab lists %d rows", n)
	}
	// The search keeps the filter (the form carries it).
	search := parseHTML(t, b.Get(paths.UsagersExpiringSoon("zzzz", 1)).Body)
	if v, _ := search.Find(`form[role=search] input[name="` + paths.ExpireSoonParam + `"]`).Attr("value"); v != paths.ExpireSoonValue {
		t.Errorf("the search form drops the filter: %q", v)
	}
	if n := search.Find("tbody tr").Length(); n != 0 {
		t.Errorf("a search matching nobody lists %d rows", n)
	}
	_, other := e.LoginAidant("autre.structure@example.fr", e.Org("Autre structure"))
	if r := other.Get(paths.Espace); r.Status != http.StatusOK || strings.Contains(r.Body, "ac-expiring-soon") {
		t.Errorf("another organisation's home: %d, shows the notice: %v", r.Status, strings.Contains(r.Body, "ac-expiring-soon"))
	}
}
