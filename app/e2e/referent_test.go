package e2e

import (
	"context"
	"encoding/base32"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/otp"
	"github.com/aidantsconnect/ac/store"
)

// The demo référent's journeys, with and without JavaScript, axe on every page: a carte from
// the stock to a login and back to the stock; an app and an account's activation; adding
// aidants and a co-référent.

// TestReferentCarteJourney: Camille links a free demo carte to Lucie, validates it with a
// code, Lucie logs in with the carte, Camille unlinks it with a reason.
func TestReferentCarteJourney(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		loginAs(t, ctx, srv, noJS, app.DemoReferentEmail, app.DemoCode)

		navigate(t, ctx, srv.URL+"/espace-referent/")
		if h1 := textOf(t, ctx, "h1"); h1 != "Espace référent" {
			t.Fatalf("home h1 = %q", h1)
		}
		assertAxe(t, ctx, "espace référent")
		openAidant(t, ctx, srv, noJS, "Lucie Sanscarte")
		assertAxe(t, ctx, "aidant sans carte")

		serial := app.DemoSerial(app.DemoStockFirst)
		typeInto(t, ctx, "#serial", serial)
		clickOrSwap(t, ctx, noJS, "#carte-panel form[action$='lier-carte/'] button[type=submit]", "#carte-code")
		if got := textOf(t, ctx, "#carte-panel"); !strings.Contains(got, "Carte n° "+serial+", à valider") {
			t.Fatalf("after the link: %q", got)
		}
		assertAxe(t, ctx, "carte liée")

		typeInto(t, ctx, "#carte-code", carteCode(t, srv, serial))
		submit(t, ctx, noJS, "#carte-panel form[action$='valider-carte/'] button[type=submit]")
		waitNotPresent(t, ctx, "#carte-code")
		if got := textOf(t, ctx, "#carte-panel"); !strings.Contains(got, "Carte n° "+serial+", validée") {
			t.Fatalf("after the validation: %q", got)
		}
		assertAxe(t, ctx, "carte validée")

		// Lucie logs in with the carte, in a browser of her own (the next minute: a code is
		// single use, and the one above validated the carte).
		lucie := newBrowser(t, browserOpts{NoJS: noJS})
		srv.Clock.Advance(time.Minute)
		loginAs(t, lucie, srv, noJS, app.DemoNoDeviceEmail, carteCode(t, srv, serial))
		if h1 := textOf(t, lucie, "h1"); !strings.HasPrefix(h1, "Bienvenue, Lucie") {
			t.Fatalf("Lucie's espace: %q", h1)
		}

		click(t, ctx, "label[for=reason-perte]")
		clickOrSwap(t, ctx, noJS, "#carte-panel form[action$='supprimer-carte/'] button[type=submit]", "#serial")
		if got := textOf(t, ctx, "#carte-panel"); !strings.Contains(got, "Aucune carte") {
			t.Fatalf("after the unlink: %q", got)
		}
		assertAxe(t, ctx, "carte déliée")
		if j := srv.Journal(orgOf(t, srv, app.DemoOrganisation))[0]; j.Action != "card_dissociation" || !strings.Contains(j.Info, "raison : perte") {
			t.Errorf("journal %+v", j)
		}
	})
}

// TestReferentAppAndAccountJourney: Camille adds an app to Lucie (QR code and key, confirmed
// by a code), then deactivates and reactivates her account.
func TestReferentAppAndAccountJourney(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		loginAs(t, ctx, srv, noJS, app.DemoReferentEmail, app.DemoCode)
		openAidant(t, ctx, srv, noJS, "Lucie Sanscarte")

		clickOrSwap(t, ctx, noJS, "#app-panel form[action$='ajouter-otp-app/'] button[type=submit]", ".ac-otp-key")
		assertAxe(t, ctx, "application : QR code")
		secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(textOf(t, ctx, ".ac-otp-key"), " ", ""))
		if err != nil {
			t.Fatalf("the key on the page: %v", err)
		}
		code, err := otp.Code(secret, otp.AppStep, srv.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		typeInto(t, ctx, "#app-code", code)
		submit(t, ctx, noJS, "#app-panel form[action$='valider-otp-app/'] button[type=submit]")
		waitNotPresent(t, ctx, "#app-code")
		if got := textOf(t, ctx, "#app-panel"); !strings.Contains(got, "Application active") {
			t.Fatalf("after the app: %q", got)
		}
		assertAxe(t, ctx, "application ajoutée")

		clickOrSwap(t, ctx, noJS, "#account-panel form[action$='desactiver/'] button[type=submit]", "#account-panel form[action$='reactiver/']")
		if got := textOf(t, ctx, "#account-panel"); !strings.Contains(got, "Le compte est désactivé") {
			t.Fatalf("after the deactivation: %q", got)
		}
		assertAxe(t, ctx, "compte désactivé")
		clickOrSwap(t, ctx, noJS, "#account-panel form[action$='reactiver/'] button[type=submit]", "#account-panel form[action$='desactiver/']")
		if got := textOf(t, ctx, "#account-panel"); !strings.Contains(got, "Le compte est actif") {
			t.Fatalf("after the reactivation: %q", got)
		}
		assertAxe(t, ctx, "compte réactivé")

		// The organisation page, with the switch between Camille's two organisations.
		navigate(t, ctx, srv.URL+"/espace-referent/organisation/")
		if n := textOf(t, ctx, "select#organisation"); !strings.Contains(n, app.DemoOrganisation2) {
			t.Fatalf("switch offers %q", n)
		}
		assertAxe(t, ctx, "organisation")
	})
}

// TestReferentAddAidantsJourney: Camille asks for a person to train, adds Karim (a trained
// aidant of the CCAS, which she also manages), and makes Amina a co-référent.
func TestReferentAddAidantsJourney(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		loginAs(t, ctx, srv, noJS, app.DemoReferentEmail, app.DemoCode)

		navigate(t, ctx, srv.URL+"/espace-referent/aidant/ajouter/profil/")
		assertAxe(t, ctx, "ajouter : profil")
		clickOrSwap(t, ctx, noJS, "a[href$='aidants-non-formes/']", "#p0-email")
		assertAxe(t, ctx, "ajouter : à former")
		typeInto(t, ctx, "#p0-email", "Nadia.Nouvelle@example.fr")
		typeInto(t, ctx, "#p0-first", "Nadia")
		typeInto(t, ctx, "#p0-last", "Nouvelle")
		typeInto(t, ctx, "#p0-profession", "Médiatrice numérique")
		clickOrSwap(t, ctx, noJS, "button[value=row]", "#p1-email") // a second row, the first one kept
		clickOrSwap(t, ctx, noJS, "button[value=send]", "#demandes")
		if got := textOf(t, ctx, "main"); !strings.Contains(got, "nadia.nouvelle@example.fr") || !strings.Contains(got, "Votre ou vos demandes ont été enregistrées") {
			t.Fatalf("after the request: %q", got)
		}
		assertAxe(t, ctx, "aidants et demandes")

		navigate(t, ctx, srv.URL+"/espace-referent/aidant/ajouter/aidants-formes/")
		assertAxe(t, ctx, "ajouter : formés")
		typeInto(t, ctx, "#p0-email", app.DemoCcasEmail)
		clickOrSwap(t, ctx, noJS, "button[value=send]", "#demandes")
		if got := textOf(t, ctx, "main"); !strings.Contains(got, "Les aidants ont été ajoutés") || !strings.Contains(got, "Karim Ccas") {
			t.Fatalf("after adding Karim: %q", got)
		}

		navigate(t, ctx, srv.URL+"/espace-referent/referents/")
		assertAxe(t, ctx, "référents")
		amina, err := srv.App.Store.FindAidantByEmail(context.Background(), app.DemoAidant2Email)
		if err != nil {
			t.Fatal(err)
		}
		setValue(t, ctx, "#candidate", strconv.FormatInt(amina.ID, 10))
		clickOrSwap(t, ctx, noJS, "form[action='/espace-referent/referents/'] button[type=submit]", ".fr-alert--success")
		if got := textOf(t, ctx, "main ul"); !strings.Contains(got, "Amina Médiatrice") {
			t.Fatalf("référents after the promotion: %q", got)
		}
		assertAxe(t, ctx, "co-référent désigné")
	})
}

// loginAs logs someone in through the real pages (email, code, the outbox's link), landing
// on the espace aidant.
func loginAs(t *testing.T, ctx context.Context, srv *apptest.Env, noJS bool, email, code string) {
	t.Helper()
	navigate(t, ctx, srv.URL+"/accounts/login/")
	typeInto(t, ctx, "#email", email)
	typeInto(t, ctx, "#otp_token", code)
	click(t, ctx, "form[action='/accounts/login/'] button[type=submit]")
	waitVisible(t, ctx, ".fr-alert--success")
	navigate(t, ctx, srv.LastLoginURL())
	if noJS {
		click(t, ctx, "#magic-link-form button[type=submit]")
	}
	waitVisible(t, ctx, "h1.ac-welcome")
}

// openAidant finds an aidant with the list's filter (live with JavaScript, the form's
// button without) and opens their page.
func openAidant(t *testing.T, ctx context.Context, srv *apptest.Env, noJS bool, name string) {
	t.Helper()
	navigate(t, ctx, srv.URL+"/espace-referent/aidants/")
	assertAxe(t, ctx, "liste des aidants")
	first := strings.Fields(name)[0]
	typeInto(t, ctx, "#aidants-q", strings.ToLower(first))
	if noJS {
		clickNavigate(t, ctx, "form[role=search] button[type=submit]")
	} else {
		waitJS(t, ctx, `document.querySelectorAll("#aidants-results tbody tr").length === 1`)
	}
	if got := textOf(t, ctx, "#aidants-results tbody th"); got != name {
		t.Fatalf("filtered on %q: %q", first, got)
	}
	clickOrSwap(t, ctx, noJS, "#aidants-results tbody th a", "#carte-panel")
	if h1 := textOf(t, ctx, "h1"); h1 != name {
		t.Fatalf("aidant page h1 = %q", h1)
	}
}

// submit sends a form: a page load without JavaScript, an htmx request with it (the caller
// waits for its outcome).
func submit(t *testing.T, ctx context.Context, noJS bool, sel string) {
	t.Helper()
	if noJS {
		clickNavigate(t, ctx, sel)
		return
	}
	click(t, ctx, sel)
}

func carteCode(t *testing.T, srv *apptest.Env, serial string) string {
	t.Helper()
	c, err := otp.Code(app.DemoCarteSecret(serial), otp.CarteStep, srv.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func orgOf(t *testing.T, srv *apptest.Env, name string) int64 {
	t.Helper()
	o, err := srv.App.Store.FindOrganisationByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return o.ID
}

// TestReferentActionWeights measures what each référent action transfers once the first page
// cached the assets (budget 6 KB, asserted per request): pages, htmx panels and fragments,
// and the redirects of plain forms. Static files a step uses for the first time are logged
// apart.
func TestReferentActionWeights(t *testing.T) {
	ctx := newBrowser(t, browserOpts{})
	srv := startServer(t)
	loginAs(t, ctx, srv, false, app.DemoReferentEmail, app.DemoCode)
	navigate(t, ctx, srv.URL+"/espace-referent/") // caches the assets
	bytes := trackBytes(t, ctx)
	var sum int64
	step := func(name string, act func()) {
		t.Helper()
		if err := bytes.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		bytes.Reset()
		act()
		if err := bytes.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		var total, static int64
		for u, n := range bytes.ByURL() {
			switch {
			case strings.HasSuffix(u, "/favicon.ico"):
			case strings.Contains(u, "/static/"):
				static += n
			default:
				total += n
				t.Logf("    %5d B  %s", n, u[strings.Index(u[8:], "/")+8:])
				if n > 6*1024 {
					t.Errorf("%s: %s transferred %d B, budget 6 KB", name, u, n)
				}
			}
		}
		sum += total
		t.Logf("%-36s %5d B (+ %d B of static files fetched for the first time)", name, total, static)
	}
	step("accueil (page)", func() {
		navigate(t, ctx, srv.URL+"/espace-referent/")
		waitVisible(t, ctx, ".ac-counts")
	})
	step("liste des aidants (page)", func() {
		navigate(t, ctx, srv.URL+"/espace-referent/aidants/")
		waitVisible(t, ctx, "#aidants-q")
	})
	step("filtre en direct (fragment)", func() {
		typeInto(t, ctx, "#aidants-q", "lucie")
		waitJS(t, ctx, `document.querySelectorAll("#aidants-results tbody tr").length === 1`)
	})
	step("fiche de l'aidant (navigation)", func() {
		click(t, ctx, "#aidants-results tbody th a")
		waitVisible(t, ctx, "#serial")
	})
	serial := app.DemoSerial(app.DemoStockFirst + 1)
	typeInto(t, ctx, "#serial", serial)
	step("lier une carte (panneau)", func() {
		click(t, ctx, "#carte-panel form[action$='lier-carte/'] button[type=submit]")
		waitVisible(t, ctx, "#carte-code")
	})
	typeInto(t, ctx, "#carte-code", carteCode(t, srv, serial))
	step("valider la carte (panneau)", func() {
		click(t, ctx, "#carte-panel form[action$='valider-carte/'] button[type=submit]")
		waitNotPresent(t, ctx, "#carte-code")
	})
	click(t, ctx, "label[for=reason-casse]")
	step("délier la carte (panneau)", func() {
		click(t, ctx, "#carte-panel form[action$='supprimer-carte/'] button[type=submit]")
		waitVisible(t, ctx, "#serial")
	})
	step("ajouter une application (QR code)", func() {
		click(t, ctx, "#app-panel form[action$='ajouter-otp-app/'] button[type=submit]")
		waitVisible(t, ctx, ".ac-otp-key")
	})
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(textOf(t, ctx, ".ac-otp-key"), " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	code, _ := otp.Code(secret, otp.AppStep, srv.Clock.Now())
	typeInto(t, ctx, "#app-code", code)
	step("valider l'application (panneau)", func() {
		click(t, ctx, "#app-panel form[action$='valider-otp-app/'] button[type=submit]")
		waitNotPresent(t, ctx, "#app-code")
	})
	step("désactiver (panneaux)", func() {
		click(t, ctx, "#account-panel form[action$='desactiver/'] button[type=submit]")
		waitVisible(t, ctx, "#account-panel form[action$='reactiver/']")
	})
	step("réactiver (panneaux)", func() {
		click(t, ctx, "#account-panel form[action$='reactiver/'] button[type=submit]")
		waitVisible(t, ctx, "#account-panel form[action$='desactiver/']")
	})
	step("organisation (page)", func() {
		navigate(t, ctx, srv.URL+"/espace-referent/organisation/")
		waitVisible(t, ctx, "#demarches")
	})
	click(t, ctx, "label[for=demarche-loisirs]")
	step("démarches enregistrées (POST, page)", func() {
		click(t, ctx, "form[action='/espace-referent/organisation/demarches/'] button[type=submit]")
		waitVisible(t, ctx, ".fr-alert--success")
	})
	step("aidants à former (page)", func() {
		navigate(t, ctx, srv.URL+"/espace-referent/aidant/ajouter/aidants-non-formes/")
		waitVisible(t, ctx, "#p0-email")
	})
	typeInto(t, ctx, "#p0-email", "poids@example.fr")
	typeInto(t, ctx, "#p0-first", "Paul")
	typeInto(t, ctx, "#p0-last", "Poids")
	typeInto(t, ctx, "#p0-profession", "Agent")
	step("demande envoyée (POST, liste)", func() {
		click(t, ctx, "button[value=send]")
		waitVisible(t, ctx, ".fr-alert--success")
	})
	step("aidants formés (page)", func() {
		navigate(t, ctx, srv.URL+"/espace-referent/aidant/ajouter/aidants-formes/")
		waitVisible(t, ctx, "#p0-email")
	})
	typeInto(t, ctx, "#p0-email", app.DemoCcasEmail)
	step("aidant formé ajouté (POST, liste)", func() {
		click(t, ctx, "button[value=send]")
		waitVisible(t, ctx, ".fr-alert--success")
	})
	step("référents (page)", func() {
		navigate(t, ctx, srv.URL+"/espace-referent/referents/")
		waitVisible(t, ctx, "#candidate")
	})
	step("co-référent désigné (POST, page)", func() {
		click(t, ctx, "form[action='/espace-referent/referents/'] button[type=submit]")
		waitVisible(t, ctx, ".fr-alert--success")
	})
	t.Logf("all steps: %d B", sum)
}

// TestReferentOnboardingJourney: a new référent with nothing to log in with (a demo account)
// is led through their first app — welcome, install, QR code, code, done — and the pages a
// référent reaches otherwise (organisation with its switch, a form in error) pass axe too.
func TestReferentOnboardingJourney(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		org, err := srv.App.Store.FindOrganisationByName(context.Background(), app.DemoOrganisation)
		if err != nil {
			t.Fatal(err)
		}
		srv.NewPerson(store.Aidant{Email: "nouvelle@demo.aidantsconnect.fr", FirstName: "Nina", LastName: "Nouvelle", IsDemo: true}, org, true, false)
		loginAs(t, ctx, srv, noJS, "nouvelle@demo.aidantsconnect.fr", app.DemoCode)

		navigate(t, ctx, srv.URL+"/espace-referent/")
		if h1 := textOf(t, ctx, "h1"); h1 != "Bienvenue dans votre espace référent" {
			t.Fatalf("a référent without an app lands on %q", h1)
		}
		assertAxe(t, ctx, "bienvenue")
		clickOrSwap(t, ctx, noJS, "a[href$='telecharger-application/']", "form[action$='telecharger-application/']")
		assertAxe(t, ctx, "installer une application")
		clickOrSwap(t, ctx, noJS, "form[action$='telecharger-application/'] button[type=submit]", ".ac-otp-key")
		assertAxe(t, ctx, "scanner le QR code")
		typeInto(t, ctx, "#app-code", "000000")
		submit(t, ctx, noJS, "form[action$='scanner-qr-code/'] button[type=submit]") // a 422
		waitVisible(t, ctx, "#app-code-error")
		assertAxe(t, ctx, "code refusé")
		secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(textOf(t, ctx, ".ac-otp-key"), " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		srv.Clock.Advance(31 * time.Second) // a new step, past the wrong code's backoff
		code, _ := otp.Code(secret, otp.AppStep, srv.Clock.Now())
		typeInto(t, ctx, "#app-code", code)
		clickOrSwap(t, ctx, noJS, "form[action$='scanner-qr-code/'] button[type=submit]", "main a.fr-btn[href='/espace-referent/']")
		if h1 := textOf(t, ctx, "h1"); !strings.HasPrefix(h1, "Félicitations") {
			t.Fatalf("after the code: %q", h1)
		}
		assertAxe(t, ctx, "félicitations")
		clickOrSwap(t, ctx, noJS, "main a.fr-btn[href='/espace-referent/']", ".ac-counts")
		assertAxe(t, ctx, "espace référent, application prête")

		navigate(t, ctx, srv.URL+"/espace-referent/referents/")
		typeInto(t, ctx, "#co-phone", "12")
		submit(t, ctx, noJS, "form[action$='non-aidant/'] button[type=submit]") // a 422
		waitVisible(t, ctx, "#co-phone-error")
		assertAxe(t, ctx, "demande de référent non aidant en erreur")
	})
}
