package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aidantsconnect/ac/store"
)

var errRolledBack = errors.New("the action is rolled back")

// chainWorld is organisations A and B and n aidants, each a member of both: every
// SwitchOrganisation is one journaled action.
func chainWorld(t *testing.T, st *store.Store, n int) (aidants []*store.Aidant, orgs [2]*store.Organisation) {
	t.Helper()
	ctx := context.Background()
	for i, name := range []string{"A", "B"} {
		orgs[i] = &store.Organisation{Name: name}
		if err := st.CreateOrganisation(ctx, orgs[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		a := &store.Aidant{Email: fmt.Sprintf("aidant%d@example.fr", i), FirstName: "A", LastName: "B", CurrentOrganisationID: orgs[0].ID, IsActive: true}
		if err := st.CreateAidant(ctx, a, false); err != nil {
			t.Fatal(err)
		}
		if err := st.AddMembership(ctx, a.ID, orgs[1].ID, false); err != nil {
			t.Fatal(err)
		}
		aidants = append(aidants, a)
	}
	return aidants, orgs
}

func entryOf(t *testing.T, st *store.Store, aidantID int64) store.JournalEntry {
	t.Helper()
	var e store.JournalEntry
	if err := st.DB().NewSelect().Model(&e).Where("aidant_id = ?", aidantID).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

// An entry whose transaction commits after a later entry's (a lower id, committed later)
// gets its place after it: the chain's order is the chainer's, final once written, and the
// chain verifies.
func TestJournalChainsInCommitOrder(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	as, orgs := chainWorld(t, st, 2)
	inserted, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- st.InTx(ctx, func(tx *store.Store) error {
			if _, err := tx.SwitchOrganisation(ctx, as[0].ID, orgs[1].ID); err != nil {
				return err
			}
			close(inserted) // the entry is inserted, its transaction still open
			<-release
			return nil
		})
	}()
	<-inserted
	if _, err := st.SwitchOrganisation(ctx, as[1].ID, orgs[1].ID); err != nil {
		t.Fatal(err)
	}
	// The chainer does not wait for the open transaction, and does not see its entry.
	if n, err := st.ChainJournal(ctx); err != nil || n != 1 {
		t.Fatalf("first pass chained %d (%v), want the committed entry only", n, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, err := st.ChainJournal(ctx); err != nil || n != 1 {
		t.Fatalf("second pass chained %d (%v), want the late entry", n, err)
	}
	early, late := entryOf(t, st, as[0].ID), entryOf(t, st, as[1].ID)
	if early.ID > late.ID || *early.Seq != 2 || *late.Seq != 1 {
		t.Fatalf("entry %d at place %d, entry %d at place %d: want the lower id, committed later, second", early.ID, *early.Seq, late.ID, *late.Seq)
	}
	if rep := verify(t, st); !rep.Intact() || rep.Checked != 2 || rep.Unchained != 0 {
		t.Fatalf("report %+v", rep)
	}
}

// Many writers journal actions at once, some rolled back, while the chainer runs: every
// committed action has exactly one entry, each chained once, the chain verifies whole, and a
// tampered entry still breaks it.
func TestJournalChainUnderConcurrentWriters(t *testing.T) {
	t.Parallel()
	const writers, actions = 16, 20
	st := newStore(t)
	ctx := context.Background()
	as, orgs := chainWorld(t, st, writers)
	committed := make([]int, writers)
	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cur := 0 // each action switches to the other organisation
			for i := range actions {
				org := orgs[1-cur].ID
				var err error
				if (w+i)%4 == 0 { // rolled back after its entry was inserted
					err = st.InTx(ctx, func(tx *store.Store) error {
						if _, err := tx.SwitchOrganisation(ctx, as[w].ID, org); err != nil {
							return err
						}
						return errRolledBack
					})
					if errors.Is(err, errRolledBack) {
						err = nil
					}
				} else if _, err = st.SwitchOrganisation(ctx, as[w].ID, org); err == nil {
					committed[w]++
					cur = 1 - cur
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	stop := make(chan struct{})
	chained := make(chan int)
	go func() { // the chainer, pass after pass while the writers write
		total := 0
		for {
			select {
			case <-stop:
				chained <- total
				return
			default:
			}
			n, err := st.ChainJournal(ctx)
			if err != nil {
				errs <- err
			}
			total += n
		}
	}()
	wg.Wait()
	close(stop)
	total := <-chained
	n, err := st.ChainJournal(ctx) // what committed after the chainer's last pass
	if err != nil {
		t.Fatal(err)
	}
	total += n
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := 0
	for w := range writers {
		want += committed[w]
		got, err := st.DB().NewSelect().Model((*store.JournalEntry)(nil)).Where("aidant_id = ? AND action = ?", as[w].ID, store.ActionSwitchOrganisation).Count(ctx)
		if err != nil || got != int64(committed[w]) {
			t.Errorf("aidant %d: %d entries (%v) for %d committed actions", w, got, err, committed[w])
		}
	}
	if total != want {
		t.Errorf("the chainer chained %d entries, %d actions committed", total, want)
	}
	rep := verify(t, st)
	if !rep.Intact() || rep.Checked != want || rep.Unchained != 0 {
		t.Fatalf("report %+v, want %d entries checked", rep, want)
	}
	asOwner(t, st, "UPDATE journal SET info = 'falsifié' WHERE seq = 7")
	if rep := verify(t, st); rep.BrokenID == 0 || !strings.Contains(rep.BrokenWhy, "contenu") {
		t.Fatalf("a tampered entry verifies: %+v", rep)
	}
}

// The serving role may set an entry's chain columns once, when it chains it, and nothing
// else: the journal's trigger refuses changing a chained entry, or content while chaining.
func TestJournalChainColumnsSetOnce(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	as, orgs := chainWorld(t, st, 1)
	if _, err := st.SwitchOrganisation(ctx, as[0].ID, orgs[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().ExecContext(ctx, "UPDATE journal SET seq = 1, prev_hash = '\\x00', hash = '\\x01', info = 'falsifié' WHERE seq IS NULL"); err == nil ||
		!strings.Contains(err.Error(), "append-only") {
		t.Errorf("content changed while chaining: %v", err)
	}
	if n, err := st.ChainJournal(ctx); err != nil || n != 1 {
		t.Fatalf("chained %d: %v", n, err)
	}
	for _, q := range []string{
		"UPDATE journal SET hash = sha256(hash)",
		"UPDATE journal SET seq = 2",
		"UPDATE journal SET seq = NULL, prev_hash = NULL, hash = NULL",
	} {
		if _, err := st.DB().ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want append-only refusal", q, err)
		}
	}
	if rep := verify(t, st); !rep.Intact() || rep.Checked != 1 {
		t.Fatalf("report %+v", rep)
	}
}
