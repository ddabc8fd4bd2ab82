package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
)

// TestLoginJourney walks a demo aidant from the login page to the espace aidant, with and
// without JavaScript, checking accessibility on every page.
func TestLoginJourney(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)

		navigate(t, ctx, srv.URL+"/accounts/login/")
		assertAxe(t, ctx, "connexion")

		// A wrong code: the same generic message, in an error summary, on a 422.
		typeInto(t, ctx, "#email", app.DemoAidantEmail)
		typeInto(t, ctx, "#otp_token", "000000")
		click(t, ctx, "form[action='/accounts/login/'] button[type=submit]")
		waitVisible(t, ctx, ".fr-alert--error")
		if got := textOf(t, ctx, ".fr-alert--error"); !strings.Contains(got, "Les informations saisies ne permettent pas de vous identifier.") {
			t.Fatalf("error summary = %q", got)
		}
		if !noJS {
			// The login page loads no htmx: app.js moves focus to the summary, as after a swap.
			waitJS(t, ctx, `document.activeElement === document.querySelector(".fr-alert--error[data-focus]")`)
		}
		assertAxe(t, ctx, "connexion en erreur")

		typeInto(t, ctx, "#email", app.DemoAidantEmail)
		typeInto(t, ctx, "#otp_token", app.DemoCode)
		click(t, ctx, "form[action='/accounts/login/'] button[type=submit]")
		waitVisible(t, ctx, ".fr-alert--success")
		if h1 := textOf(t, ctx, "h1"); h1 != "Confirmation de connexion" {
			t.Fatalf("after login form: h1 = %q", h1)
		}
		assertAxe(t, ctx, "confirmation")

		navigate(t, ctx, srv.URL+"/dev/emails/")
		assertAxe(t, ctx, "boîte d'envoi")
		link := apptest.LoginURLPattern.FindString(textOf(t, ctx, ".ac-email-body"))
		if link != srv.LastLoginURL() {
			t.Fatalf("outbox page shows %q", link)
		}

		navigate(t, ctx, link)
		if noJS {
			// Without JavaScript the wait page stays until the aidant continues.
			if h1 := textOf(t, ctx, "h1"); h1 != "Connexion en cours…" {
				t.Fatalf("wait page h1 = %q", h1)
			}
			assertAxe(t, ctx, "attente")
			click(t, ctx, "#magic-link-form button[type=submit]")
		}
		// With JavaScript the wait page continues by itself.
		waitVisible(t, ctx, "h1.ac-welcome")
		if h1 := textOf(t, ctx, "h1"); !strings.HasPrefix(h1, "Bienvenue, Jean") {
			t.Fatalf("espace aidant h1 = %q", h1)
		}
		if u := currentURL(t, ctx); !strings.HasSuffix(u, "/espace-aidant/") {
			t.Fatalf("landed on %s", u)
		}
		assertAxe(t, ctx, "espace aidant")

		// Logging out ends the session and says so.
		click(t, ctx, "button[form=ac-logout]")
		waitVisible(t, ctx, ".fr-alert--success")
		if got := textOf(t, ctx, ".fr-alert--success"); !strings.Contains(got, "Vous avez été déconnecté.") {
			t.Fatalf("after logout: %q", got)
		}
		navigate(t, ctx, srv.URL+"/espace-aidant/")
		if u := currentURL(t, ctx); !strings.Contains(u, "/accounts/login/?next=") {
			t.Fatalf("espace aidant after logout: %s", u)
		}
	})
}

// loginDemo logs the demo aidant in through the real pages (email, demo code, outbox link).
func loginDemo(t *testing.T, ctx context.Context, srv *apptest.Env, noJS bool) {
	t.Helper()
	navigate(t, ctx, srv.URL+"/accounts/login/")
	submitDemoLogin(t, ctx, srv, noJS)
	waitVisible(t, ctx, "h1.ac-welcome")
}

// submitDemoLogin fills the login page the browser is on for the demo aidant and follows the
// emailed link; the aidant lands wherever the login was asked from.
func submitDemoLogin(t *testing.T, ctx context.Context, srv *apptest.Env, noJS bool) {
	t.Helper()
	typeInto(t, ctx, "#email", app.DemoAidantEmail)
	typeInto(t, ctx, "#otp_token", app.DemoCode)
	click(t, ctx, "form[action='/accounts/login/'] button[type=submit]")
	waitVisible(t, ctx, ".fr-alert--success")
	navigate(t, ctx, srv.LastLoginURL())
	if noJS {
		click(t, ctx, "#magic-link-form button[type=submit]")
	}
}

// TestLoginPageWeight measures the cold login page as transferred (compressed): HTML, CSS,
// JS and the fonts the page actually uses. Budget: 70 000 B (issue 15), without htmx: the
// login steps load app.js alone (layout.AppOnly).
func TestLoginPageWeight(t *testing.T) {
	ctx := newBrowser(t, browserOpts{})
	srv := startServer(t)
	bytes := trackBytes(t, ctx)
	coldCache(t, ctx)
	bytes.Reset()
	navigate(t, ctx, srv.URL+"/accounts/login/")
	if err := bytes.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	var total int64
	for u, n := range bytes.ByURL() {
		if strings.HasSuffix(u, "/favicon.ico") {
			continue
		}
		if strings.Contains(u, "/htmx") {
			t.Errorf("the login page loads htmx: %s", u)
		}
		t.Logf("%7d B  %s", n, u)
		total += n
	}
	t.Logf("cold login page: %d B transferred", total)
	if total > 70_000 {
		t.Fatalf("cold login page weighs %d B, budget 70 000 B", total)
	}
}
