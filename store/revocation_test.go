package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/store"
)

// snapshot is every column of the rows a revocation may touch, to prove a refusal changed nothing.
type snapshot struct {
	autorisations []string
	mandats       []string
	journal       int
}

func (w *world) snapshot(t *testing.T) snapshot {
	t.Helper()
	ctx := context.Background()
	var s snapshot
	if err := w.st.DB().NewRaw("SELECT concat_ws('|', id, mandat_id, demarche, revoked_at, revoked_by_aidant_id) FROM autorisations ORDER BY id").Scan(ctx, &s.autorisations); err != nil {
		t.Fatal(err)
	}
	if err := w.st.DB().NewRaw("SELECT concat_ws('|', id, organisation_id, usager_id, expires_at, revoked_at) FROM mandats ORDER BY id").Scan(ctx, &s.mandats); err != nil {
		t.Fatal(err)
	}
	if err := w.st.DB().NewRaw("SELECT count(*) FROM journal").Scan(ctx, &s.journal); err != nil {
		t.Fatal(err)
	}
	return s
}

// cachedRevokedAt reads mandats.revoked_at, which the list relies on.
func (w *world) cachedRevokedAt(t *testing.T, mandatID int64) *time.Time {
	t.Helper()
	var at *time.Time
	if err := w.st.DB().NewRaw("SELECT revoked_at FROM mandats WHERE id = ?", mandatID).Scan(context.Background(), &at); err != nil {
		t.Fatal(err)
	}
	return at
}

func TestRevokeAutorisationThenMandat(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	m := w.mandatFor(t, w.aidant, person("1", "Marie", "Dupont", "", "female", "1950-03-02"), "LONG", "papiers", "social", "argent")
	social := autorisationOf(t, m, "social")

	w.clock.Advance(time.Hour)
	t1 := w.clock.Now()
	got, au, err := w.st.RevokeAutorisation(ctx, w.org.ID, w.colleague.ID, m.ID, social.ID)
	if err != nil {
		t.Fatal(err)
	}
	if au.ID != social.ID || !au.RevokedAt.Equal(t1) || *au.RevokedByAidantID != w.colleague.ID || got.Status(t1) != store.StatusActive {
		t.Fatalf("revoked autorisation %+v, mandat %s", au, got.Status(t1))
	}
	fresh := w.get(t, w.org.ID, m.ID)
	for _, a := range fresh.Autorisations {
		revoked := a.ID == social.ID
		if (a.RevokedAt != nil) != revoked || (a.RevokedByAidantID != nil) != revoked || a.MandatID != m.ID {
			t.Errorf("autorisation %s: %+v", a.Demarche, a)
		}
	}
	if w.cachedRevokedAt(t, m.ID) != nil {
		t.Fatal("a partly revoked mandat is cached as revoked")
	}
	js, _ := w.st.ListJournal(ctx, w.org.ID, 1)
	want := store.JournalEntry{Action: store.ActionCancelAutorisation, AidantID: &w.colleague.ID, OrganisationID: &w.org.ID,
		UsagerID: &m.UsagerID, MandatID: &m.ID, AutorisationID: &social.ID, Demarche: "social"}
	assertJournal(t, js[0], want, t1)

	// The whole mandat: the two démarches still in force, then cancel_mandat.
	w.clock.Advance(time.Hour)
	t2 := w.clock.Now()
	got, err = w.st.RevokeMandat(ctx, w.org.ID, w.aidant.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status(t2) != store.StatusRevoked || !got.RevokedAt().Equal(t2) || len(got.RevokedTogether()) != 2 {
		t.Fatalf("revoked mandat: %s, revoked at %v, together %d", got.Status(t2), got.RevokedAt(), len(got.RevokedTogether()))
	}
	if at := w.cachedRevokedAt(t, m.ID); at == nil || !at.Equal(t2) {
		t.Fatalf("cached revoked_at = %v, want %v", at, t2)
	}
	js, _ = w.st.ListJournal(ctx, w.org.ID, 3)
	assertJournal(t, js[0], store.JournalEntry{Action: store.ActionCancelMandat, AidantID: &w.aidant.ID, OrganisationID: &w.org.ID,
		UsagerID: &m.UsagerID, MandatID: &m.ID, Demarche: "papiers,argent"}, t2)
	for i, d := range []string{"argent", "papiers"} { // newest first
		a := autorisationOf(t, m, d)
		assertJournal(t, js[i+1], store.JournalEntry{Action: store.ActionCancelAutorisation, AidantID: &w.aidant.ID, OrganisationID: &w.org.ID,
			UsagerID: &m.UsagerID, MandatID: &m.ID, AutorisationID: &a.ID, Demarche: d}, t2)
	}
	if _, err := w.st.GetMandatRevocation(ctx, w.org.ID, m.ID); err != nil {
		t.Fatalf("mandat revocation: %v", err)
	}
	if _, a, err := w.st.GetAutorisationRevocation(ctx, w.org.ID, m.ID, social.ID); err != nil || !a.RevokedAt.Equal(t1) {
		t.Fatalf("autorisation revocation: %+v %v", a, err)
	}
	if rep, err := w.st.VerifyJournal(ctx); err != nil || rep.BrokenID != 0 {
		t.Fatalf("journal chain: %+v %v", rep, err)
	}
}

func assertJournal(t *testing.T, got, want store.JournalEntry, at time.Time) {
	t.Helper()
	if !got.CreatedAt.Equal(at) {
		t.Errorf("%s journaled at %v, want %v", got.Action, got.CreatedAt, at)
	}
	got.ID, got.CreatedAt, got.PrevHash, got.Hash = 0, time.Time{}, nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("journal entry:\n got %s\nwant %s", describe(got), describe(want))
	}
}

func describe(e store.JournalEntry) string {
	p := func(v *int64) string {
		if v == nil {
			return "nil"
		}
		return fmt.Sprint(*v)
	}
	return fmt.Sprintf("%s aidant=%s org=%s usager=%s mandat=%s autorisation=%s demarche=%q duree=%d att=%q token=%q info=%q",
		e.Action, p(e.AidantID), p(e.OrganisationID), p(e.UsagerID), p(e.MandatID), p(e.AutorisationID), e.Demarche, e.DureeDays,
		e.AttestationHash, e.AccessTokenHash, e.Info)
}

func TestRefusedRevocationsChangeNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	mine := w.mandatFor(t, w.aidant, person("1", "Marie", "Dupont", "", "female", "1950-03-02"), "LONG", "papiers", "social")
	other := w.mandatFor(t, w.aidant, person("2", "Paul", "Durand", "", "male", "1951-04-03"), "LONG", "famille")
	foreign := w.mandatFor(t, w.foreigner, person("3", "Luc", "Martin", "", "male", "1952-05-04"), "LONG", "papiers", "social")
	short := w.mandatFor(t, w.aidant, person("4", "Léa", "Petit", "", "female", "1953-06-05"), "SHORT", "papiers")
	gone := w.mandatFor(t, w.aidant, person("5", "Noé", "Roux", "", "male", "1954-07-06"), "LONG", "argent")
	if _, err := w.st.RevokeMandat(ctx, w.org.ID, w.aidant.ID, gone.ID); err != nil {
		t.Fatal(err)
	}
	papiers := autorisationOf(t, mine, "papiers")
	if _, _, err := w.st.RevokeAutorisation(ctx, w.org.ID, w.aidant.ID, mine.ID, papiers.ID); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(48 * time.Hour) // the SHORT mandat is now expired

	cases := []struct {
		name string
		try  func() error
	}{
		{"foreign mandat", func() error { _, err := w.st.RevokeMandat(ctx, w.org.ID, w.aidant.ID, foreign.ID); return err }},
		{"mandat asked for another organisation", func() error { _, err := w.st.RevokeMandat(ctx, w.other.ID, w.foreigner.ID, mine.ID); return err }},
		{"foreign autorisation", func() error {
			_, _, err := w.st.RevokeAutorisation(ctx, w.org.ID, w.aidant.ID, foreign.ID, foreign.Autorisations[0].ID)
			return err
		}},
		{"autorisation of another usager's mandat", func() error {
			_, _, err := w.st.RevokeAutorisation(ctx, w.org.ID, w.aidant.ID, mine.ID, other.Autorisations[0].ID)
			return err
		}},
		{"autorisation already revoked", func() error {
			_, _, err := w.st.RevokeAutorisation(ctx, w.org.ID, w.aidant.ID, mine.ID, papiers.ID)
			return err
		}},
		{"mandat already revoked", func() error { _, err := w.st.RevokeMandat(ctx, w.org.ID, w.aidant.ID, gone.ID); return err }},
		{"expired mandat", func() error { _, err := w.st.RevokeMandat(ctx, w.org.ID, w.aidant.ID, short.ID); return err }},
		{"autorisation of an expired mandat", func() error {
			_, _, err := w.st.RevokeAutorisation(ctx, w.org.ID, w.aidant.ID, short.ID, short.Autorisations[0].ID)
			return err
		}},
		{"unknown mandat", func() error { _, err := w.st.RevokeMandat(ctx, w.org.ID, w.aidant.ID, 987654); return err }},
		{"confirmation of a foreign mandat", func() error { _, err := w.st.GetRevocableMandat(ctx, w.org.ID, foreign.ID); return err }},
		{"confirmation of a revoked autorisation", func() error {
			_, _, err := w.st.GetRevocableAutorisation(ctx, w.org.ID, mine.ID, papiers.ID)
			return err
		}},
		{"attestation of a mandat not revoked", func() error { _, err := w.st.GetMandatRevocation(ctx, w.org.ID, mine.ID); return err }},
		{"attestation of a foreign revocation", func() error { _, err := w.st.GetMandatRevocation(ctx, w.other.ID, gone.ID); return err }},
		{"attestation of an autorisation in force", func() error {
			_, _, err := w.st.GetAutorisationRevocation(ctx, w.org.ID, mine.ID, autorisationOf(t, mine, "social").ID)
			return err
		}},
	}
	before := w.snapshot(t)
	for _, tc := range cases {
		if err := tc.try(); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", tc.name, err)
		}
		if after := w.snapshot(t); !reflect.DeepEqual(after, before) {
			t.Fatalf("%s changed the database:\nbefore %+v\nafter  %+v", tc.name, before, after)
		}
	}
}

// Two aidants revoking the same mandat at once: one revocation, one journal entry.
func TestConcurrentRevocationsRevokeOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	m := w.mandatFor(t, w.aidant, person("1", "Marie", "Dupont", "", "female", "1950-03-02"), "LONG", "papiers", "social")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				_, errs[i] = w.st.RevokeMandat(ctx, w.org.ID, w.aidant.ID, m.ID)
			} else {
				_, _, errs[i] = w.st.RevokeAutorisation(ctx, w.org.ID, w.colleague.ID, m.ID, m.Autorisations[0].ID)
			}
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, store.ErrNotFound):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	js, _ := w.st.ListJournal(ctx, w.org.ID, 100)
	count := map[string]int{}
	for _, j := range js {
		count[j.Action]++
	}
	// Either a mandat revocation went first (it ends both autorisations), or an autorisation
	// one did and a mandat revocation ended the other: two cancel_autorisation, one
	// cancel_mandat, whatever the order.
	if count[store.ActionCancelAutorisation] != 2 || count[store.ActionCancelMandat] != 1 || ok < 1 || ok > 2 {
		t.Fatalf("%d successes, journal %v", ok, count)
	}
	if got := w.get(t, w.org.ID, m.ID); got.Status(w.clock.Now()) != store.StatusRevoked {
		t.Fatalf("mandat %s", got.Status(w.clock.Now()))
	}
}
