package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aidantsconnect/ac/store"
)

// The journal is written only in the transaction of the action it records: alone, it is refused.
func TestJournalRefusedOutsideTx(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		write   func(ctx context.Context, st *store.Store, e *store.JournalEntry) error
		wantErr error
		rows    int
	}{
		{"outside a transaction", func(ctx context.Context, st *store.Store, e *store.JournalEntry) error {
			return st.AppendJournal(ctx, e)
		}, store.ErrJournalOutsideTx, 0},
		{"inside InTx", func(ctx context.Context, st *store.Store, e *store.JournalEntry) error {
			return st.InTx(ctx, func(tx *store.Store) error { return tx.AppendJournal(ctx, e) })
		}, nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newStore(t)
			ctx := context.Background()
			err := tc.write(ctx, st, &store.JournalEntry{Action: store.ActionConnectAidant})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			n, err := st.DB().NewSelect().Model((*store.JournalEntry)(nil)).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if int(n) != tc.rows {
				t.Errorf("%d journal rows, want %d", n, tc.rows)
			}
			rep, err := st.VerifyJournal(ctx)
			if err != nil || rep.Checked != tc.rows || rep.BrokenID != 0 {
				t.Errorf("verify: %+v, err %v", rep, err)
			}
		})
	}
}
