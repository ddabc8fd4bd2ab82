package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func newStore(t *testing.T) *store.Store {
	t.Helper()
	sealer, err := store.NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return store.New(storetest.New(t), storetest.NewClock(t).Now, sealer)
}

// seedJournal creates an organisation, an aidant and a few journal rows through real actions.
func seedJournal(t *testing.T, st *store.Store) (*store.Aidant, []*store.Organisation) {
	t.Helper()
	ctx := context.Background()
	var orgs []*store.Organisation
	for _, name := range []string{"A", "B", "C"} {
		o := &store.Organisation{Name: name}
		if err := st.CreateOrganisation(ctx, o); err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, o)
	}
	a := &store.Aidant{Email: "a@example.fr", FirstName: "A", LastName: "B", CurrentOrganisationID: orgs[0].ID, IsActive: true}
	if err := st.CreateAidant(ctx, a, false); err != nil {
		t.Fatal(err)
	}
	for _, o := range orgs[1:] {
		if err := st.AddMembership(ctx, a.ID, o.ID, false); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range []*store.Organisation{orgs[1], orgs[2], orgs[0]} {
		if _, err := st.SwitchOrganisation(ctx, a.ID, o.ID); err != nil {
			t.Fatal(err)
		}
	}
	// The chainer's pass, as the App runs it after each commit: entries tampered with
	// before they are chained would be chained as they are (BENCHMARKS.md, the journal).
	if n, err := st.ChainJournal(ctx); err != nil || n != 3 {
		t.Fatalf("chained %d entries: %v", n, err)
	}
	return a, orgs
}

func TestJournalChainVerifies(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	seedJournal(t, st)
	rep, err := st.VerifyJournal(context.Background())
	if err != nil || rep.Checked != 3 || rep.BrokenID != 0 {
		t.Fatalf("report %+v, err %v", rep, err)
	}
}

func TestJournalRejectsUpdateAndDelete(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	seedJournal(t, st)
	ctx := context.Background()
	for _, q := range []string{
		"UPDATE journal SET info = 'x'",
		"DELETE FROM journal",
		"TRUNCATE journal",
	} {
		_, err := st.DB().ExecContext(ctx, q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want append-only refusal", q, err)
		}
	}
	rep, _ := st.VerifyJournal(ctx)
	if rep.Checked != 3 || rep.BrokenID != 0 {
		t.Fatalf("journal changed: %+v", rep)
	}
}

func TestJournalVerifyFindsTampering(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, sql string
		broken    int // index (0-based) of the row reported
		why       string
	}{
		{"content changed", "UPDATE journal SET info = 'falsifié' WHERE id = (SELECT min(id) + 1 FROM journal)", 1, "contenu"},
		{"row deleted", "DELETE FROM journal WHERE id = (SELECT min(id) FROM journal)", 1, "lien"},
		{"hash recomputed by hand", "UPDATE journal SET action = 'cancel_mandat', hash = sha256(hash) WHERE id = (SELECT min(id) FROM journal)", 0, "contenu"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newStore(t)
			seedJournal(t, st)
			ctx := context.Background()
			var ids []int64
			if err := st.DB().NewSelect().Table("journal").Column("id").Order("id").Scan(ctx, &ids); err != nil {
				t.Fatal(err)
			}
			// Only someone bypassing the trigger (a superuser) can alter the journal.
			if _, err := st.DB().ExecContext(ctx, "ALTER TABLE journal DISABLE TRIGGER USER; "+tc.sql+"; ALTER TABLE journal ENABLE TRIGGER USER"); err != nil {
				t.Fatal(err)
			}
			rep, err := st.VerifyJournal(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.BrokenID != ids[tc.broken] || !strings.Contains(rep.BrokenWhy, tc.why) {
				t.Fatalf("report %+v, want broken id %d (%s)", rep, ids[tc.broken], tc.why)
			}
		})
	}
}
