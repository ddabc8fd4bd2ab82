package store_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/store"
)

// rechain rewrites the whole journal, as its owner could with the triggers disabled: edit
// applied to the rows, then every place and hash recomputed in order with sum.
func rechain(t *testing.T, st *store.Store, edit func([]store.JournalEntry), sum func(*store.JournalEntry) []byte) {
	t.Helper()
	ctx := context.Background()
	var rows []store.JournalEntry
	if err := st.DB().NewSelect().Model(&rows).OrderExpr("id").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	edit(rows)
	prev := make([]byte, sha256.Size)
	if _, err := st.DB().ExecContext(ctx, "ALTER TABLE journal DISABLE TRIGGER USER"); err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		e := &rows[i]
		seq := int64(i + 1)
		e.Seq = &seq
		e.PrevHash = prev
		e.Hash = sum(e)
		prev = e.Hash
		if _, err := st.DB().NewUpdate().Model(e).Column("action", "seq", "prev_hash", "hash").WherePK().Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.DB().ExecContext(ctx, "ALTER TABLE journal ENABLE TRIGGER USER"); err != nil {
		t.Fatal(err)
	}
}

// legacyHash is a row's hash as the chain had it before it was keyed.
func legacyHash(e *store.JournalEntry) []byte {
	h := sha256.Sum256(e.Canonical())
	return h[:]
}

// The chain is keyed: someone who can rewrite the table and knows the algorithm (the code is
// public) but not the secret key cannot produce a chain that verifies.
func TestJournalChainRecomputedWithoutTheKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		sum  func(*store.JournalEntry) []byte
	}{
		{"plain SHA-256", legacyHash},
		{"HMAC-SHA256 under another key", func(e *store.JournalEntry) []byte {
			m := hmac.New(sha256.New, store.DeriveKey([]byte("another-secret-key-0123456789abcdef"), "aidants-connect/journal/chain/v1"))
			m.Write(e.Canonical())
			return m.Sum(nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newStore(t)
			seedJournal(t, st)
			rechain(t, st, func(rows []store.JournalEntry) { rows[0].Action = store.ActionCancelMandat }, tc.sum)
			rep, err := st.VerifyJournal(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if rep.BrokenID == 0 || !strings.Contains(rep.BrokenWhy, "contenu") {
				t.Fatalf("a chain recomputed without the key verifies: %+v", rep)
			}
		})
	}
}
