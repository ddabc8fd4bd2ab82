package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/store"
)

// use journals a use of the autorisation for the client, as the identity provider does
// (UseIdPToken) at the first userinfo.
func (w *world) use(t *testing.T, m *store.Mandat, a *store.Autorisation, clientID string) {
	t.Helper()
	err := w.st.InTx(context.Background(), func(tx *store.Store) error {
		return tx.AppendJournal(context.Background(), &store.JournalEntry{Action: store.ActionUseAutorisation,
			AidantID: &m.CreatedByAidantID, OrganisationID: &m.OrganisationID, UsagerID: &m.UsagerID, MandatID: &m.ID,
			AutorisationID: &a.ID, Demarche: a.Demarche, Info: "client : " + clientID})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestFindUsagerByFCSubNeedsAMandatInTheirName(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	m := w.mandat(t, w.aidant, "sub-marie", "LONG", "papiers")
	u, err := w.st.FindUsagerByFCSub(ctx, "sub-marie")
	if err != nil || u.ID != m.UsagerID {
		t.Fatalf("the usager of a mandat: %v, %+v", err, u)
	}
	if _, err := w.st.FindUsagerByFCSub(ctx, "sub-inconnu"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a person never identified: %v", err)
	}
	// Identified through FranceConnect for a mandat that was never signed: a usager row, no mandat.
	token, err := w.st.StartMandatFlow(ctx, w.aidant.ID, w.org.ID, store.MandatChoice{Demarches: []string{"papiers"}, Duree: "SHORT"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.st.SetFCState(ctx, w.aidant.ID, token, "state-unsigned", w.st.FCNonce("state-unsigned")); err != nil {
		t.Fatal(err)
	}
	f, err := w.st.FlowForCallback(ctx, w.aidant.ID, token, "state-unsigned")
	if err != nil {
		t.Fatal(err)
	}
	unsigned, err := w.st.IdentifyUsager(ctx, f, identity("sub-unsigned"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.FindUsagerByFCSub(ctx, "sub-unsigned"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a usager without a mandat: %v", err)
	}
	if _, err := w.st.GetUsagerByID(ctx, unsigned.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetUsagerByID of a usager without a mandat: %v", err)
	}
	// The sub we keep is a salted hash: the FranceConnect sub itself finds nobody by equality.
	if u.Sub == "sub-marie" {
		t.Fatal("the FranceConnect sub is stored in clear")
	}
}

func TestUsagerSeesEveryMandatInTheirNameAndNoOneElses(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	old := w.mandat(t, w.aidant, "sub-marie", "SHORT", "papiers")
	w.clock.Advance(800 * 24 * time.Hour) // outdated for aidants, still the usager's
	here := w.mandat(t, w.colleague, "sub-marie", "LONG", "papiers", "famille")
	there := w.mandat(t, w.foreigner, "sub-marie", "MONTH", "social")
	someoneElse := w.mandat(t, w.aidant, "sub-paul", "LONG", "papiers")

	ms, err := w.st.ListUsagerMandats(ctx, here.UsagerID)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, m := range ms.Mandats {
		got = append(got, m.ID)
		if m.Organisation == nil || m.CreatedBy == nil || len(m.Autorisations) == 0 {
			t.Errorf("mandat %d without its organisation, creator or autorisations", m.ID)
		}
	}
	if want := []int64{there.ID, here.ID, old.ID}; !reflect.DeepEqual(got, want) {
		t.Fatalf("the usager's mandats = %v, want %v (newest first, every organisation, outdated included)", got, want)
	}
	if ms.Mandats[0].Organisation.Name != "CCAS" || ms.Mandats[1].Organisation.Name != "MFS" {
		t.Errorf("organisations: %q, %q", ms.Mandats[0].Organisation.Name, ms.Mandats[1].Organisation.Name)
	}
	if _, err := w.st.GetUsagerMandat(ctx, here.UsagerID, someoneElse.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("someone else's mandat: %v", err)
	}
	if m, err := w.st.GetUsagerMandat(ctx, here.UsagerID, there.ID); err != nil || m.Organisation.Name != "CCAS" {
		t.Errorf("their mandat with another organisation: %v", err)
	}
	if got := (&store.Aidant{FirstName: "Jean", LastName: "élise"}).ShortName(); got != "Jean É." {
		t.Errorf("short name = %q", got)
	}
}

func TestUsagerRevokesOneDemarcheThenTheMandat(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	m := w.mandat(t, w.aidant, "sub-marie", "LONG", "papiers", "famille")
	other := w.mandat(t, w.aidant, "sub-paul", "LONG", "papiers")
	papiers := autorisationOf(t, m, "papiers")

	// Someone else's mandat, a foreign id, an autorisation of another mandat: refused, nothing changes.
	before := w.snapshot(t)
	for name, err := range map[string]error{
		"another usager's mandat":           second(w.st.RevokeMandatByUsager(ctx, m.UsagerID, other.ID)),
		"another usager's autorisation":     third(w.st.RevokeAutorisationByUsager(ctx, other.UsagerID, m.ID, papiers.ID)),
		"an autorisation of another mandat": third(w.st.RevokeAutorisationByUsager(ctx, m.UsagerID, m.ID, other.Autorisations[0].ID)),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if after := w.snapshot(t); !reflect.DeepEqual(before, after) {
		t.Fatalf("a refused revocation changed something: %+v → %+v", before, after)
	}

	w.clock.Advance(time.Hour)
	if _, _, err := w.st.RevokeAutorisationByUsager(ctx, m.UsagerID, m.ID, papiers.ID); err != nil {
		t.Fatal(err)
	}
	got := w.get(t, w.org.ID, m.ID)
	a := autorisationOf(t, got, "papiers")
	if a.RevokedAt == nil || !a.RevokedAt.Equal(w.clock.Now()) || !a.RevokedByUsager || a.RevokedByAidantID != nil {
		t.Fatalf("papiers after the usager revoked it: %+v", a)
	}
	if got.Status(w.clock.Now()) != store.StatusActive || got.RevokedByUsager() {
		t.Fatal("the mandat must stay active for famille")
	}
	if _, _, err := w.st.GetUsagerAutorisationRevocation(ctx, m.UsagerID, m.ID, papiers.ID); err != nil {
		t.Errorf("the usager's revocation attestation: %v", err)
	}
	// The organisation's aidants reach the same revocation.
	if _, _, err := w.st.GetAutorisationRevocation(ctx, w.org.ID, m.ID, papiers.ID); err != nil {
		t.Errorf("the organisation's revocation attestation: %v", err)
	}

	w.clock.Advance(time.Hour)
	if _, err := w.st.RevokeMandatByUsager(ctx, m.UsagerID, m.ID); err != nil {
		t.Fatal(err)
	}
	got = w.get(t, w.org.ID, m.ID)
	if got.Status(w.clock.Now()) != store.StatusRevoked || !got.RevokedByUsager() {
		t.Fatalf("the mandat after the usager revoked it: %+v", got.Autorisations)
	}
	if _, err := w.st.GetUsagerMandatRevocation(ctx, m.UsagerID, m.ID); err != nil {
		t.Errorf("the usager's mandat revocation: %v", err)
	}
	if _, err := w.st.GetUsagerMandatRevocation(ctx, other.UsagerID, m.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("someone else's revocation: %v", err)
	}
	if _, err := w.st.RevokeMandatByUsager(ctx, m.UsagerID, m.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoking a revoked mandat: %v", err)
	}

	// The journal: the usager is the actor (no aidant), in the mandat's organisation.
	js, err := w.st.ListJournal(ctx, w.org.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ action, demarche string }{{"cancel_mandat", "famille"}, {"cancel_autorisation", "famille"}, {"cancel_autorisation", "papiers"}}
	for i, j := range js {
		if j.Action != want[i].action || j.Demarche != want[i].demarche || j.AidantID != nil || j.Info != store.InfoByUsager ||
			j.UsagerID == nil || *j.UsagerID != m.UsagerID || j.MandatID == nil || *j.MandatID != m.ID {
			t.Errorf("journal[%d] = %s %q aidant %v info %q, want %s %q by the usager", i, j.Action, j.Demarche, j.AidantID, j.Info, want[i].action, want[i].demarche)
		}
	}
	if rep, err := w.st.VerifyJournal(ctx); err != nil || rep.BrokenID != 0 {
		t.Fatalf("journal verify: %v %+v", err, rep)
	}
}

func second[A any](_ A, err error) error        { return err }
func third[A, B any](_ A, _ B, err error) error { return err }

func TestUsagerUsesNewestFirstPaginatedWithTheServiceName(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	if _, err := w.st.UpsertIdPClient(ctx, store.IdPClientInput{ID: "caf", Name: "Caisse d'allocations familiales", Secret: "0123456789abcdef0123456789abcdef",
		RedirectURIs: []string{"https://caf.example/callback"}, Source: "config"}); err != nil {
		t.Fatal(err)
	}
	m := w.mandat(t, w.aidant, "sub-marie", "LONG", "papiers", "famille")
	other := w.mandat(t, w.foreigner, "sub-paul", "LONG", "papiers")
	w.use(t, other, &other.Autorisations[0], "caf") // someone else's: never listed
	for i := range store.UsesPerPage + 5 {
		w.clock.Advance(time.Minute)
		a, client := autorisationOf(t, m, "papiers"), "caf"
		if i%2 == 1 {
			a, client = autorisationOf(t, m, "famille"), "unknown-client"
		}
		w.use(t, m, a, client)
	}
	first, err := w.st.ListUsagerUses(ctx, m.UsagerID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if first.Total != store.UsesPerPage+5 || first.Pages != 2 || first.Page != 1 || len(first.Rows) != store.UsesPerPage {
		t.Fatalf("page 1: total %d, %d pages, page %d, %d rows", first.Total, first.Pages, first.Page, len(first.Rows))
	}
	newest := first.Rows[0]
	// The last use (i = 24, even): papiers at the CAF.
	if !newest.At.Equal(w.clock.Now()) || newest.Demarche != "papiers" || newest.OrganisationName != "MFS" ||
		newest.AidantName() != "A B." || newest.ServiceName != "Caisse d'allocations familiales" {
		t.Errorf("newest use = %+v (%s)", newest, newest.AidantName())
	}
	if r := first.Rows[1]; r.Demarche != "famille" || r.ServiceName != "" {
		t.Errorf("a use on a client we do not know: %+v", r)
	}
	for i := 1; i < len(first.Rows); i++ {
		if !first.Rows[i].At.Before(first.Rows[i-1].At) {
			t.Fatalf("not newest first at %d", i)
		}
	}
	last, err := w.st.ListUsagerUses(ctx, m.UsagerID, 9)
	if err != nil {
		t.Fatal(err)
	}
	if last.Page != 2 || len(last.Rows) != 5 || !last.Rows[4].At.Before(first.Rows[len(first.Rows)-1].At) {
		t.Fatalf("page past the end: page %d, %d rows", last.Page, len(last.Rows))
	}
	none, err := w.st.ListUsagerUses(ctx, m.UsagerID+1000, 1)
	if err != nil || none.Total != 0 || none.Pages != 1 || len(none.Rows) != 0 {
		t.Fatalf("a usager with no use: %+v %v", none, err)
	}
}
