package e2e

import (
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app/apptest"
)

// TestEspaceHomeExpiringNotice: with the practice data of `go run .`, the demo aidant's home
// says that a mandat expires within 30 days and leads to the list; under axe, with and without
// JavaScript.
func TestEspaceHomeExpiringNotice(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t, apptest.WithPractice)
		loginDemo(t, ctx, srv, noJS)
		navigate(t, ctx, srv.URL+"/espace-aidant/")
		waitVisible(t, ctx, "#ac-expiring-soon")
		if got := textOf(t, ctx, "#ac-expiring-soon"); !strings.Contains(got, "1 mandat de votre organisation expire dans les 30 jours.") {
			t.Fatalf("notice: %q", got)
		}
		assertAxe(t, ctx, "espace aidant avec mandats qui expirent")
		clickOrSwap(t, ctx, noJS, "#ac-expiring-soon a", "main .fr-badge--warning")
		if page := strings.ToLower(textOf(t, ctx, "main")); !strings.Contains(page, "expire bientôt") { // the badge shows in capitals
			t.Fatalf("the list from the notice: %q", page)
		}
	})
}
