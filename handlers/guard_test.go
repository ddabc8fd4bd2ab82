package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/handlers"
)

// TestCurrentOrganisationGone: when the aidant's current organisation is deactivated, or they
// are no longer its member, no page of the espace is served for it: the aidant is told why and
// offered their other organisations; with none left, they are logged out.
func TestCurrentOrganisationGone(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	pages := []string{"/espace-aidant/", "/espace-aidant/creation_mandat/", "/espace-aidant/usagers/", "/activity_check/"}
	gone := map[string]func(t *testing.T, p *apptest.Person){
		"deactivated": func(t *testing.T, p *apptest.Person) {
			if _, err := e.App.DB.NewUpdate().Table("organisations").Set("is_active = false").Where("id = ?", p.Org.ID).Exec(context.Background()); err != nil {
				t.Fatal(err)
			}
		},
		"membership removed": func(t *testing.T, p *apptest.Person) {
			if _, err := e.App.DB.NewDelete().Table("aidant_organisations").Where("aidant_id = ? AND organisation_id = ?", p.Aidant.ID, p.Org.ID).
				Exec(context.Background()); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, remove := range gone {
		t.Run(name+", another organisation left", func(t *testing.T) {
			t.Parallel()
			org, other := e.Org("MFS "+name), e.Org("CCAS "+name)
			p := e.Aidant(apptest.RandomHex(t)[:10]+"@example.fr", org, true)
			if err := e.App.Store.AddMembership(context.Background(), p.Aidant.ID, other.ID, false); err != nil {
				t.Fatal(err)
			}
			b := e.Login(p)
			remove(t, p)
			for _, path := range pages[:3] {
				r := b.Get(path)
				d := parseHTML(t, r.Body)
				form := d.Find(`main form[action="/espace-aidant/organisations/switch_main"]`)
				if r.Status != http.StatusForbidden || !strings.Contains(words(d.Find("main")), "n'est plus accessible") ||
					form.Find(`input[name="organisation"]`).AttrOr("value", "") != itoa(other.ID) ||
					form.Find(`input[name="next"]`).AttrOr("value", "") != path || !strings.Contains(form.Text(), other.Name) ||
					strings.Contains(words(d.Find("main")), org.Name) {
					t.Fatalf("%s: %d %s", path, r.Status, r.Body)
				}
			}
			// The activity check still works: it is how a stale aidant gets to switch.
			if r := b.Get(pages[3]); r.Status != http.StatusOK {
				t.Fatalf("activity check: %d", r.Status)
			}
			r := b.Post("/espace-aidant/organisations/switch_main", url.Values{"organisation": {itoa(other.ID)}, "next": {"/espace-aidant/usagers/"}})
			if r.Status != http.StatusSeeOther || r.Location != "/espace-aidant/usagers/" {
				t.Fatalf("switch: %d %q %s", r.Status, r.Location, r.Body)
			}
			if r := b.Get("/espace-aidant/"); r.Status != http.StatusOK || !strings.Contains(r.Body, other.Name) {
				t.Fatalf("after the switch: %d", r.Status)
			}
			// Switching back is refused like any organisation that is not theirs.
			if r := b.Post("/espace-aidant/organisations/switch_main", url.Values{"organisation": {itoa(org.ID)}}); r.Status != http.StatusNotFound {
				t.Fatalf("switch back: %d", r.Status)
			}
		})
		t.Run(name+", none left", func(t *testing.T) {
			t.Parallel()
			org := e.Org("Seule " + name)
			p := e.Aidant(apptest.RandomHex(t)[:10]+"@example.fr", org, true)
			b := e.Login(p)
			remove(t, p)
			r := b.Get("/espace-aidant/")
			if r.Status != http.StatusSeeOther || r.Location != "/accounts/login/" {
				t.Fatalf("no organisation left: %d %q", r.Status, r.Location)
			}
			if login := b.Get(r.Location); !strings.Contains(login.Body, "aucune organisation active") {
				t.Errorf("the login page does not say why: %s", login.Body)
			}
			if b.Jar[handlers.SessionCookie] != "" {
				t.Errorf("the session cookie is still set")
			}
			if r := b.Get("/espace-aidant/"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/accounts/login/?next=") {
				t.Fatalf("after the logout: %d %q", r.Status, r.Location)
			}
		})
	}
}
