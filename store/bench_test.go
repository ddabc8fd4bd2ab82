package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aidantsconnect/ac/store"
)

// BenchmarkCreateMandat times the signature transaction: code check, mandat, two
// autorisations, revocation of the older ones, five journal rows. The flow (step 1 and the
// FranceConnect identity) is prepared outside the timer.
func BenchmarkCreateMandat(b *testing.B) {
	w := newWorldB(b)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		token, err := w.st.StartMandatFlow(ctx, w.aidant.ID, w.org.ID, store.MandatChoice{Demarches: []string{"papiers", "argent"}, Duree: "SHORT"}, nil)
		if err != nil {
			b.Fatal(err)
		}
		state := fmt.Sprintf("state-%d", i)
		if err := w.st.SetFCState(ctx, w.aidant.ID, token, state, w.st.FCNonce(state)); err != nil {
			b.Fatal(err)
		}
		f, err := w.st.FlowForCallback(ctx, w.aidant.ID, token, state)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.st.IdentifyUsager(ctx, f, identity(fmt.Sprintf("sub-%d", i%50))); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := w.st.CreateMandat(ctx, store.CreateMandatInput{AidantID: w.aidant.ID, FlowToken: token, Code: "123456", AllowDemo: true}); err != nil {
			b.Fatal(err)
		}
	}
}
