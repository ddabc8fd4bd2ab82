package store_test

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app/otp"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/store/storetest"
)

// refWorld is a référent's world: ref manages org and other, is a plain member of plain, and
// foreign is an organisation of someone else.
type refWorld struct {
	st                         *store.Store
	clock                      *storetest.Clock
	org, other, plain, foreign *store.Organisation
	ref, stranger              *store.Aidant
	scope                      store.ReferentScope
	rules                      store.OTPRules
	seeds                      map[string][]byte
	emails                     []store.Notice // what the aidants were told
}

func newRefWorld(t *testing.T) *refWorld {
	t.Helper()
	ctx := context.Background()
	sealer, err := store.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	w := &refWorld{clock: storetest.NewClock(t), rules: otp.StoreRules(), seeds: map[string][]byte{}}
	w.st = store.New(storetest.New(t), w.clock.Now, sealer)
	w.org, w.other, w.plain, w.foreign = &store.Organisation{Name: "MFS Beaugency"}, &store.Organisation{Name: "CCAS Meung"},
		&store.Organisation{Name: "Médiathèque"}, &store.Organisation{Name: "Mairie d'ailleurs"}
	for _, o := range []*store.Organisation{w.org, w.other, w.plain, w.foreign} {
		if err := w.st.CreateOrganisation(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	w.ref = w.aidant(t, "ref@mfs.fr", w.org, true)
	for _, m := range []struct {
		org      *store.Organisation
		referent bool
	}{{w.other, true}, {w.plain, false}} {
		if err := w.st.AddMembership(ctx, w.ref.ID, m.org.ID, m.referent); err != nil {
			t.Fatal(err)
		}
	}
	w.stranger = w.aidant(t, "ref@ailleurs.fr", w.foreign, true)
	w.scope = store.ReferentScope{ReferentID: w.ref.ID, OrganisationID: w.org.ID}
	stock := map[string][]byte{}
	for i := range 12 {
		serial := fmt.Sprintf("GADT%07d", i+1)
		seed := sha1.Sum([]byte(serial))
		stock[serial], w.seeds[serial] = seed[:], seed[:]
	}
	if err := w.st.AddCartesToStock(ctx, stock); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *refWorld) aidant(t *testing.T, email string, org *store.Organisation, referent bool) *store.Aidant {
	t.Helper()
	a := &store.Aidant{Email: email, FirstName: "Prénom", LastName: strings.Split(email, "@")[0], CurrentOrganisationID: org.ID, IsActive: true, CanCreateMandats: true}
	if err := w.st.CreateAidant(context.Background(), a, referent); err != nil {
		t.Fatal(err)
	}
	return a
}

// notify records the notices instead of wording e-mails.
func (w *refWorld) notify(_ context.Context, n store.Notice) (store.Email, error) {
	w.emails = append(w.emails, n)
	return store.Email{To: n.Aidant.Email, Subject: string(n.Kind), BodyText: string(n.Kind)}, nil
}

// carteCode is the carte's code now.
func (w *refWorld) carteCode(t *testing.T, serial string) string {
	t.Helper()
	c, err := otp.Code(w.seeds[serial], otp.CarteStep, w.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// dump is every row a référent action may touch, to prove that a refusal changed nothing.
func dump(t *testing.T, st *store.Store) string {
	t.Helper()
	var out []string
	for _, q := range []string{
		"SELECT concat_ws('|', id, email, first_name, last_name, is_active, current_organisation_id, can_create_mandats) FROM aidants ORDER BY id",
		"SELECT concat_ws('|', aidant_id, organisation_id, is_referent) FROM aidant_organisations ORDER BY 1",
		"SELECT concat_ws('|', id, aidant_id, kind, carte_id, step, tolerance, drift, last_step, failures, locked_until, confirmed, md5(seed_enc)) FROM otp_devices ORDER BY id",
		"SELECT concat_ws('|', id, serial_number, md5(seed_enc)) FROM cartes_totp ORDER BY id",
		"SELECT concat_ws('|', id, name, array_to_string(allowed_demarches, ','), is_active) FROM organisations ORDER BY id",
		"SELECT concat_ws('|', id, organisation_id, email, status) FROM habilitation_requests ORDER BY id",
		"SELECT concat_ws('|', id, organisation_id, email, aidant_id, status) FROM structure_change_requests ORDER BY id",
		"SELECT concat_ws('|', id, organisation_id, email, status) FROM coreferent_requests ORDER BY id",
		"SELECT concat_ws('|', count(*), max(id)) FROM journal",
		"SELECT concat_ws('|', count(*), max(id)) FROM emails",
		"SELECT concat_ws('|', count(*)) FROM sessions",
	} {
		var rows []string
		if err := st.DB().NewRaw(q).Scan(context.Background(), &rows); err != nil {
			t.Fatal(err)
		}
		out = append(out, q, strings.Join(rows, "\n"))
	}
	return strings.Join(out, "\n")
}

func lastJournal(t *testing.T, st *store.Store, orgID int64) store.JournalEntry {
	t.Helper()
	js, err := st.ListJournal(context.Background(), orgID, 1)
	if err != nil || len(js) == 0 {
		t.Fatalf("journal: %v, %d entries", err, len(js))
	}
	return js[0]
}

// Every référent call with an id outside the scope — another organisation's aidant, request
// or organisation, or a scope the référent does not manage — is ErrNotFound and changes nothing.
func TestReferentScopeIsEnforcedByTheStore(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	ctx := context.Background()
	outsider := w.aidant(t, "outsider@ailleurs.fr", w.foreign, false)
	colleague := w.aidant(t, "colleague@mediatheque.fr", w.plain, false) // ref is a plain member there
	theirScope := store.ReferentScope{ReferentID: w.stranger.ID, OrganisationID: w.foreign.ID}
	if err := w.st.RequestHabilitations(ctx, theirScope, []store.NewPerson{{Email: "x@y.fr", FirstName: "X", LastName: "Y"}}); err != nil {
		t.Fatal(err)
	}
	var foreignRequest int64
	if err := w.st.DB().NewRaw("SELECT id FROM habilitation_requests").Scan(ctx, &foreignRequest); err != nil {
		t.Fatal(err)
	}
	mine := w.aidant(t, "mine@mfs.fr", w.org, false)
	before := dump(t, w.st)
	scopes := map[string]store.ReferentScope{
		"an organisation of someone else":    {ReferentID: w.ref.ID, OrganisationID: w.foreign.ID},
		"an organisation ref is a member of": {ReferentID: w.ref.ID, OrganisationID: w.plain.ID},
		"an unknown organisation":            {ReferentID: w.ref.ID, OrganisationID: 999_999},
	}
	for name, scope := range scopes {
		for _, id := range []int64{outsider.ID, colleague.ID, w.ref.ID} {
			calls := referentCalls(w, scope, id, foreignRequest)
			for call, f := range calls {
				if err := f(); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("%s, aidant %d: %s = %v, want ErrNotFound", name, id, call, err)
				}
			}
		}
	}
	// In ref's own scope, with the others' ids.
	for _, id := range []int64{outsider.ID, colleague.ID} {
		for call, f := range referentCalls(w, w.scope, id, foreignRequest) {
			if strings.HasPrefix(call, "scope-only") {
				continue
			}
			if err := f(); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("own scope, aidant %d of another organisation: %s = %v, want ErrNotFound", id, call, err)
			}
		}
	}
	if _, err := w.st.SetAidantOrganisations(ctx, w.scope, mine.ID, []int64{w.org.ID, w.foreign.ID}, w.notify); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("adding an aidant to an organisation ref does not manage: %v, want ErrNotFound", err)
	}
	if after := dump(t, w.st); after != before {
		t.Errorf("a refused call changed the database:\nbefore %s\nafter  %s", before, after)
	}
}

// referentCalls is every référent store call, against aidant id and request id in scope.
func referentCalls(w *refWorld, scope store.ReferentScope, id, requestID int64) map[string]func() error {
	ctx := context.Background()
	return map[string]func() error{
		"GetManagedAidant": func() error { _, err := w.st.GetManagedAidant(ctx, scope, id); return err },
		"LinkCarte":        func() error { return w.st.LinkCarte(ctx, scope, id, "GADT0000001", w.rules, w.notify) },
		"ValidateCarte":    func() error { return w.st.ValidateCarte(ctx, scope, id, "123456", w.rules, w.notify) },
		"UnlinkCarte":      func() error { return w.st.UnlinkCarte(ctx, scope, id, store.ReasonPerte, "", w.notify) },
		"StartApp":         func() error { return w.st.StartApp(ctx, scope, id, w.rules) },
		"ConfirmApp":       func() error { return w.st.ConfirmApp(ctx, scope, id, "123456", w.rules, w.notify) },
		"RemoveApp":        func() error { return w.st.RemoveApp(ctx, scope, id, w.notify) },
		"DeactivateAidant": func() error { _, err := w.st.DeactivateAidant(ctx, scope, id, w.notify); return err },
		"ReactivateAidant": func() error { return w.st.ReactivateAidant(ctx, scope, id, w.notify) },
		"SetAidantOrganisations": func() error {
			_, err := w.st.SetAidantOrganisations(ctx, scope, id, []int64{scope.OrganisationID}, w.notify)
			return err
		},
		"PromoteReferent": func() error { return w.st.PromoteReferent(ctx, scope, id, w.notify) },
		"CancelRequest habilitation": func() error {
			return w.st.CancelRequest(ctx, scope, store.HabilitationKind, requestID)
		},
		"scope-only GetReferentHome": func() error { _, err := w.st.GetReferentHome(ctx, scope); return err },
		"scope-only ListManagedAidants": func() error {
			_, err := w.st.ListManagedAidants(ctx, scope, store.AidantFilter{WithRequests: true})
			return err
		},
		"scope-only GetReferentsPage": func() error { _, err := w.st.GetReferentsPage(ctx, scope); return err },
		"scope-only SetOrganisationDemarches": func() error {
			return w.st.SetOrganisationDemarches(ctx, scope, []string{"papiers"})
		},
		"scope-only RequestHabilitations": func() error {
			return w.st.RequestHabilitations(ctx, scope, []store.NewPerson{{Email: "new@x.fr", FirstName: "N", LastName: "X"}})
		},
		"scope-only AddTrainedAidants": func() error {
			_, err := w.st.AddTrainedAidants(ctx, scope, []string{"trained@x.fr"}, w.notify)
			return err
		},
		"scope-only RequestCoReferent": func() error {
			return w.st.RequestCoReferent(ctx, scope, store.CoReferentInput{Email: "co@x.fr", FirstName: "C", LastName: "R", Phone: "0600000000"})
		},
		"scope-only SwitchReferentOrganisation": func() error {
			_, err := w.st.SwitchReferentOrganisation(ctx, scope.ReferentID, scope.OrganisationID)
			return err
		},
	}
}

// The référent's switch reaches only organisations they manage, and a switch changes the
// scope the handlers build: the other organisation's aidants are out of it.
func TestSwitchReferentOrganisation(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	ctx := context.Background()
	a := w.aidant(t, "a@mfs.fr", w.org, false)
	if _, err := w.st.SwitchReferentOrganisation(ctx, w.ref.ID, w.plain.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("switch to an organisation ref is only a member of: %v", err)
	}
	org, err := w.st.SwitchReferentOrganisation(ctx, w.ref.ID, w.other.ID)
	if err != nil || org.ID != w.other.ID {
		t.Fatalf("switch to other: %v, %v", org, err)
	}
	if e := lastJournal(t, w.st, w.other.ID); e.Action != store.ActionSwitchOrganisation {
		t.Errorf("journal: %s", e.Action)
	}
	if _, err := w.st.GetManagedAidant(ctx, store.ReferentScope{ReferentID: w.ref.ID, OrganisationID: w.other.ID}, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an aidant of the organisation switched away from: %v, want ErrNotFound", err)
	}
}

func TestReferentHomeCounts(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	ctx := context.Background()
	withCarte := w.aidant(t, "carte@mfs.fr", w.org, false)
	w.aidant(t, "rien@mfs.fr", w.org, false)
	gone := w.aidant(t, "parti@mfs.fr", w.org, false)
	if err := w.st.LinkCarte(ctx, w.scope, withCarte.ID, "GADT0000001", w.rules, w.notify); err != nil {
		t.Fatal(err)
	}
	if err := w.st.ValidateCarte(ctx, w.scope, withCarte.ID, w.carteCode(t, "GADT0000001"), w.rules, w.notify); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.DeactivateAidant(ctx, w.scope, gone.ID, w.notify); err != nil {
		t.Fatal(err)
	}
	if err := w.st.RequestHabilitations(ctx, w.scope, []store.NewPerson{{Email: "n@x.fr", FirstName: "N", LastName: "X"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.AddTrainedAidants(ctx, w.scope, []string{"t@x.fr"}, w.notify); err != nil {
		t.Fatal(err)
	}
	h, err := w.st.GetReferentHome(ctx, w.scope)
	if err != nil {
		t.Fatal(err)
	}
	// ref (no device), carte (validated), rien (none); parti is inactive.
	want := store.ReferentHome{Organisation: h.Organisation, ActiveAidants: 3, WithoutDevice: 2, InactiveAidants: 1, PendingRequests: 2, SelfHasDevice: false}
	if *h != want || h.Organisation.ID != w.org.ID {
		t.Errorf("home = %+v, want %+v", *h, want)
	}
}

func TestSetOrganisationDemarches(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	ctx := context.Background()
	before := dump(t, w.st)
	for _, keys := range [][]string{nil, {}, {"papiers", "inconnue"}} {
		if err := w.st.SetOrganisationDemarches(ctx, w.scope, keys); !errors.Is(err, store.ErrInvalidDemarches) {
			t.Errorf("%q: %v, want ErrInvalidDemarches", keys, err)
		}
	}
	if dump(t, w.st) != before {
		t.Fatal("a refused change was saved")
	}
	if err := w.st.SetOrganisationDemarches(ctx, w.scope, []string{"social", "papiers"}); err != nil {
		t.Fatal(err)
	}
	org, err := w.st.GetReferentHome(ctx, w.scope)
	if err != nil {
		t.Fatal(err)
	}
	if got := org.Organisation.AllowedDemarches; !slices.Equal(got, []string{"papiers", "social"}) {
		t.Errorf("allowed = %q, want catalogue order", got)
	}
	e := lastJournal(t, w.st, w.org.ID)
	if e.Action != store.ActionOrganisationDemarches || e.Demarche != "papiers,social" || !strings.Contains(e.Info, "famille") {
		t.Errorf("journal = %+v", e)
	}
}

// Deactivation: the only organisation → inactive and logged out; one of several → removed
// from it only, the current organisation moving to another; never oneself.
func TestDeactivateAndReactivate(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	ctx := context.Background()
	solo := w.aidant(t, "solo@mfs.fr", w.org, false)
	multi := w.aidant(t, "multi@ailleurs.fr", w.foreign, false)
	if err := w.st.AddMembership(ctx, multi.ID, w.org.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.SwitchOrganisation(ctx, multi.ID, w.org.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.DeactivateAidant(ctx, w.scope, w.ref.ID, w.notify); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("deactivating oneself: %v, want ErrUnavailable", err)
	}
	if err := w.st.ReactivateAidant(ctx, w.scope, solo.ID, w.notify); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("reactivating an active aidant: %v", err)
	}
	if got, err := w.st.DeactivateAidant(ctx, w.scope, solo.ID, w.notify); err != nil || got != store.Deactivated {
		t.Fatalf("solo: %v, %v", got, err)
	}
	if e := lastJournal(t, w.st, w.org.ID); e.Action != store.ActionAidantDeactivation || *e.AidantID != w.ref.ID || !strings.Contains(e.Info, fmt.Sprintf("#%d", solo.ID)) {
		t.Errorf("journal: %+v", e)
	}
	f, err := w.st.GetManagedAidant(ctx, w.scope, solo.ID)
	if err != nil || f.Aidant.IsActive {
		t.Fatalf("solo after deactivation: %+v, %v", f, err)
	}
	if err := w.st.ReactivateAidant(ctx, w.scope, solo.ID, w.notify); err != nil {
		t.Fatal(err)
	}
	if e := lastJournal(t, w.st, w.org.ID); e.Action != store.ActionAidantReactivation {
		t.Errorf("journal: %s", e.Action)
	}
	if got, err := w.st.DeactivateAidant(ctx, w.scope, multi.ID, w.notify); err != nil || got != store.RemovedFromOrganisation {
		t.Fatalf("multi: %v, %v", got, err)
	}
	if _, err := w.st.GetManagedAidant(ctx, w.scope, multi.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("multi after removal: %v, want out of scope", err)
	}
	if e := lastJournal(t, w.st, w.org.ID); e.Action != store.ActionMembershipRemove {
		t.Errorf("journal: %s", e.Action)
	}
	ms, err := w.st.ListMemberships(ctx, multi.ID)
	if err != nil || len(ms) != 1 || ms[0].OrganisationID != w.foreign.ID {
		t.Fatalf("multi's memberships: %+v, %v", ms, err)
	}
	a, err := w.st.GetAidant(ctx, multi.ID)
	if err != nil || a.CurrentOrganisationID != w.foreign.ID {
		t.Errorf("multi still active in their other organisation, current %d: %v", a.CurrentOrganisationID, err)
	}
	var kinds []store.NoticeKind
	for _, n := range w.emails {
		kinds = append(kinds, n.Kind)
	}
	if want := []store.NoticeKind{store.NoticeDeactivated, store.NoticeReactivated, store.NoticeRemoved}; !slices.Equal(kinds, want) {
		t.Errorf("notices %q, want %q", kinds, want)
	}
}

// The membership form covers the référent's organisations only: the others are kept, at
// least one is needed, a removal from the current organisation moves the aidant's current one.
func TestSetAidantOrganisations(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	ctx := context.Background()
	a := w.aidant(t, "a@mfs.fr", w.org, false)
	if err := w.st.AddMembership(ctx, a.ID, w.foreign.ID, false); err != nil {
		t.Fatal(err)
	}
	before := dump(t, w.st)
	if _, err := w.st.SetAidantOrganisations(ctx, w.scope, a.ID, nil, w.notify); !errors.Is(err, store.ErrNoOrganisation) {
		t.Errorf("none: %v", err)
	}
	if _, err := w.st.SetAidantOrganisations(ctx, w.scope, w.ref.ID, []int64{w.other.ID}, w.notify); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("oneself: %v", err)
	}
	if dump(t, w.st) != before {
		t.Fatal("refused changes were saved")
	}
	still, err := w.st.SetAidantOrganisations(ctx, w.scope, a.ID, []int64{w.other.ID}, w.notify)
	if err != nil || still {
		t.Fatalf("move to other: still=%v, %v", still, err)
	}
	ms, _ := w.st.ListMemberships(ctx, a.ID)
	var got []int64
	for _, m := range ms {
		got = append(got, m.OrganisationID)
	}
	slices.Sort(got)
	if want := []int64{w.other.ID, w.foreign.ID}; !slices.Equal(got, want) {
		t.Errorf("memberships %v, want %v (foreign kept)", got, want)
	}
	if ag, _ := w.st.GetAidant(ctx, a.ID); ag.CurrentOrganisationID == w.org.ID {
		t.Errorf("current organisation still the one left")
	}
	add := lastJournalAction(t, w.st, w.other.ID)
	rm := lastJournalAction(t, w.st, w.org.ID)
	if add != store.ActionMembershipAdd || rm != store.ActionMembershipRemove {
		t.Errorf("journal: %s in other, %s in org", add, rm)
	}
	if n := w.emails[len(w.emails)-1]; n.Kind != store.NoticeOrganisationsChanged || !slices.Equal(n.Organisations, []string{"CCAS Meung", "Mairie d'ailleurs"}) {
		t.Errorf("notice %+v", n)
	}
}

func lastJournalAction(t *testing.T, st *store.Store, orgID int64) string {
	t.Helper()
	return lastJournal(t, st, orgID).Action
}

func TestPromoteReferent(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	ctx := context.Background()
	a := w.aidant(t, "a@mfs.fr", w.org, false)
	if err := w.st.PromoteReferent(ctx, w.scope, a.ID, w.notify); err != nil {
		t.Fatal(err)
	}
	if err := w.st.PromoteReferent(ctx, w.scope, a.ID, w.notify); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("twice: %v", err)
	}
	p, err := w.st.GetReferentsPage(ctx, w.scope)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Referents) != 2 || p.Referents[0].ID != w.ref.ID || p.Referents[1].ID != a.ID || len(p.Candidates) != 0 {
		t.Errorf("référents %+v, candidates %+v", p.Referents, p.Candidates)
	}
	// The new référent's own scope now works.
	if _, err := w.st.GetReferentHome(ctx, store.ReferentScope{ReferentID: a.ID, OrganisationID: w.org.ID}); err != nil {
		t.Errorf("the promoted référent's scope: %v", err)
	}
	if e := lastJournal(t, w.st, w.org.ID); e.Action != store.ActionReferentPromotion {
		t.Errorf("journal %s", e.Action)
	}
}

// Adding people to train: lowercased e-mails, duplicates and members of the référent's
// organisations refused, nothing saved on any refusal; people known elsewhere are filed
// without a word about them.
func TestRequestHabilitations(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	ctx := context.Background()
	w.aidant(t, "membre@ccas.fr", w.other, false)
	w.aidant(t, "ailleurs@ailleurs.fr", w.foreign, false)
	theirs := store.ReferentScope{ReferentID: w.stranger.ID, OrganisationID: w.foreign.ID}
	if err := w.st.RequestHabilitations(ctx, theirs, []store.NewPerson{{Email: "demande@ailleurs.fr", FirstName: "D", LastName: "A"}}); err != nil {
		t.Fatal(err)
	}
	before := dump(t, w.st)
	err := w.st.RequestHabilitations(ctx, w.scope, []store.NewPerson{
		{Email: "Nouvelle@Example.FR ", FirstName: "N", LastName: "E"},
		{Email: "nouvelle@example.fr", FirstName: "N", LastName: "E"},
		{Email: "MEMBRE@ccas.fr", FirstName: "M", LastName: "C"},
	})
	var rows store.RowErrors
	if !errors.As(err, &rows) || len(rows) != 2 || rows[1] != store.RowDuplicate || rows[2] != store.RowMember {
		t.Fatalf("refusals = %v", err)
	}
	if dump(t, w.st) != before {
		t.Fatal("a refused form saved something")
	}
	// Known elsewhere (an aidant, a request of another organisation): filed like anyone.
	if err := w.st.RequestHabilitations(ctx, w.scope, []store.NewPerson{
		{Email: "Nouvelle@Example.FR", FirstName: "N", LastName: "E"},
		{Email: "ailleurs@ailleurs.fr", FirstName: "A", LastName: "A"},
		{Email: "demande@ailleurs.fr", FirstName: "D", LastName: "A"},
	}); err != nil {
		t.Fatalf("people known elsewhere: %v", err)
	}
	l, err := w.st.ListManagedAidants(ctx, w.scope, store.AidantFilter{WithRequests: true})
	if err != nil {
		t.Fatal(err)
	}
	var emails []string
	for _, r := range l.Requests.Habilitations {
		emails = append(emails, r.Email+":"+string(r.Status))
	}
	slices.Sort(emails)
	if want := []string{"ailleurs@ailleurs.fr:waiting_list", "demande@ailleurs.fr:waiting_list", "nouvelle@example.fr:waiting_list"}; !slices.Equal(emails, want) {
		t.Errorf("requests %q, want %q", emails, want)
	}
	// Now pending here: refused, as in the other organisation the référent manages.
	err = w.st.RequestHabilitations(ctx, store.ReferentScope{ReferentID: w.ref.ID, OrganisationID: w.other.ID}, []store.NewPerson{{Email: "nouvelle@example.fr", FirstName: "N", LastName: "E"}})
	if !errors.As(err, &rows) || rows[0] != store.RowPending {
		t.Errorf("pending in one of ref's organisations: %v", err)
	}
	// Cancelled, a new request may be filed.
	id := l.Requests.Habilitations[0].ID
	if err := w.st.CancelRequest(ctx, w.scope, store.HabilitationKind, id); err != nil {
		t.Fatal(err)
	}
	if err := w.st.CancelRequest(ctx, w.scope, store.HabilitationKind, id); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("cancel twice: %v", err)
	}
	if e := lastJournal(t, w.st, w.org.ID); e.Action != store.ActionHabilitationCancel {
		t.Errorf("journal %s", e.Action)
	}
}

// Trained aidants: one of another organisation the référent manages is added at once; any
// other e-mail, known or not, becomes the same kind of request.
func TestAddTrainedAidants(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	ctx := context.Background()
	mine := w.aidant(t, "mine@ccas.fr", w.other, false)
	reader := w.aidant(t, "lecteur@ccas.fr", w.other, false)
	if _, err := w.st.DB().NewRaw("UPDATE aidants SET can_create_mandats = false WHERE id = ?", reader.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	theirs := w.aidant(t, "theirs@ailleurs.fr", w.foreign, false)
	here := w.aidant(t, "here@mfs.fr", w.org, false)
	before := dump(t, w.st)
	_, err := w.st.AddTrainedAidants(ctx, w.scope, []string{"mine@ccas.fr", "MINE@ccas.fr", here.Email, reader.Email}, w.notify)
	var rows store.RowErrors
	if !errors.As(err, &rows) || len(rows) != 3 || rows[1] != store.RowDuplicate || rows[2] != store.RowMember || rows[3] != store.RowNotAidant {
		t.Fatalf("refusals: %v", err)
	}
	if dump(t, w.st) != before {
		t.Fatal("refused rows saved something")
	}
	out, err := w.st.AddTrainedAidants(ctx, w.scope, []string{"Mine@ccas.fr", theirs.Email, "inconnu@nulle-part.fr"}, w.notify)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Added, []string{"mine@ccas.fr"}) || !slices.Equal(out.Requested, []string{"theirs@ailleurs.fr", "inconnu@nulle-part.fr"}) {
		t.Fatalf("outcome %+v", out)
	}
	if _, err := w.st.GetManagedAidant(ctx, w.scope, mine.ID); err != nil {
		t.Errorf("mine not added: %v", err)
	}
	if n := w.emails[len(w.emails)-1]; n.Kind != store.NoticeAddedToOrganisation || n.Aidant.ID != mine.ID {
		t.Errorf("notice %+v", n)
	}
	var reqs []store.StructureChangeRequest
	if err := w.st.DB().NewSelect().Model(&reqs).OrderExpr("id").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 2 || reqs[0].AidantID == nil || *reqs[0].AidantID != theirs.ID || !slices.Equal(reqs[0].PreviousOrganisationIDs, []int64{w.foreign.ID}) || reqs[1].AidantID != nil {
		t.Errorf("requests %+v", reqs)
	}
	_, err = w.st.AddTrainedAidants(ctx, w.scope, []string{"inconnu@nulle-part.fr"}, w.notify)
	if !errors.As(err, &rows) || rows[0] != store.RowPending {
		t.Errorf("a second request: %v", err)
	}
	if err := w.st.CancelRequest(ctx, w.scope, store.StructureChangeKind, reqs[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.AddTrainedAidants(ctx, w.scope, []string{"inconnu@nulle-part.fr"}, w.notify); err != nil {
		t.Errorf("after cancelling, again: %v", err)
	}
}

func TestRequestCoReferent(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	ctx := context.Background()
	in := store.CoReferentInput{Email: "Directrice@MFS.fr", FirstName: "D", LastName: "R", Profession: "Directrice", Phone: "0612345678"}
	if err := w.st.RequestCoReferent(ctx, w.scope, in); err != nil {
		t.Fatal(err)
	}
	var rows store.RowErrors
	if err := w.st.RequestCoReferent(ctx, w.scope, in); !errors.As(err, &rows) || rows[0] != store.RowPending {
		t.Errorf("twice: %v", err)
	}
	in.Email = w.ref.Email
	if err := w.st.RequestCoReferent(ctx, w.scope, in); !errors.As(err, &rows) || rows[0] != store.RowMember {
		t.Errorf("a member: %v", err)
	}
	p, err := w.st.GetReferentsPage(ctx, w.scope)
	if err != nil || len(p.Requests) != 1 || p.Requests[0].Email != "directrice@mfs.fr" || p.Requests[0].Status != store.RequestNew {
		t.Fatalf("page %+v, %v", p, err)
	}
	if err := w.st.CancelRequest(ctx, w.scope, store.CoReferentKind, p.Requests[0].ID); err != nil {
		t.Fatal(err)
	}
}

func TestListManagedAidantsFilters(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	ctx := context.Background()
	for _, e := range []string{"jean.dupont@mfs.fr", "helene.martin@mfs.fr", "zoe@mfs.fr"} {
		a := w.aidant(t, e, w.org, false)
		if e == "zoe@mfs.fr" {
			if _, err := w.st.DeactivateAidant(ctx, w.scope, a.ID, w.notify); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := w.st.DB().NewRaw("UPDATE aidants SET first_name = 'Hélène' WHERE email = 'helene.martin@mfs.fr'").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f    store.AidantFilter
		want []string
		n    map[store.AidantStatus]int
	}{
		{store.AidantFilter{}, []string{"helene.martin@mfs.fr", "jean.dupont@mfs.fr", "ref@mfs.fr", "zoe@mfs.fr"}, map[store.AidantStatus]int{"": 4, "actifs": 3, "inactifs": 1, "sans-connexion": 3}},
		{store.AidantFilter{Query: "HELENE"}, []string{"helene.martin@mfs.fr"}, map[store.AidantStatus]int{"": 1, "actifs": 1, "inactifs": 0, "sans-connexion": 1}},
		{store.AidantFilter{Query: "dupont jean"}, []string{"jean.dupont@mfs.fr"}, nil},
		{store.AidantFilter{Status: store.AidantsInactive}, []string{"zoe@mfs.fr"}, nil},
		{store.AidantFilter{Query: "100%_"}, nil, nil},
	} {
		l, err := w.st.ListManagedAidants(ctx, w.scope, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range l.Rows {
			got = append(got, r.Email)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%+v: %q, want %q", tc.f, got, tc.want)
		}
		if tc.n != nil && fmt.Sprint(l.Counts) != fmt.Sprint(tc.n) {
			t.Errorf("%+v: counts %v, want %v", tc.f, l.Counts, tc.n)
		}
	}
}
