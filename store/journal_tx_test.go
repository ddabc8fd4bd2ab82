package store_test

import (
	"context"
	"errors"
	"slices"
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

// OnCommitted hears an action once its transaction has committed, and never one whose
// transaction rolled back (the metrics count what happened, not what was tried).
func TestOnCommittedHearsOnlyCommittedActions(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	var heard []string
	st.OnCommitted(func(action string) { heard = append(heard, action) })

	failed := errors.New("the action failed after journaling")
	err := st.InTx(ctx, func(tx *store.Store) error {
		if err := tx.AppendJournal(ctx, &store.JournalEntry{Action: store.ActionCancelMandat}); err != nil {
			return err
		}
		if len(heard) != 0 {
			t.Errorf("heard %v before the commit", heard)
		}
		return failed
	})
	if !errors.Is(err, failed) || len(heard) != 0 {
		t.Fatalf("rolled back: err %v, heard %v; want the failure and nothing heard", err, heard)
	}

	err = st.InTx(ctx, func(tx *store.Store) error {
		if err := tx.AppendJournal(ctx, &store.JournalEntry{Action: store.ActionCreateAttestation}); err != nil {
			return err
		}
		// A nested InTx is the same transaction: heard once, when the outer one commits.
		return tx.InTx(ctx, func(tx *store.Store) error {
			return tx.AppendJournal(ctx, &store.JournalEntry{Action: store.ActionCreateAutorisation})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{store.ActionCreateAttestation, store.ActionCreateAutorisation}; !slices.Equal(heard, want) {
		t.Errorf("heard %v, want %v", heard, want)
	}
}
