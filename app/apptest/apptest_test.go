package apptest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/handlers"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// Each audience is what its helper says, and logs in to the espace aidant.
func TestAudiences(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	org := e.Org("MFS")
	for _, tc := range []struct {
		name, email                string
		login                      func(string, *store.Organisation) (*apptest.Person, *apptest.Browser)
		canCreateMandats, referent bool
	}{
		{"aidant", "aidant@example.fr", e.LoginAidant, true, false},
		{"aidant without mandats", "lecteur@example.fr", e.LoginAidantWithoutMandats, false, false},
		{"référent", "referent@example.fr", e.LoginReferent, true, true},
	} {
		p, b := tc.login(tc.email, org)
		a, err := e.App.Store.GetAidant(context.Background(), p.Aidant.ID)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := e.App.Store.ListMemberships(context.Background(), p.Aidant.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.CanCreateMandats != tc.canCreateMandats || !a.IsActive || a.CurrentOrganisationID != org.ID || p.Org != org ||
			len(ms) != 1 || ms[0].OrganisationID != org.ID || ms[0].IsReferent != tc.referent || p.Secret == nil {
			t.Errorf("%s: aidant %+v, memberships %+v", tc.name, a, ms)
		}
		if r := b.Get("/espace-aidant/"); r.Status != http.StatusOK {
			t.Errorf("%s: espace aidant %d", tc.name, r.Status)
		}
		if b.Jar[handlers.SessionCookie] == "" {
			t.Errorf("%s: no session cookie", tc.name)
		}
	}
}

// A clone shares the session but not later cookies; the clock is the env's and moves only
// when told.
func TestBrowserCloneAndClock(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	_, b := e.LoginAidant("jean@example.fr", e.Org("MFS"))
	t.Run("clone", func(t *testing.T) {
		c := b.Clone(t)
		if c.T != t || c.Jar[handlers.SessionCookie] != b.Jar[handlers.SessionCookie] {
			t.Fatal("the clone is not the same session for the subtest")
		}
		c.Jar["x"] = "y"
		if _, ok := b.Jar["x"]; ok {
			t.Fatal("the clone shares its jar")
		}
		if r := c.Get("/espace-aidant/"); r.Status != http.StatusOK {
			t.Fatalf("clone: %d", r.Status)
		}
	})
	now := e.Clock.Now()
	if e.App.Store.Now() != now {
		t.Fatalf("the App's clock %v is not the env's %v", e.App.Store.Now(), now)
	}
	e.Clock.Advance(time.Hour)
	if !e.App.Store.Now().Equal(now.Add(time.Hour)) {
		t.Fatal("the App does not follow the env's clock")
	}
	if got := len(apptest.RandomHex(t)); got != 64 {
		t.Fatalf("RandomHex: %d digits", got)
	}
}
