package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/fcsim"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

// As after `go run .`: the demo aidant's « Mes usagers » has mandats in all three tabs, one of
// them « expire bientôt », one partly revoked, one to renew, for the simulator's persons; the
// seed is idempotent and the journal still verifies.
func TestPracticeMandatsInEveryTab(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t, apptest.WithPractice)
	ctx := context.Background()
	if err := app.SeedPractice(ctx, e.App.Store); err != nil { // again: nothing changes
		t.Fatal(err)
	}
	if n := e.Count("mandats"); n != 5 {
		t.Fatalf("%d mandats after seeding twice, want 5", n)
	}
	b := e.LoginWithCode(app.DemoAidantEmail, app.DemoCode)
	ids := fcsim.Identities()
	for _, tc := range []struct {
		tab    store.UsagerTab
		people []int
		show   []string
	}{
		{store.TabActifs, []int{0, 1, 4}, []string{"Expire bientôt"}},
		{store.TabExpires, []int{2}, nil},
		{store.TabRevoques, []int{3}, nil},
	} {
		r := b.Get(paths.UsagersTab(string(tc.tab), "", 1))
		if r.Status != http.StatusOK {
			t.Fatalf("tab %s: %d", tc.tab, r.Status)
		}
		for _, n := range tc.people {
			if !strings.Contains(strings.ToUpper(r.Body), strings.ToUpper(ids[n].FamilyName)) { // names show in capitals
				t.Errorf("tab %s lacks %s", tc.tab, ids[n].FamilyName)
			}
		}
		for _, want := range tc.show {
			if !strings.Contains(r.Body, want) {
				t.Errorf("tab %s lacks %q", tc.tab, want)
			}
		}
	}
	rep, err := e.App.Store.VerifyJournal(ctx)
	if err != nil || !rep.Intact() {
		t.Fatalf("journal after the practice seed: %+v %v", rep, err)
	}
}
