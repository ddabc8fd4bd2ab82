package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/store/storetest"
)

// world is two organisations with one demo aidant each (demo code allowed in these tests).
type world struct {
	st         *store.Store
	clock      *storetest.Clock
	org, other *store.Organisation
	aidant     *store.Aidant
	colleague  *store.Aidant
	foreigner  *store.Aidant
}

func newWorld(t *testing.T) *world { return newWorldB(t) }

func newWorldB(t testing.TB) *world {
	t.Helper()
	ctx := context.Background()
	sealer, err := store.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{clock: storetest.NewClock(t)}
	w.st = store.New(storetest.New(t), w.clock.Now, sealer)
	w.org = &store.Organisation{Name: "MFS", AllowedDemarches: []string{"papiers", "famille", "argent", "social"}}
	w.other = &store.Organisation{Name: "CCAS"}
	for _, o := range []*store.Organisation{w.org, w.other} {
		if err := w.st.CreateOrganisation(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(email string, org *store.Organisation) *store.Aidant {
		a := &store.Aidant{Email: email, FirstName: "A", LastName: "B", CurrentOrganisationID: org.ID, IsActive: true, IsDemo: true, CanCreateMandats: true}
		if err := w.st.CreateAidant(ctx, a, false); err != nil {
			t.Fatal(err)
		}
		return a
	}
	w.aidant, w.colleague, w.foreigner = mk("a@x.fr", w.org), mk("b@x.fr", w.org), mk("c@x.fr", w.other)
	return w
}

func identity(sub string) store.FCIdentity {
	return store.FCIdentity{Sub: sub, GivenName: "Marie", FamilyName: "Dupont", Birthdate: "1950-03-02", Gender: "female", Birthplace: "75056", Birthcountry: "99100", Email: "marie@example.fr"}
}

// mandat runs the whole flow through the store for aidant and returns the mandat.
func (w *world) mandat(t *testing.T, a *store.Aidant, sub string, duree string, demarches ...string) *store.Mandat {
	t.Helper()
	m, _ := storetest.Mandat(t, w.st, a, identity(sub), duree, demarches...)
	return m
}

func (w *world) get(t *testing.T, orgID, id int64) *store.Mandat {
	t.Helper()
	m, err := w.st.GetMandat(context.Background(), orgID, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDemarcheNotAllowedIsRefusedByTheStore(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, c := range []store.MandatChoice{
		{Demarches: []string{"papiers", "justice"}, Duree: "SHORT"}, // justice not offered by this organisation
		{Demarches: []string{"inconnue"}, Duree: "SHORT"},
		{Demarches: nil, Duree: "SHORT"},
		{Demarches: []string{"papiers"}, Duree: "FOREVER"},
	} {
		_, err := w.st.StartMandatFlow(context.Background(), w.aidant.ID, w.org.ID, c, nil)
		if !errors.Is(err, store.ErrDemarcheNotAllowed) {
			t.Errorf("%+v: err = %v", c, err)
		}
	}
}

func TestNewMandatRevokesOnlySameOrganisationActiveAutorisations(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	first := w.mandat(t, w.colleague, "sub-1", "LONG", "papiers", "famille")
	foreign := w.mandat(t, w.foreigner, "sub-1", "LONG", "papiers")
	expired := w.mandat(t, w.aidant, "sub-1", "SHORT", "social")
	w.clock.Advance(48 * time.Hour) // the SHORT mandat is now expired
	second := w.mandat(t, w.aidant, "sub-1", "MONTH", "papiers", "social")

	got := w.get(t, w.org.ID, first.ID)
	state := map[string]bool{}
	for _, a := range got.Autorisations {
		state[a.Demarche] = a.RevokedAt != nil
	}
	if !state["papiers"] || state["famille"] {
		t.Fatalf("first mandat revocations = %v, want papiers revoked only", state)
	}
	if m := w.get(t, w.other.ID, foreign.ID); m.Autorisations[0].RevokedAt != nil {
		t.Fatal("another organisation's autorisation was revoked")
	}
	if m := w.get(t, w.org.ID, expired.ID); m.Autorisations[0].RevokedAt != nil {
		t.Fatal("an expired mandat's autorisation was revoked")
	}
	if m := w.get(t, w.org.ID, second.ID); m.Status(w.clock.Now()) != store.StatusActive || len(m.Autorisations) != 2 {
		t.Fatalf("second mandat %+v", m)
	}
	js, _ := w.st.ListJournal(ctx, w.org.ID, 100)
	count := map[string]int{}
	for _, j := range js {
		count[j.Action]++
	}
	want := map[string]int{"franceconnect_usager": 3, "create_attestation": 3, "create_autorisation": 5, "cancel_autorisation": 1}
	for k, v := range want {
		if count[k] != v {
			t.Errorf("journal %s = %d, want %d (all: %v)", k, count[k], v, count)
		}
	}
}

func TestMandatCreationFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	// A real failure in the middle of the transaction: the second autorisation insert fails.
	if _, err := w.st.DB().ExecContext(ctx, `
		CREATE FUNCTION fail_famille() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.demarche = 'famille' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$;
		CREATE TRIGGER fail_famille BEFORE INSERT ON autorisations FOR EACH ROW EXECUTE FUNCTION fail_famille();`); err != nil {
		t.Fatal(err)
	}
	before, _ := w.st.ListJournal(ctx, w.org.ID, 100)
	token, err := w.st.StartMandatFlow(ctx, w.aidant.ID, w.org.ID, store.MandatChoice{Demarches: []string{"papiers", "famille"}, Duree: "LONG"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.st.SetFCState(ctx, w.aidant.ID, token, "s", w.st.FCNonce("s")); err != nil {
		t.Fatal(err)
	}
	f, _ := w.st.FlowForCallback(ctx, w.aidant.ID, token, "s")
	if _, err := w.st.IdentifyUsager(ctx, f, identity("sub-x")); err != nil {
		t.Fatal(err)
	}
	afterFC, _ := w.st.ListJournal(ctx, w.org.ID, 100)
	_, err = w.st.CreateMandat(ctx, store.CreateMandatInput{AidantID: w.aidant.ID, FlowToken: token, Code: "123456", AllowDemo: true})
	if err == nil {
		t.Fatal("creation succeeded despite the failure")
	}
	for table, want := range map[string]int64{"mandats": 0, "autorisations": 0} {
		n, err := w.st.DB().NewSelect().Table(table).Count(ctx)
		if err != nil || n != want {
			t.Errorf("%s rows = %d (%v), want %d", table, n, err, want)
		}
	}
	after, _ := w.st.ListJournal(ctx, w.org.ID, 100)
	if len(after) != len(afterFC) || len(afterFC) != len(before)+1 {
		t.Fatalf("journal rows before %d, after FC %d, after failure %d", len(before), len(afterFC), len(after))
	}
	// The flow survives, so the aidant can retry once the problem is gone.
	if _, err := w.st.GetMandatFlow(ctx, w.aidant.ID, token); err != nil {
		t.Fatalf("flow lost: %v", err)
	}
}

func TestForeignMandatIsNotFound(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	m := w.mandat(t, w.aidant, "sub-1", "LONG", "papiers")
	if _, err := w.st.GetMandat(context.Background(), w.other.ID, m.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("foreign mandat: %v", err)
	}
	if _, err := w.st.GetRenewableUsager(context.Background(), w.other.ID, m.UsagerID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("foreign renewal: %v", err)
	}
}

func TestMandatStatusAndVerification(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	m := w.mandat(t, w.aidant, "sub-1", "SHORT", "papiers")
	token := w.st.VerifyToken(m.ID)
	got, err := w.st.GetMandatByVerifyToken(ctx, token)
	if err != nil || got.ID != m.ID || got.Status(w.clock.Now()) != store.StatusActive {
		t.Fatalf("verify: %+v %v", got, err)
	}
	if _, err := w.st.GetMandatByVerifyToken(ctx, token+"x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("wrong token: %v", err)
	}
	if s := got.Status(w.clock.Now().Add(25 * time.Hour)); s != store.StatusExpired {
		t.Fatalf("after a day: %s", s)
	}
	if !got.Renewable(w.clock.Now().Add(25*time.Hour)) || got.Renewable(w.clock.Now().Add(367*24*time.Hour)) {
		t.Fatal("renewable rule")
	}
	// A new mandat for the same démarche revokes the first one entirely.
	w.mandat(t, w.aidant, "sub-1", "LONG", "papiers")
	got, _ = w.st.GetMandatByVerifyToken(ctx, token)
	if got.Status(w.clock.Now()) != store.StatusRevoked || got.Renewable(w.clock.Now()) {
		t.Fatalf("revoked mandat: status %s", got.Status(w.clock.Now()))
	}
}

func TestUsagerUpdatedNotDuplicated(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.mandat(t, w.aidant, "sub-1", "LONG", "papiers")
	token, _ := w.st.StartMandatFlow(ctx, w.aidant.ID, w.org.ID, store.MandatChoice{Demarches: []string{"famille"}, Duree: "LONG"}, nil)
	_ = w.st.SetFCState(ctx, w.aidant.ID, token, "s2", "n")
	f, _ := w.st.FlowForCallback(ctx, w.aidant.ID, token, "s2")
	id := identity("sub-1")
	id.Email = "nouvelle@example.fr"
	u, err := w.st.IdentifyUsager(ctx, f, id)
	if err != nil || u.Email != "nouvelle@example.fr" {
		t.Fatalf("update: %+v %v", u, err)
	}
	n, _ := w.st.DB().NewSelect().Table("usagers").Count(ctx)
	if n != 1 {
		t.Fatalf("usagers = %d", n)
	}
	js, _ := w.st.ListJournal(ctx, w.org.ID, 1)
	if js[0].Action != store.ActionFranceConnectUsager {
		t.Fatalf("last journal = %s", js[0].Action)
	}
	// Replaying the same callback state is refused.
	if _, err := w.st.IdentifyUsager(ctx, f, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("replayed state: %v", err)
	}
}

// TestMandatFlowIsBoundToItsOrganisation: once the aidant has switched organisation, their
// flow neither takes a FranceConnect round trip nor records a usager, even when the switch
// comes between the callback's lookup and the recording.
func TestMandatFlowIsBoundToItsOrganisation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	if err := w.st.AddMembership(ctx, w.aidant.ID, w.other.ID, false); err != nil {
		t.Fatal(err)
	}
	token, err := w.st.StartMandatFlow(ctx, w.aidant.ID, w.org.ID, store.MandatChoice{Demarches: []string{"papiers"}, Duree: "LONG"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.st.SetFCState(ctx, w.aidant.ID, token, "s", w.st.FCNonce("s")); err != nil {
		t.Fatal(err)
	}
	f, err := w.st.FlowForCallback(ctx, w.aidant.ID, token, "s")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.SwitchOrganisation(ctx, w.aidant.ID, w.other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.IdentifyUsager(ctx, f, identity("sub-switch")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("IdentifyUsager after a switch: %v", err)
	}
	if _, err := w.st.FlowForCallback(ctx, w.aidant.ID, token, "s"); !errors.Is(err, store.ErrFlowOtherOrganisation) {
		t.Fatalf("FlowForCallback after a switch: %v", err)
	}
	if err := w.st.SetFCState(ctx, w.aidant.ID, token, "s2", w.st.FCNonce("s2")); !errors.Is(err, store.ErrFlowExpired) {
		t.Fatalf("SetFCState after a switch: %v", err)
	}
	if g, err := w.st.GetMandatFlow(ctx, w.aidant.ID, token); !errors.Is(err, store.ErrFlowOtherOrganisation) || g.Organisation.ID != w.org.ID {
		t.Fatalf("GetMandatFlow after a switch: %v", err)
	}
	if n, _ := w.st.DB().NewSelect().Table("usagers").Count(ctx); n != 0 {
		t.Fatalf("%d usagers recorded", n)
	}
	// Back in the first organisation, the flow goes on.
	if _, err := w.st.SwitchOrganisation(ctx, w.aidant.ID, w.org.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.IdentifyUsager(ctx, f, identity("sub-switch")); err != nil {
		t.Fatalf("IdentifyUsager back in the flow's organisation: %v", err)
	}
}

// TestIdentityControlCharactersAreRemoved: control and bidirectional characters FranceConnect
// may send never reach the stored usager (pages and PDFs show those names); the journal keeps
// what was received, escaped.
func TestIdentityControlCharactersAreRemoved(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	id := identity("sub-bidi")
	id.GivenName, id.FamilyName, id.PreferredUsername = "Ma\u202erie\x01", "\u2066Du\u200fpont\u2069", "Le\u0000 Gall\u2028"
	id.Email, id.Birthplace = "marie\u202e@example.fr", "75056\u200e"
	m, _ := storetest.Mandat(t, w.st, w.aidant, id, "LONG", "papiers")
	u := new(store.Usager)
	if err := w.st.DB().NewSelect().Model(u).Where("id = ?", m.UsagerID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if u.GivenName != "Marie" || u.FamilyName != "Dupont" || u.PreferredUsername != "Le Gall" || u.Email != "marie@example.fr" ||
		u.Birthplace != "75056" {
		t.Fatalf("stored %q %q %q %q %q", u.GivenName, u.FamilyName, u.PreferredUsername, u.Email, u.Birthplace)
	}
	var received string
	js, _ := w.st.ListJournal(ctx, w.org.ID, 100)
	for _, j := range js {
		if j.Action == store.ActionFranceConnectUsager {
			received = j.Info
		}
	}
	for _, want := range []string{`given_name="Ma\u202erie\x01"`, `family_name="\u2066Du\u200fpont\u2069"`, `email="marie\u202e@example.fr"`} {
		if !strings.Contains(received, want) {
			t.Errorf("journal info %q lacks %s", received, want)
		}
	}
	if strings.ContainsAny(received, "\u202e\x01\u2066") {
		t.Errorf("the journal holds the characters themselves: %q", received)
	}
	// FranceConnect sends the same person again, cleanly, then with a new usage name full of
	// controls: the stored names stay clean.
	id.PreferredUsername = "\u202eMartin"
	storetest.Mandat(t, w.st, w.aidant, id, "LONG", "famille")
	if err := w.st.DB().NewSelect().Model(u).Where("id = ?", m.UsagerID).Scan(ctx); err != nil || u.PreferredUsername != "Martin" {
		t.Fatalf("updated usage name %q (%v)", u.PreferredUsername, err)
	}
}
func TestCleanText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Marie-Thérèse":          "Marie-Thérèse",
		"N’Diaye Œuvrard":        "N’Diaye Œuvrard",
		"a\u202eb\u202cc":        "abc",
		"\u200e\u200fa\u061c":    "a",
		"a\x00b\x01c\x7fd\u009f": "abcd",
		"a\tb\nc\r\nd":           "a b c  d",
		"a\u2028b\u2029c":        "a b c",
		"  \u2066x\u2069  ":      "x",
		"\ufeffa\u00adb\u200bc":  "abc",
		"a\xffb":                 "ab",
		"Jean\u00a0Pierre":       "Jean\u00a0Pierre",
	} {
		if got := store.CleanText(in); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
	}
}
