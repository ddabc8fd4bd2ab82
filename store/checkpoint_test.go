package store_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/store"
)

// asOwner runs sql with the journal's triggers disabled, as its owner or a superuser could.
func asOwner(t *testing.T, st *store.Store, sql string) {
	t.Helper()
	_, err := st.DB().ExecContext(context.Background(), "ALTER TABLE journal DISABLE TRIGGER USER; ALTER TABLE journal_checkpoints DISABLE TRIGGER USER; "+
		sql+"; ALTER TABLE journal ENABLE TRIGGER USER; ALTER TABLE journal_checkpoints ENABLE TRIGGER USER")
	if err != nil {
		t.Fatal(err)
	}
}

func checkpoint(t *testing.T, st *store.Store) *store.JournalCheckpoint {
	t.Helper()
	cp, err := st.WriteJournalCheckpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

func verify(t *testing.T, st *store.Store, extra ...store.JournalCheckpoint) store.JournalReport {
	t.Helper()
	rep, err := st.VerifyJournal(context.Background(), extra...)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestCheckpointsCountTheJournal(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	if cp := checkpoint(t, st); cp != nil {
		t.Fatalf("a checkpoint of an empty journal: %+v", cp)
	}
	a, orgs := seedJournal(t, st)
	cp := checkpoint(t, st)
	if cp == nil || cp.Entries != 3 || len(cp.HeadHash) != sha256.Size {
		t.Fatalf("checkpoint %+v", cp)
	}
	if !ed25519.Verify(st.CheckpointPublicKey(), []byte(cp.Message()), cp.Signature) {
		t.Fatal("the checkpoint's signature does not verify with the public key")
	}
	if again := checkpoint(t, st); again != nil {
		t.Fatalf("a second checkpoint of a journal that did not move: %+v", again)
	}
	if _, err := st.SwitchOrganisation(context.Background(), a.ID, orgs[1].ID); err != nil {
		t.Fatal(err)
	}
	if cp := checkpoint(t, st); cp == nil || cp.Entries != 4 {
		t.Fatalf("after one more entry: %+v", cp)
	}
	rep := verify(t, st)
	if !rep.Intact() || rep.Checked != 4 || rep.Checkpoints != 2 || rep.Last.Entries != 4 || rep.Uncovered != 0 {
		t.Fatalf("report %+v", rep)
	}
	if _, err := st.SwitchOrganisation(context.Background(), a.ID, orgs[2].ID); err != nil {
		t.Fatal(err)
	}
	if rep := verify(t, st); !rep.Intact() || rep.Uncovered != 1 {
		t.Fatalf("an entry after the last checkpoint: %+v", rep)
	}
}

// Rows deleted at the end leave a chain intact as far as it goes: the checkpoint counts them.
func TestCheckpointCatchesTruncation(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	seedJournal(t, st)
	checkpoint(t, st)
	asOwner(t, st, "DELETE FROM journal WHERE id = (SELECT max(id) FROM journal)")
	rep := verify(t, st)
	if rep.Intact() || rep.BrokenID != 0 || rep.Missing != 1 || rep.Checked != 2 {
		t.Fatalf("last row deleted: %+v", rep)
	}
}

// An insider with the secret key and the owner's rights can re-chain what remains after a
// deletion; the checkpoint still names the row that stood at its place.
func TestCheckpointCatchesRechainWithTheKey(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	seedJournal(t, st)
	checkpoint(t, st)
	asOwner(t, st, "DELETE FROM journal WHERE id = (SELECT min(id) FROM journal)")
	rechain(t, st, func([]store.JournalEntry) {}, st.JournalMAC)
	rep := verify(t, st)
	if rep.Intact() || rep.Missing != 1 {
		t.Fatalf("first row deleted, the rest re-chained with the key: %+v", rep)
	}
	// With one more entry after the deletion the count matches again; the row at the
	// checkpoint's place does not.
	st2 := newStore(t)
	a, orgs := seedJournal(t, st2)
	checkpoint(t, st2)
	asOwner(t, st2, "DELETE FROM journal WHERE id = (SELECT min(id) FROM journal)")
	rechain(t, st2, func([]store.JournalEntry) {}, st2.JournalMAC)
	if _, err := st2.SwitchOrganisation(context.Background(), a.ID, orgs[1].ID); err != nil {
		t.Fatal(err)
	}
	if rep := verify(t, st2); rep.BrokenID == 0 || !strings.Contains(rep.BrokenWhy, "point de contrôle") {
		t.Fatalf("a re-chained journal of the same length: %+v", rep)
	}
}

// A checkpoint row added by someone without the key does not verify, and says so.
func TestForgedCheckpointIsReported(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	seedJournal(t, st)
	cp := checkpoint(t, st)
	_, err := st.DB().ExecContext(context.Background(), "INSERT INTO journal_checkpoints (created_at, entries, head_id, head_hash, signature) VALUES (now(), 2, ?, ?, ?)",
		cp.HeadID, cp.HeadHash, make([]byte, 64))
	if err != nil {
		t.Fatal(err)
	}
	if rep := verify(t, st); rep.Intact() || !strings.Contains(rep.ForgedCheckpoint, "n'est pas signé") {
		t.Fatalf("a forged checkpoint: %+v", rep)
	}
}

// The published document holds no personal data, verifies with its public key alone, and an
// auditor's copy of it still catches a truncation after the database's checkpoints were
// deleted too.
func TestPublishedCheckpointsOutliveTheDatabase(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	seedJournal(t, st)
	checkpoint(t, st)
	doc, err := st.PublishCheckpoints(context.Background(), 100)
	if err != nil || len(doc.Checkpoints) != 1 || doc.Algorithm != "Ed25519" {
		t.Fatalf("document %+v %v", doc, err)
	}
	body, _ := json.Marshal(doc)
	for _, personal := range []string{"a@example.fr", `"A"`, "switch_organisation"} {
		if strings.Contains(string(body), personal) {
			t.Errorf("the published checkpoints hold %q: %s", personal, body)
		}
	}
	pub, _ := base64.StdEncoding.DecodeString(doc.PublicKey)
	sig, _ := base64.StdEncoding.DecodeString(doc.Checkpoints[0].Signature)
	if !ed25519.Verify(pub, []byte(doc.Checkpoints[0].Signed), sig) || !strings.Contains(doc.Checkpoints[0].Signed, "entries=3\n") {
		t.Fatalf("the published checkpoint does not verify with the published key: %+v", doc.Checkpoints[0])
	}
	kept, err := store.ParseCheckpoints([]byte("[" + string(body) + "]"))
	if err != nil || len(kept) != 1 {
		t.Fatalf("parse: %v %v", kept, err)
	}
	asOwner(t, st, "DELETE FROM journal WHERE id = (SELECT max(id) FROM journal); DELETE FROM journal_checkpoints")
	if rep := verify(t, st); !rep.Intact() {
		t.Fatalf("without checkpoints the truncation cannot show: %+v", rep)
	}
	if rep := verify(t, st, kept...); rep.Intact() || rep.Missing != 1 {
		t.Fatalf("with the auditor's copy: %+v", rep)
	}
	// A copy that was tampered with is not taken at its word.
	kept[0].Entries = 2
	if rep := verify(t, st, kept...); !strings.Contains(rep.ForgedCheckpoint, "fourni") {
		t.Fatalf("a tampered copy: %+v", rep)
	}
}

// Rows chained before the chain was keyed are checked under the old chain, then re-chained
// once; a broken old chain is refused and left as it is.
func TestRechainJournal(t *testing.T) {
	t.Parallel()
	for _, broken := range []bool{false, true} {
		st := newStore(t)
		seedJournal(t, st)
		rechain(t, st, func(rows []store.JournalEntry) {}, legacyHash)
		if broken {
			asOwner(t, st, "UPDATE journal SET info = 'falsifié' WHERE id = (SELECT max(id) FROM journal)")
		}
		if _, err := st.DB().ExecContext(context.Background(), "INSERT INTO journal_rechain SELECT max(id) FROM journal"); err != nil {
			t.Fatal(err)
		}
		if rep := verify(t, st); rep.Intact() {
			t.Fatalf("an unkeyed chain verifies: %+v", rep)
		}
		n, err := st.RechainJournal(context.Background())
		waits, _ := st.JournalAwaitsRechain(context.Background())
		if broken {
			if err == nil || !strings.Contains(err.Error(), "does not verify under the old chain") || !waits {
				t.Fatalf("a broken old chain: %d %v, waits %v", n, err, waits)
			}
			continue
		}
		if err != nil || n != 3 || waits {
			t.Fatalf("re-chain: %d %v, waits %v", n, err, waits)
		}
		if rep := verify(t, st); !rep.Intact() || rep.Checked != 3 {
			t.Fatalf("after the re-chain: %+v", rep)
		}
		if n, err := st.RechainJournal(context.Background()); n != 0 || err != nil {
			t.Fatalf("a second re-chain: %d %v", n, err)
		}
	}
}
