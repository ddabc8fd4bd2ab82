package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

// The espace's home says how many of the organisation's mandats in force end within 30 days,
// with a link to the list; another organisation's aidant sees nothing of them.
func TestEspaceHomeSaysWhatExpiresSoon(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t, apptest.WithPractice)
	home := e.LoginWithCode(app.DemoAidantEmail, app.DemoCode).Get(paths.Espace)
	notice := words(parseHTML(t, home.Body).Find("#ac-expiring-soon"))
	if home.Status != http.StatusOK || !strings.Contains(notice, "1 mandat de votre organisation expire dans les 30 jours.") {
		t.Fatalf("home: %d, notice %q", home.Status, notice)
	}
	if href, _ := parseHTML(t, home.Body).Find("#ac-expiring-soon a").Attr("href"); href != paths.UsagersTab(string(store.TabActifs), "", 1) {
		t.Errorf("the notice links to %q", href)
	}
	_, other := e.LoginAidant("autre.structure@example.fr", e.Org("Autre structure"))
	if r := other.Get(paths.Espace); r.Status != http.StatusOK || strings.Contains(r.Body, "ac-expiring-soon") {
		t.Errorf("another organisation's home: %d, shows the notice: %v", r.Status, strings.Contains(r.Body, "ac-expiring-soon"))
	}
}
