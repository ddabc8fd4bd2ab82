package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
)

// A staff account logs in like any aidant and lands in the back-office: it has no
// organisation, and the aidants' pages send it there rather than ending its session.
func TestStaffLogsInToTheBackOffice(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	_, b := e.LoginStaff("claire@beta.gouv.fr")
	if r := b.Get(paths.Espace); r.Status != http.StatusSeeOther || r.Location != paths.Staff {
		t.Fatalf("espace aidant: %d %q", r.Status, r.Location)
	}
	r := b.Get(paths.Staff)
	if r.Status != http.StatusOK {
		t.Fatalf("back-office: %d", r.Status)
	}
	if h1 := squash(parseHTML(t, r.Body).Find("h1").Text()); h1 != "Back-office de l'équipe Aidants Connect" {
		t.Errorf("h1 %q", h1)
	}
	// The session is still there: the espace aidant did not end it.
	if r := b.Get(paths.Staff); r.Status != http.StatusOK {
		t.Errorf("back-office again: %d", r.Status)
	}
	// An aidant, référent or not, gets the 404 page.
	_, rb := e.LoginReferent("camille@mfs.fr", e.Org("MFS"))
	if r := rb.Get(paths.Staff); r.Status != http.StatusNotFound {
		t.Errorf("référent: %d", r.Status)
	}
}

// The demo seed has a staff account that logs in with the demo code.
func TestDemoStaffAccount(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t, apptest.WithDemoSeed)
	b := e.Browser()
	r := b.Post(paths.Login, url.Values{"email": {app.DemoStaffEmail}, "otp_token": {app.DemoCode}})
	if r.Status != http.StatusSeeOther || r.Location != paths.LoginSent {
		t.Fatalf("login: %d %q", r.Status, r.Location)
	}
	link := e.LastLoginLink()
	b.Get(link)
	r = b.Post(strings.Replace(link, "/chargement", "", 1), nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("link: %d", r.Status)
	}
	if r := b.Get(paths.Staff); r.Status != http.StatusOK {
		t.Errorf("back-office: %d", r.Status)
	}
}
