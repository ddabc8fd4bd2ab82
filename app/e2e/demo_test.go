package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app/apptest"
)

// demoSiteToAidantsConnect opens the demo service site, its « S'identifier avec
// FranceConnect », and FranceConnect's identity-provider choice (as trainees will see it),
// choosing Aidants Connect: our FI's first page (or our login page) comes next.
func demoSiteToAidantsConnect(t *testing.T, ctx context.Context, srv *apptest.Env) {
	t.Helper()
	navigate(t, ctx, srv.URL+"/fcsim/demo/")
	assertAxe(t, ctx, "site de démonstration")
	clickNavigate(t, ctx, "main a[href*='connexion']")
	waitVisible(t, ctx, "button[name=fi][value=aidants-connect]")
	assertAxe(t, ctx, "choix du compte FranceConnect")
	clickNavigate(t, ctx, "button[name=fi][value=aidants-connect]")
}

// TestDemoServiceLoop is the trainee's whole loop in the bac à sable: a fictitious public
// service, "FranceConnect" (the simulator as broker), our identity provider's two steps, and
// back to the service with the usager's identity; axe on the pages of the loop.
func TestDemoServiceLoop(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		f := newUsagersFixture(t, srv)

		demoSiteToAidantsConnect(t, ctx, srv)
		// Not logged in: our login page, then back into the same authorize request.
		submitDemoLogin(t, ctx, srv, noJS)
		waitVisible(t, ctx, "#idp-search")
		clickOrSwap(t, ctx, noJS, fmt.Sprintf("button[name=usager][value='%d']", f.josephine.UsagerID), ".fr-tile")
		click(t, ctx, "button[name=demarche][value=social]")

		waitVisible(t, ctx, "#demo-connected")
		page := textOf(t, ctx, "main")
		if !strings.Contains(page, "Vous êtes connecté pour le compte de Joséphine Dupont") || !strings.Contains(page, "Démarche autorisée : Social - Santé") {
			t.Fatalf("back at the service: %q", page)
		}
		if strings.Contains(page, "Démarche autorisée : social") {
			t.Errorf("the service shows the raw key of the démarche: %q", page)
		}
		assertAxe(t, ctx, "service connecté")
	})
}
