package handlers_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/store"
)

// The checkpoints are public, hold no personal data and verify with the key published beside
// them; a copy of them is what `ac journal verify` checks the journal against.
func TestJournalCheckpointsArePublished(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	org := e.Org("Maison France Services de Beaugency")
	p := e.Aidant("jean.dupont@example.fr", org, true)
	empty := e.Browser().Get("/journal/points-de-controle.json")
	if empty.Status != http.StatusOK || !strings.Contains(empty.Body, `"checkpoints":[]`) {
		t.Fatalf("without checkpoints: %d %s", empty.Status, empty.Body)
	}
	e.Login(p)
	if _, err := e.App.Store.WriteJournalCheckpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := e.Browser().Get("/journal/points-de-controle.json")
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("checkpoints: %d %q", r.Status, r.Header.Get("Content-Type"))
	}
	for _, personal := range []string{"jean", "Dupont", "Beaugency", "connect_aidant", "example.fr"} {
		if strings.Contains(strings.ToLower(r.Body), strings.ToLower(personal)) {
			t.Errorf("the public checkpoints mention %q: %s", personal, r.Body)
		}
	}
	var doc store.PublishedCheckpoints
	if err := json.Unmarshal([]byte(r.Body), &doc); err != nil || len(doc.Checkpoints) != 1 {
		t.Fatalf("document %s: %v", r.Body, err)
	}
	pub, _ := base64.StdEncoding.DecodeString(doc.PublicKey)
	cp := doc.Checkpoints[0]
	sig, _ := base64.StdEncoding.DecodeString(cp.Signature)
	if cp.Entries != 1 || !ed25519.Verify(pub, []byte(cp.Signed), sig) {
		t.Fatalf("checkpoint %+v does not verify with the published key", cp)
	}
	kept, err := store.ParseCheckpoints([]byte(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := e.App.Store.VerifyJournal(context.Background(), kept...); err != nil || !rep.Intact() || rep.Checkpoints != 1 {
		t.Fatalf("verify against the copy: %+v %v", rep, err)
	}
}
