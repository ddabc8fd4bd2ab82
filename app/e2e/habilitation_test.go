package e2e

import (
	"context"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/otp"
	"github.com/aidantsconnect/ac/app/paths"
)

// The habilitation journey, with and without JavaScript, axe on every page: a demandeur fills
// the whole form (an invalid SIRET, then one of the dev directory), resumes it from the
// emailed link and submits; the team asks for a change, the demandeur makes it, the team
// validates; then the new référent logs in and enrols an app, the team imports a carte and
// marks an aidant's training done, the référent links the carte to that aidant, who logs in.
func TestHabilitationJourney(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		email := "nadia@mediatheque.fr"

		navigate(t, ctx, srv.URL+paths.Habilitation)
		assertAxe(t, ctx, "habilitation")
		submitFor(t, ctx, noJS, "a[href='"+paths.HabilitationDemandeur+"']", "Vos informations de demandeur")
		assertAxe(t, ctx, "demandeur")
		typeInto(t, ctx, "#first_name", "Nadia")
		typeInto(t, ctx, "#last_name", "Demandeuse")
		typeInto(t, ctx, "#email", email)
		typeInto(t, ctx, "#profession", "Directrice")
		submitFor(t, ctx, noJS, "form button[type=submit]", "Vérifiez vos e-mails")
		assertAxe(t, ctx, "vérifiez vos e-mails")
		navigate(t, ctx, emailedLink(t, srv, email, `/habilitation/confirmer-email/[A-Za-z0-9_-]+/`))
		waitH1(t, ctx, noJS, "Mon espace demandeur")
		assertAxe(t, ctx, "espace demandeur")

		submitFor(t, ctx, noJS, "a.fr-btn[href$='/siret/']", "Numéro SIRET de la structure")
		typeInto(t, ctx, "#siret", "821 234 567 00006")
		stepSwap(t, ctx, noJS, "form button[type=submit]", func() { waitVisible(t, ctx, "#siret-error") }, ".fr-alert--error")
		if got := textOf(t, ctx, "#siret-error"); !strings.Contains(got, "pas valide") {
			t.Fatalf("invalid SIRET: %q", got)
		}
		assertAxe(t, ctx, "SIRET invalide")
		typeInto(t, ctx, "#siret", "821 234 567 00005")
		stepFor(t, ctx, noJS, "form button[type=submit]", "Informations de la structure")
		assertAxe(t, ctx, "structure")
		setValue(t, ctx, "#type", "Bibliothèque / Médiathèque")
		typeInto(t, ctx, "#mission", "Accompagnement aux démarches en ligne.")
		stepFor(t, ctx, noJS, "form button[type=submit]", "Référent Aidants Connect")
		// The steps go on in a tab of their own (each tab's work is bounded): the demandeur's
		// pages need no session, their URL is the key.
		ctx = reopen(t, ctx, noJS)
		assertAxe(t, ctx, "référent")
		stepSwap(t, ctx, noJS, "button[value=me]", func() {
			waitJS(t, ctx, `document.querySelector("#email").value === "`+email+`"`)
		}, "h1")
		typeInto(t, ctx, "#phone", "0612345678")
		stepFor(t, ctx, noJS, "button[value=save]", "Aidants à habiliter")
		ctx = reopen(t, ctx, noJS)
		assertAxe(t, ctx, "aidants")
		typeInto(t, ctx, "#aidant-0-email", "leo@mediatheque.fr")
		typeInto(t, ctx, "#aidant-0-first", "Léo")
		typeInto(t, ctx, "#aidant-0-last", "Aidant")
		typeInto(t, ctx, "#aidant-0-profession", "Médiateur")
		// The row is added in place, its legend focused; the first row keeps what was typed.
		stepSwap(t, ctx, noJS, "button[value=row]", func() { waitVisible(t, ctx, "#aidant-1-email") }, "#aidant-1-legend")
		if !noJS {
			if v := evalJS[string](t, ctx, `document.querySelector("#aidant-0-email").value`); v != "leo@mediatheque.fr" {
				t.Fatalf("the first row after adding one: %q", v)
			}
		}
		typeInto(t, ctx, "#aidant-1-email", "lea@mediatheque.fr")
		typeInto(t, ctx, "#aidant-1-first", "Léa")
		typeInto(t, ctx, "#aidant-1-last", "Aidante")
		typeInto(t, ctx, "#aidant-1-profession", "Agente d'accueil")
		stepFor(t, ctx, noJS, "button[value=save]", "Récapitulatif et validation")
		assertAxe(t, ctx, "récapitulatif")

		// Later, from another browser: « Suivre ma demande » emails the link of the space.
		ctx = newBrowser(t, browserOpts{NoJS: noJS})
		navigate(t, ctx, srv.URL+paths.HabilitationFollow)
		assertAxe(t, ctx, "suivre ma demande")
		typeInto(t, ctx, "#email", email)
		submitFor(t, ctx, noJS, "form button[type=submit]", "Vérifiez vos e-mails")
		navigate(t, ctx, emailedLink(t, srv, email, `/habilitation/demandeur/[A-Za-z0-9_-]+/`))
		waitH1(t, ctx, noJS, "Mon espace demandeur")
		submitFor(t, ctx, noJS, "ul.ac-requests a", "Demande d'habilitation : Médiathèque")
		assertAxe(t, ctx, "demande (brouillon)")
		submitFor(t, ctx, noJS, "a.fr-btn[href$='/recapitulatif/']", "Récapitulatif et validation")
		ctx = reopen(t, ctx, noJS)
		tickCommitments(t, ctx)
		stepFor(t, ctx, noJS, "form[action$='/recapitulatif/'] button[type=submit]", "Demande d'habilitation : Médiathèque")
		requestURL := currentURL(t, ctx)
		if strings.HasSuffix(requestURL, "/recapitulatif/") {
			t.Fatalf("the URL after submitting: %s", requestURL)
		}
		if got := strings.ToLower(textOf(t, ctx, "main")); !strings.Contains(got, "en attente de validation") || !strings.Contains(got, "numéro d'habilitation : 450") {
			t.Fatalf("submitted: %q", got)
		}
		assertAxe(t, ctx, "demande soumise")

		// The team asks for a change.
		staff := newBrowser(t, browserOpts{NoJS: noJS})
		staffLogin(t, staff, srv, noJS)
		assertAxe(t, staff, "back-office")
		navigate(t, staff, srv.URL+paths.StaffRequests)
		assertAxe(t, staff, "demandes")
		submitFor(t, staff, noJS, "table tbody a", "Médiathèque")
		assertAxe(t, staff, "demande (équipe)")
		typeInto(t, staff, "#ask-body", "Précisez l'adresse : bâtiment, étage.")
		submitUntil(t, staff, noJS, "form[action$='/demander-modifications/'] button[type=submit]", "demande de modifications")
		if got := strings.ToLower(textOf(t, staff, "main")); !strings.Contains(got, "demande de modifications") {
			t.Fatalf("after asking: %q", got)
		}

		staffPage := currentURL(t, staff) // now: the tab's time is bounded

		// The demandeur makes it and submits again.
		ctx = newBrowser(t, browserOpts{NoJS: noJS})
		navigate(t, ctx, requestURL)
		if got := textOf(t, ctx, "main"); !strings.Contains(got, "Précisez l'adresse") {
			t.Fatalf("the demandeur's page: %q", got)
		}
		assertAxe(t, ctx, "modifications demandées")
		submitFor(t, ctx, noJS, "a[href$='/structure/']", "Informations de la structure")
		typeInto(t, ctx, "#address", "3 rue des Lilas, bâtiment B, 2e étage")
		stepFor(t, ctx, noJS, "form button[type=submit]", "Référent Aidants Connect")
		if u := currentURL(t, ctx); !strings.HasSuffix(u, "/referent/") {
			t.Fatalf("the step's URL is not in the history: %s", u)
		}
		navigate(t, ctx, strings.TrimSuffix(requestURL, "/")+"/recapitulatif/")
		tickCommitments(t, ctx)
		submitFor(t, ctx, noJS, "form[action$='/recapitulatif/'] button[type=submit]", "Demande d'habilitation : Médiathèque")

		// The team validates, with the email as proposed.
		staff = newBrowser(t, browserOpts{NoJS: noJS})
		staffLogin(t, staff, srv, noJS)
		navigate(t, staff, staffPage)
		if got := textOf(t, staff, "main"); !strings.Contains(got, "bâtiment B") {
			t.Fatalf("the change is not on the team's page: %q", got)
		}
		submitUntil(t, staff, noJS, "form[action$='/valider/'] button[type=submit]", "éligibilité validée")
		if got := strings.ToLower(textOf(t, staff, "main")); !strings.Contains(got, "éligibilité validée") {
			t.Fatalf("after validation: %q", got)
		}
		assertAxe(t, staff, "demande validée")
		if _, err := srv.App.Store.FindAidantByEmail(context.Background(), email); err != nil {
			t.Errorf("the référent's account: %v", err)
		}
		afterValidation(t, srv, noJS, email)
	})
}

// afterValidation is the journey's end: the new référent (the demandeur, « C'est moi »)
// logs in for the first time from the emailed link and enrols an authenticator app; the team
// imports a carte by CSV and marks Léo's training done; the référent links that carte to
// Léo and validates it; Léo logs in with it. Axe on every page.
func afterValidation(t *testing.T, srv *apptest.Env, noJS bool, referentEmail string) {
	t.Helper()
	// The first login: the link of the validation email, no code (the référent has none yet).
	ref := newBrowser(t, browserOpts{NoJS: noJS})
	navigate(t, ref, emailedLink(t, srv, referentEmail, `/chargement/code/[A-Za-z0-9_-]+/`))
	if noJS { // with JavaScript the wait page sends itself at once: nothing stays to check
		assertAxe(t, ref, "première connexion")
		clickNavigate(t, ref, "#magic-link-form button[type=submit]")
	}
	waitH1(t, ref, noJS, "Bienvenue dans votre espace référent")
	assertAxe(t, ref, "bienvenue (référent)")
	clickOrSwap(t, ref, noJS, "a[href$='telecharger-application/']", "form[action$='telecharger-application/']")
	assertAxe(t, ref, "installer une application (référent)")
	clickOrSwap(t, ref, noJS, "form[action$='telecharger-application/'] button[type=submit]", ".ac-otp-key")
	assertAxe(t, ref, "QR code (référent)")
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(textOf(t, ref, ".ac-otp-key"), " ", ""))
	if err != nil {
		t.Fatalf("the key on the page: %v", err)
	}
	code, err := otp.Code(secret, otp.AppStep, srv.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	typeInto(t, ref, "#app-code", code)
	clickOrSwap(t, ref, noJS, "form[action$='scanner-qr-code/'] button[type=submit]", "main a.fr-btn[href='"+paths.Referent+"']")
	waitH1(t, ref, noJS, "Félicitations")
	assertAxe(t, ref, "application prête (référent)")

	// The team imports a carte (checked first, then imported)…
	seed := []byte("carte-de-leo-0123456")
	staff := newBrowser(t, browserOpts{NoJS: noJS})
	staffLogin(t, staff, srv, noJS)
	navigate(t, staff, srv.URL+paths.StaffCartesImport)
	assertAxe(t, staff, "import de cartes")
	typeInto(t, staff, "#csv", "LEO0001,"+hex.EncodeToString(seed))
	submitUntil(t, staff, noJS, "button[value=preview]", "importer 1 cartes")
	assertAxe(t, staff, "aperçu de l'import")
	submitFor(t, staff, noJS, "button[value=import]", "Cartes TOTP")
	if got := textOf(t, staff, ".fr-alert--success"); !strings.Contains(got, "importées") {
		t.Fatalf("after the import: %q", got)
	}
	assertAxe(t, staff, "cartes importées")
	// …and marks Léo's training done: his account is created.
	staff = newBrowser(t, browserOpts{NoJS: noJS})
	staffLogin(t, staff, srv, noJS)
	navigate(t, staff, srv.URL+paths.StaffAidantRequests+"?q=leo%40mediatheque.fr")
	assertAxe(t, staff, "aidants à former")
	setValue(t, staff, "form[action$='/formation/'] input[name=date]", srv.Clock.Now().AddDate(0, 0, -1).Format("2006-01-02"))
	typeInto(t, staff, "form[action$='/formation/'] input[name=organisme]", "Formateurs Numériques")
	// The list comes back with the same title: the success message says the new page is there.
	if noJS {
		clickNavigate(t, staff, "form[action$='/formation/'] button[type=submit]")
	} else {
		click(t, staff, "form[action$='/formation/'] button[type=submit]")
	}
	waitVisible(t, staff, ".fr-alert--success")
	waitH1(t, staff, noJS, "Aidants à former")
	if got := textOf(t, staff, ".fr-alert--success"); !strings.Contains(got, "enregistré") {
		t.Fatalf("after the training: %q", got)
	}
	assertAxe(t, staff, "formation enregistrée")

	// The référent logs in with their app (a later code: one is used once), links the carte
	// to Léo and validates it with a code.
	srv.Clock.Advance(31 * time.Second)
	code, _ = otp.Code(secret, otp.AppStep, srv.Clock.Now())
	ref = newBrowser(t, browserOpts{NoJS: noJS})
	loginAs(t, ref, srv, noJS, referentEmail, code)
	assertAxe(t, ref, "espace du référent")
	openAidant(t, ref, srv, noJS, "Léo Aidant")
	assertAxe(t, ref, "Léo, sans carte")
	typeInto(t, ref, "#serial", "LEO0001")
	clickOrSwap(t, ref, noJS, "#carte-panel form[action$='lier-carte/'] button[type=submit]", "#carte-code")
	assertAxe(t, ref, "carte liée à Léo")
	code, err = otp.Code(seed, otp.CarteStep, srv.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	typeInto(t, ref, "#carte-code", code)
	submit(t, ref, noJS, "#carte-panel form[action$='valider-carte/'] button[type=submit]")
	waitNotPresent(t, ref, "#carte-code")
	if got := textOf(t, ref, "#carte-panel"); !strings.Contains(got, "Carte n° LEO0001, validée") {
		t.Fatalf("after the validation: %q", got)
	}
	assertAxe(t, ref, "carte de Léo validée")

	// Léo logs in with his carte, the next minute (a code is used once).
	srv.Clock.Advance(time.Minute)
	code, _ = otp.Code(seed, otp.CarteStep, srv.Clock.Now())
	leo := newBrowser(t, browserOpts{NoJS: noJS})
	loginAs(t, leo, srv, noJS, "leo@mediatheque.fr", code)
	if h1 := textOf(t, leo, "h1"); !strings.HasPrefix(h1, "Bienvenue, Léo") {
		t.Fatalf("Léo's espace: %q", h1)
	}
	assertAxe(t, leo, "espace de Léo")
}

// stepFor submits a step of the form and waits for the page whose h1 starts with h1. With
// JavaScript it checks that htmx swapped the step's region only: the layout's header is
// the same element as before (a page load, or a swap of the whole body, would make a new
// one), and focus is on the new step's heading.
func stepFor(t *testing.T, ctx context.Context, noJS bool, sel, h1 string) {
	t.Helper()
	stepSwap(t, ctx, noJS, sel, func() { waitH1(t, ctx, noJS, h1) }, "h1")
}

// stepSwap submits a step's form, waits with wait, and with JavaScript checks the swap as
// stepFor says, focus on the element focused matches.
func stepSwap(t *testing.T, ctx context.Context, noJS bool, sel string, wait func(), focused string) {
	t.Helper()
	if noJS {
		clickNavigate(t, ctx, sel)
		wait()
		return
	}
	evalJS[string](t, ctx, `document.querySelector("header.fr-header").dataset.acKept = "1"`)
	click(t, ctx, sel)
	wait()
	waitJS(t, ctx, fmt.Sprintf(`document.activeElement && document.activeElement.matches(%q)`, focused))
	if !evalJS[bool](t, ctx, `document.querySelector("header.fr-header").dataset.acKept === "1"`) {
		t.Fatalf("after %s: the page was replaced, not the step's region", sel)
	}
}

// reopen opens the tab's page in a new tab, for the rest of a long journey.
func reopen(t *testing.T, ctx context.Context, noJS bool) context.Context {
	t.Helper()
	u := currentURL(t, ctx)
	next := newBrowser(t, browserOpts{NoJS: noJS})
	navigate(t, next, u)
	return next
}

// submitUntil submits a form that comes back to the same page, and waits for its main
// region to say text (lower case).
func submitUntil(t *testing.T, ctx context.Context, noJS bool, sel, text string) {
	t.Helper()
	if noJS {
		clickNavigate(t, ctx, sel)
		return
	}
	click(t, ctx, sel)
	waitJS(t, ctx, fmt.Sprintf(`document.querySelector("main").innerText.toLowerCase().includes(%q)`, text))
}

// submitFor clicks a link or a submit button and waits for the page whose h1 starts with h1.
func submitFor(t *testing.T, ctx context.Context, noJS bool, sel, h1 string) {
	t.Helper()
	if noJS {
		clickNavigate(t, ctx, sel)
	} else {
		click(t, ctx, sel)
	}
	waitH1(t, ctx, noJS, h1)
}

// waitH1 waits for the page's h1 to start with want.
func waitH1(t *testing.T, ctx context.Context, noJS bool, want string) {
	t.Helper()
	if !noJS {
		waitJS(t, ctx, fmt.Sprintf(`(document.querySelector("h1") || {innerText: ""}).innerText.startsWith(%q)`, want))
	}
	if got := textOf(t, ctx, "h1"); !strings.HasPrefix(got, want) {
		t.Fatalf("h1 %q, want %q…", got, want)
	}
}

func tickCommitments(t *testing.T, ctx context.Context) {
	t.Helper()
	for _, id := range []string{"cgu", "not_free", "dpo", "professionals_only", "without_elected"} {
		click(t, ctx, "label[for="+id+"]")
	}
}

// emailedLink is the newest link matching pattern in an email to someone, absolute.
func emailedLink(t *testing.T, srv *apptest.Env, to, pattern string) string {
	t.Helper()
	re := regexp.MustCompile(`https?://[^\s/]+` + pattern)
	for _, m := range srv.Emails() {
		if m.To == to {
			if l := re.FindString(m.BodyText); l != "" {
				return l
			}
		}
	}
	t.Fatalf("no link %s to %s", pattern, to)
	return ""
}

// staffLogin logs the demo staff account in: it lands in the back-office.
func staffLogin(t *testing.T, ctx context.Context, srv *apptest.Env, noJS bool) {
	t.Helper()
	navigate(t, ctx, srv.URL+paths.Login)
	typeInto(t, ctx, "#email", app.DemoStaffEmail)
	typeInto(t, ctx, "#otp_token", app.DemoCode)
	click(t, ctx, "form[action='"+paths.Login+"'] button[type=submit]")
	waitVisible(t, ctx, ".fr-alert--success")
	navigate(t, ctx, srv.LastLoginURL())
	if noJS {
		clickNavigate(t, ctx, "#magic-link-form button[type=submit]")
	}
	waitH1(t, ctx, noJS, "Back-office de l'équipe")
}
