package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
)

// The journeys of an aidant at the counter: double clicks, Back, slow links, renewal and the
// rough edges around the wizard.

const recapForm = "form[action='/espace-aidant/creation_mandat/recapitulatif/']"

// toRecap walks step 1 (the démarches and duration given) and the simulator's FranceConnect
// (identity 1) to the recap.
func toRecap(t *testing.T, ctx context.Context, srv *apptest.Env, duree string, demarches ...string) {
	t.Helper()
	navigate(t, ctx, srv.URL+"/espace-aidant/creation_mandat/")
	for _, d := range demarches {
		click(t, ctx, "label[for=demarche-"+d+"]")
	}
	click(t, ctx, "label[for=duree-"+duree+"]")
	click(t, ctx, "button.fr-connect")
	waitVisible(t, ctx, "#identity-1")
	click(t, ctx, "label[for=identity-1]")
	click(t, ctx, "button[value=login]")
	waitVisible(t, ctx, "#personal_data-box")
}

// fillRecap ticks the consent and types the demo code.
func fillRecap(t *testing.T, ctx context.Context) {
	t.Helper()
	click(t, ctx, "label[for=personal_data-box]")
	typeInto(t, ctx, "#otp_token", app.DemoCode)
}

// TestCounterSignedOnce: a double click on « Enregistrer le mandat » creates one mandat and
// lands on its attestation; Back from the attestation says the mandat exists, with a link to
// it, never that nothing was saved.
func TestCounterSignedOnce(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		loginDemo(t, ctx, srv, noJS)
		toRecap(t, ctx, srv, "LONG", "papiers")
		fillRecap(t, ctx)
		if err := chromedp.Do(ctx, chromedp.DoubleClick(chromedp.CSS(recapForm+" button[type=submit]"))); err != nil {
			t.Fatal(err)
		}
		waitVisible(t, ctx, ".ac-attestation-print")
		if n := srv.Count("mandats"); n != 1 {
			t.Fatalf("%d mandats after a double click, want 1", n)
		}
		attestation := strings.SplitN(strings.TrimPrefix(currentURL(t, ctx), srv.URL), "?", 2)[0]
		if main := textOf(t, ctx, "main"); strings.Contains(main, "Rien n'a été enregistré") {
			t.Fatalf("the attestation page says nothing was saved: %s", main)
		}

		if noJS {
			// Without JavaScript Chromium may show the recap from its back-forward cache, as it
			// was: sending it again gets the same answer as below (TestMandatSignAgainAfterBack).
			// When it loads the page again, that is this GET.
			navigate(t, ctx, srv.URL+"/espace-aidant/creation_mandat/recapitulatif/")
		} else {
			if _, err := chromedp.Run(ctx, chromedp.NavigateBack()); err != nil {
				t.Fatal(err)
			}
		}
		waitVisible(t, ctx, "main h1")
		if h1 := textOf(t, ctx, "main h1"); h1 != "Ce mandat a déjà été créé" {
			t.Fatalf("after Back: h1 = %q (%s)", h1, textOf(t, ctx, "main"))
		}
		if strings.Contains(textOf(t, ctx, "main"), "Rien n'a été enregistré :") {
			t.Fatal("after Back the page says nothing was saved")
		}
		assertAxe(t, ctx, "mandat déjà créé")
		clickNavigateOrSwap(t, ctx, noJS, `main a[href="`+attestation+`"]`, ".ac-attestation-print")
		if n := srv.Count("mandats"); n != 1 {
			t.Fatalf("%d mandats, want 1", n)
		}
	})
}

// clickNavigateOrSwap clicks a link and waits for sel on the page it leads to (a new page
// without JavaScript, a boosted swap with it).
func clickNavigateOrSwap(t *testing.T, ctx context.Context, noJS bool, link, sel string) {
	t.Helper()
	if noJS {
		clickNavigate(t, ctx, link)
	} else {
		click(t, ctx, link)
	}
	waitVisible(t, ctx, sel)
}
