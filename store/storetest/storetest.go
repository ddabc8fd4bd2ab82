// Package storetest is the one place for database fixtures.
//
// Each test gets its own real, migrated PostgreSQL database: one throwaway cluster per test
// binary (or the server in TEST_DATABASE_URL), one migrated template, and a cheap
// CREATE DATABASE … TEMPLATE copy per test, so tests run in parallel without seeing each
// other's rows:
//
//	func TestMain(m *testing.M) { storetest.Main(m) }
//
//	func TestX(t *testing.T) {
//		t.Parallel()
//		db := storetest.New(t)
//		…
//	}
//
// Data is built the way the application builds it, through the store's own API, so fixtures
// obey the same rules and journal the same actions. Clock is the tests' injected time.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/aidantsconnect/ac/store"
)

// Mandat runs the whole mandat flow through the store — step 1, the FranceConnect identity,
// the signature — for a demo aidant (whose demo code is accepted), and returns the mandat and
// its usager. Cheaper than a FranceConnect round trip, and journaled like one.
func Mandat(t testing.TB, st *store.Store, a *store.Aidant, id store.FCIdentity, duree string, demarches ...string) (*store.Mandat, *store.Usager) {
	t.Helper()
	ctx := context.Background()
	token, err := st.StartMandatFlow(ctx, a.ID, a.CurrentOrganisationID, store.MandatChoice{Demarches: demarches, Duree: duree}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	state := hex.EncodeToString(b)
	if err := st.SetFCState(ctx, a.ID, token, state, st.FCNonce(state)); err != nil {
		t.Fatal(err)
	}
	f, err := st.FlowForCallback(ctx, a.ID, token, state)
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.IdentifyUsager(ctx, f, id)
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.CreateMandat(ctx, store.CreateMandatInput{AidantID: a.ID, FlowToken: token, Code: "123456", AllowDemo: true})
	if err != nil {
		t.Fatal(err)
	}
	return m, u
}
