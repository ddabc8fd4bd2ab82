package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

// startSandbox is the real app in sandbox mode (startServer's key is no dev key), with the
// demo seed.
func startSandbox(t *testing.T) *apptest.Env {
	t.Helper()
	return startServer(t, func(c *app.Config) { c.Mode = app.ModeSandbox })
}

// signUpTrainee fills the bac à sable's sign-up form and lands on the trainee's space,
// whose URL it returns.
func signUpTrainee(t *testing.T, ctx context.Context, srv *apptest.Env, first, last, email string) string {
	t.Helper()
	navigate(t, ctx, srv.URL+paths.SandboxSignup)
	assertAxe(t, ctx, "inscription au bac à sable")
	typeInto(t, ctx, "#first_name", first)
	typeInto(t, ctx, "#last_name", last)
	typeInto(t, ctx, "#email", email)
	click(t, ctx, "form[action='"+paths.SandboxSignup+"'] button[type=submit]")
	waitVisible(t, ctx, ".fr-alert--success")
	if h1 := textOf(t, ctx, "h1"); h1 != "Mon espace d'entraînement" {
		t.Fatalf("after the sign-up: h1 %q", h1)
	}
	assertAxe(t, ctx, "espace d'entraînement")
	u := currentURL(t, ctx)
	u, _, _ = strings.Cut(u, "?")
	return u
}

// traineeLogin logs a trainee in through the real pages: the demo code, then the link read
// in their own outbox (their space), landing on the espace aidant.
func traineeLogin(t *testing.T, ctx context.Context, srv *apptest.Env, space, email string) {
	t.Helper()
	navigate(t, ctx, srv.URL+paths.Login)
	typeInto(t, ctx, "#email", email)
	typeInto(t, ctx, "#otp_token", app.DemoCode)
	click(t, ctx, "form[action='/accounts/login/'] button[type=submit]")
	waitVisible(t, ctx, ".fr-alert--success")
	navigate(t, ctx, space)
	waitVisible(t, ctx, ".ac-email")
	assertAxe(t, ctx, "boîte d'envoi de l'espace d'entraînement")
	link := attr(t, ctx, ".ac-email a[href*='/chargement/code/']", "href")
	if !strings.HasPrefix(link, srv.URL+"/chargement/code/") {
		t.Fatalf("login link in the trainee's outbox: %q", link)
	}
	navigate(t, ctx, link) // the wait page posts the token by itself (app.js)
	waitVisible(t, ctx, "h1.ac-welcome")
}

// TestSandboxTraineeJourney is the bac à sable's Must show: a trainee signs up, logs in
// (email, demo code, the link from their own outbox), creates a mandat through the simulator,
// uses it from the demo service site (FranceConnect's identity-provider choice, our FI's
// steps), revokes it; then the reset removes them and puts the demo data back. Each step has
// a tab of its own (a tab's browser work is bounded, and the machine may be slow), the
// trainee logging in again in each.
func TestSandboxTraineeJourney(t *testing.T) {
	srv := startSandbox(t)
	const email = "ines.formee@exemple.fr"
	var space string
	var m struct{ ID, UsagerID, OrgID int64 }
	step := func(name string, f func(t *testing.T, ctx context.Context)) {
		t.Run(name, func(t *testing.T) { f(t, newBrowser(t, browserOpts{})) })
		if t.Failed() {
			t.FailNow()
		}
	}

	step("inscription", func(t *testing.T, ctx context.Context) {
		space = signUpTrainee(t, ctx, srv, "Inès", "Formée", email)
		if got := textOf(t, ctx, "table"); !strings.Contains(got, email) || !strings.Contains(got, "ines.formee+aidant1@exemple.fr") {
			t.Fatalf("accounts on the space: %q", got)
		}
	})

	step("mandat", func(t *testing.T, ctx context.Context) {
		traineeLogin(t, ctx, srv, space, email)
		assertAxe(t, ctx, "espace aidant du stagiaire")
		// For a person the practice data has not used.
		navigate(t, ctx, srv.URL+paths.MandatNew)
		assertAxe(t, ctx, "création de mandat")
		click(t, ctx, "label[for=demarche-social]")
		click(t, ctx, "label[for=duree-SHORT]")
		click(t, ctx, "button.fr-connect")
		waitVisible(t, ctx, "#identity-6")
		assertAxe(t, ctx, "FranceConnect (simulateur)")
		click(t, ctx, "label[for=identity-6]")
		click(t, ctx, "button[value=login]")
		waitVisible(t, ctx, "#personal_data-box")
		if recap := textOf(t, ctx, "main"); !strings.Contains(recap, "autorise Structure d'entraînement de Inès Formée") {
			t.Fatalf("recap: %q", recap)
		}
		assertAxe(t, ctx, "récapitulatif")
		click(t, ctx, "label[for=personal_data-box]")
		typeInto(t, ctx, "#otp_token", app.DemoCode)
		click(t, ctx, "form[action='"+paths.MandatRecap+"'] button[type=submit]")
		waitVisible(t, ctx, ".ac-attestation-print")
		assertAxe(t, ctx, "attestation")
		trainee, err := srv.App.Store.FindAidantByEmail(context.Background(), email)
		if err != nil {
			t.Fatal(err)
		}
		m.OrgID = trainee.CurrentOrganisationID
		if err := srv.App.DB.NewRaw("SELECT id, usager_id FROM mandats WHERE organisation_id = ? ORDER BY id DESC LIMIT 1",
			m.OrgID).Scan(context.Background(), &m.ID, &m.UsagerID); err != nil {
			t.Fatal(err)
		}
	})

	step("site de démonstration", func(t *testing.T, ctx context.Context) {
		traineeLogin(t, ctx, srv, space, email)
		demoSiteToAidantsConnect(t, ctx, srv)
		waitVisible(t, ctx, "#idp-search")
		assertAxe(t, ctx, "choix de l'usager")
		click(t, ctx, fmt.Sprintf("button[name=usager][value='%d']", m.UsagerID))
		waitVisible(t, ctx, "button[name=demarche][value=social]")
		assertAxe(t, ctx, "choix de la démarche")
		click(t, ctx, "button[name=demarche][value=social]")
		waitVisible(t, ctx, "#demo-connected")
		if page := textOf(t, ctx, "main"); !strings.Contains(page, "Vous êtes connecté pour le compte de Nadia") || !strings.Contains(page, "Social - Santé") {
			t.Fatalf("back at the service: %q", page)
		}
		assertAxe(t, ctx, "service connecté")
	})

	step("révocation", func(t *testing.T, ctx context.Context) {
		traineeLogin(t, ctx, srv, space, email)
		revoke := paths.MandatRevoke(m.ID)
		navigate(t, ctx, srv.URL+revoke)
		assertAxe(t, ctx, "confirmation de la révocation")
		click(t, ctx, `form[action="`+revoke+`"] button[type="submit"]`)
		waitVisible(t, ctx, ".fr-alert--success")
		assertAxe(t, ctx, "mandat révoqué")
		got, err := srv.App.Store.GetMandat(context.Background(), m.OrgID, m.ID)
		if err != nil || got.Status(srv.App.Store.Now()) != store.StatusRevoked {
			t.Fatalf("the mandat after its revocation: %v", err)
		}
	})

	step("remise à zéro", func(t *testing.T, ctx context.Context) {
		traineeLogin(t, ctx, srv, space, email) // a session the reset must end
		// As `ac sandbox reset` runs it: the trainee is gone, the demo data is back.
		if _, err := srv.App.ResetSandbox(context.Background(), store.SandboxPurge{AllTrainees: true, Demo: true}); err != nil {
			t.Fatal(err)
		}
		navigate(t, ctx, srv.URL+paths.Espace)
		waitVisible(t, ctx, "#otp_token") // the session went with the account: the login page
		typeInto(t, ctx, "#email", email)
		typeInto(t, ctx, "#otp_token", app.DemoCode)
		click(t, ctx, "form[action='/accounts/login/'] button[type=submit]")
		waitVisible(t, ctx, ".fr-alert--error")
		assertAxe(t, ctx, "connexion refusée après la remise à zéro")
		navigate(t, ctx, space)
		if h1 := textOf(t, ctx, "h1"); !strings.Contains(h1, "introuvable") {
			t.Fatalf("the trainee's space after the reset: %q", h1)
		}
		assertAxe(t, ctx, "espace d'entraînement effacé")
		if _, err := srv.App.Store.FindOrganisationByName(context.Background(), "Structure d'entraînement de Inès Formée"); err == nil {
			t.Error("the trainee's organisation is still there")
		}
		rep, err := srv.App.Store.VerifyJournal(context.Background())
		if err != nil || !rep.Intact() {
			t.Fatalf("journal after the reset: %+v %v", rep, err)
		}
	})

	step("démonstration restaurée", func(t *testing.T, ctx context.Context) {
		loginAs(t, ctx, srv, false, app.DemoAidantEmail, app.DemoCode) // the demo outbox has the demo aidant's link
		assertAxe(t, ctx, "espace aidant de démonstration")
	})
}

// TestSandboxSignupNoJS: the sign-up form without JavaScript, its errors included.
func TestSandboxSignupNoJS(t *testing.T) {
	ctx := newBrowser(t, browserOpts{NoJS: true})
	srv := startSandbox(t)
	navigate(t, ctx, srv.URL+paths.SandboxSignup)
	typeInto(t, ctx, "#first_name", "Inès")
	click(t, ctx, "form[action='"+paths.SandboxSignup+"'] button[type=submit]")
	waitVisible(t, ctx, ".fr-alert--error")
	if got := textOf(t, ctx, ".fr-alert--error"); !strings.Contains(got, "Saisissez votre nom.") || !strings.Contains(got, "Saisissez votre adresse e-mail.") {
		t.Fatalf("error summary: %q", got)
	}
	if status := lastDocumentStatus(t, ctx); status != 422 {
		t.Errorf("invalid sign-up: %d, want 422", status)
	}
	assertAxe(t, ctx, "inscription avec erreurs (sans JavaScript)")
	space := signUpTrainee(t, ctx, srv, "Inès", "Formée", "ines.nojs@exemple.fr")
	if !strings.Contains(space, "/bac-a-sable/boite/") {
		t.Fatalf("space URL %q", space)
	}
}
