package handlers_test

import (
	"context"
	"testing"

	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/fibench"
	"github.com/aidantsconnect/ac/store"
)

// The load generator of `ac bench-fi` (app/fibench) on a world it seeds itself: every login
// of a bounded run succeeds, through the 7 requests, from concurrent clients, and each is
// journaled once in a chain that verifies. (The measure itself runs out of process: `task
// bench-fi`, BENCHMARKS.md.)
func TestFIBenchSeedAndRun(t *testing.T) {
	e := apptest.Start(t)
	ctx := context.Background()
	w, err := fibench.Seed(ctx, e.App, 4)
	if err != nil {
		t.Fatal(err)
	}
	l, err := fibench.Run(ctx, []string{e.URL}, w, 4, 0, 12)
	if err != nil {
		t.Fatal(err)
	}
	if l.Errors != 0 || l.Logins != 12 {
		t.Fatalf("%d logins, %d errors (first: %v)", l.Logins, l.Errors, l.FirstErr)
	}
	n, err := e.App.DB.NewSelect().Table("journal").Where("action = ?", store.ActionUseAutorisation).Count(ctx)
	if err != nil || n != 12 {
		t.Errorf("%d use_autorisation entries (%v), want one per login", n, err)
	}
	if rep, err := e.App.Store.VerifyJournal(ctx); err != nil || !rep.Intact() || rep.Unchained != 0 {
		t.Errorf("journal: %+v, %v", rep, err)
	}
}
