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
	"testing"

	"github.com/aidantsconnect/ac/store"
)

// Mandat runs the whole mandat flow through the store — step 1, the FranceConnect identity,
// the signature — for a demo aidant (whose demo code is accepted), and returns the mandat and
// its usager. Cheaper than a FranceConnect round trip, and journaled like one.
func Mandat(t testing.TB, st *store.Store, a *store.Aidant, id store.FCIdentity, duree string, demarches ...string) (*store.Mandat, *store.Usager) {
	t.Helper()
	m, u, err := st.SignDemoMandat(context.Background(), a, id, duree, demarches)
	if err != nil {
		t.Fatal(err)
	}
	return m, u
}
