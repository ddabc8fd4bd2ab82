package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/store"
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

// pauser holds the tab's requests whose URL matches a pattern (CDP's Fetch domain), so that a
// test can look at the page while a request is in flight, then let it go or fail it, with no
// timing involved.
type pauser struct {
	paused chan fetch.RequestID
}

func pauseRequests(t *testing.T, ctx context.Context, urlPattern string) *pauser {
	t.Helper()
	p := &pauser{paused: make(chan fetch.RequestID, 8)}
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			p.paused <- e.RequestID
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: urlPattern}}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = chromedp.Call(ctx, fetch.Disable, cdp.Empty{}) })
	return p
}

// next waits for the next paused request.
func (p *pauser) next(t *testing.T, ctx context.Context) fetch.RequestID {
	t.Helper()
	select {
	case id := <-p.paused:
		return id
	case <-ctx.Done():
		t.Fatalf("no request paused: %v", ctx.Err())
		return ""
	}
}

// TestCounterFeedbackWhileSent: while the signature is in flight the button is disabled and the
// progress bar shows; when the request gets no answer the layout's network message appears,
// focused, and the button works again. (JavaScript only: without it the browser shows its own
// progress, and the server's answers to a repeated submission hold, see TestCounterSignedOnce.)
func TestCounterFeedbackWhileSent(t *testing.T) {
	ctx := newBrowser(t, browserOpts{})
	srv := startServer(t)
	loginDemo(t, ctx, srv, false)
	toRecap(t, ctx, srv, "LONG", "papiers")
	fillRecap(t, ctx)
	if visible(t, ctx, ".ac-progress") && evalJS[string](t, ctx, `getComputedStyle(document.querySelector(".ac-progress")).visibility`) == "visible" {
		t.Fatal("the progress bar shows with no request running")
	}
	held := pauseRequests(t, ctx, "*/creation_mandat/recapitulatif/*")
	submit := recapForm + " button[type=submit]"
	click(t, ctx, submit)
	id := held.next(t, ctx)
	if !evalJS[bool](t, ctx, `document.querySelector(`+strconv.Quote(submit)+`).disabled`) {
		t.Fatal("the submit button is not disabled while its form is in flight")
	}
	waitJS(t, ctx, `getComputedStyle(document.querySelector(".ac-progress")).visibility === "visible"`)
	// A second click while in flight sends nothing.
	evalJS[bool](t, ctx, `document.querySelector(`+strconv.Quote(submit)+`).click(), true`)
	select {
	case other := <-held.paused:
		t.Fatalf("a second request %s left while the first was in flight", other)
	default:
	}

	// No answer at all: the network message, focused; the button is usable again.
	if _, err := chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: id, ErrorReason: network.ErrorReasonInternetDisconnected}); err != nil {
		t.Fatal(err)
	}
	waitVisible(t, ctx, "#ac-error .fr-alert--error")
	if got := textOf(t, ctx, "#ac-error"); !strings.Contains(got, "Le service ne répond pas") {
		t.Fatalf("network message = %q", got)
	}
	waitJS(t, ctx, `document.activeElement === document.querySelector("#ac-error .fr-alert--error")`)
	waitJS(t, ctx, `!document.querySelector(`+strconv.Quote(submit)+`).disabled`)
	waitJS(t, ctx, `getComputedStyle(document.querySelector(".ac-progress")).visibility === "hidden"`)
	assertAxe(t, ctx, "récapitulatif, réseau coupé")

	// The link is back: the same click signs.
	click(t, ctx, submit)
	if _, err := chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: held.next(t, ctx)}); err != nil {
		t.Fatal(err)
	}
	waitVisible(t, ctx, ".ac-attestation-print")
	if n := srv.Count("mandats"); n != 1 {
		t.Fatalf("%d mandats, want 1", n)
	}
}

// TestCounterDaysLeft: a six-month mandat signed today has 182 days left, not 181; one in its
// last hours has « moins d'un jour », never « 0 jours »; the attestation states the end rule.
func TestCounterDaysLeft(t *testing.T) {
	ctx := newBrowser(t, browserOpts{})
	srv := startServer(t)
	aidant, err := srv.App.Store.FindAidantByEmail(context.Background(), app.DemoAidantEmail)
	if err != nil {
		t.Fatal(err)
	}
	six := seedMandat(t, srv, aidant, identityOf("days-1", "Odette", "Lambert", "female", "1948-05-06"), "SEMESTER", "papiers")
	last := seedMandat(t, srv, aidant, identityOf("days-2", "René", "Marchal", "male", "1952-11-23"), "SHORT", "social")
	// Its end a second from now: the same Paris day whatever the time (the clock is on a minute).
	if _, err := srv.App.DB.ExecContext(context.Background(), "UPDATE mandats SET expires_at = ? WHERE id = ?", srv.Clock.Now().Add(time.Second), last.ID); err != nil {
		t.Fatal(err)
	}
	loginDemo(t, ctx, srv, false)
	navigate(t, ctx, srv.URL+"/espace-aidant/usagers/"+strconv.FormatInt(six.UsagerID, 10)+"/")
	if got := textOf(t, ctx, "article[data-mandat]"); !strings.Contains(got, "Validité restante : 182 jours") {
		t.Fatalf("six-month mandat on its first day: %q", got)
	}
	assertAxe(t, ctx, "usager, mandat du jour")
	navigate(t, ctx, srv.URL+"/espace-aidant/usagers/"+strconv.FormatInt(last.UsagerID, 10)+"/")
	if got := textOf(t, ctx, "article[data-mandat]"); !strings.Contains(got, "Validité restante : moins d'un jour") || strings.Contains(got, "0 jour") {
		t.Fatalf("mandat in its last hours: %q", got)
	}
	navigate(t, ctx, srv.URL+"/espace-aidant/mandats/"+strconv.FormatInt(six.ID, 10)+"/attestation/")
	if got := textOf(t, ctx, ".ac-attestation-print"); !strings.Contains(got, "à l'heure de sa signature (heure de Paris)") {
		t.Fatalf("the attestation does not state the end rule: %q", got)
	}
}

// TestCounterChoicesKeptAfterFranceConnect: the usager cancels at FranceConnect; step 1 comes
// back with the message and the démarches and duration chosen, argent warning included.
func TestCounterChoicesKeptAfterFranceConnect(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		loginDemo(t, ctx, srv, noJS)
		navigate(t, ctx, srv.URL+"/espace-aidant/creation_mandat/")
		click(t, ctx, "label[for=demarche-papiers]")
		click(t, ctx, "label[for=demarche-argent]")
		click(t, ctx, "label[for=duree-SEMESTER]")
		click(t, ctx, "button.fr-connect")
		waitVisible(t, ctx, "#identity-1")
		click(t, ctx, "button[value=cancel]")
		waitVisible(t, ctx, ".fr-alert--warning[role=status]")
		if got := textOf(t, ctx, ".fr-alert--warning[role=status]"); !strings.Contains(got, "L'usager a annulé la connexion FranceConnect") {
			t.Fatalf("flash = %q", got)
		}
		got := evalJS[[]string](t, ctx, `[...document.querySelectorAll("#mandat-form input:checked")].map(e => e.value)`)
		if strings.Join(got, ",") != "papiers,argent,SEMESTER" {
			t.Fatalf("ticked after the cancellation: %v", got)
		}
		if !visible(t, ctx, ".ac-argent-warning") {
			t.Fatal("the argent warning is hidden though argent is ticked")
		}
		assertAxe(t, ctx, "étape 1 après annulation")
	})
}

// TestCounterRenewal: from the usager's page, the renewal starts from the démarches in force;
// the recap names the usager with birth date and place, says what is replaced and what stays,
// and changes the démarches in place; the new mandat's page offers the revocation attestation
// of what it replaced; the usager's page tells the two mandats apart.
func TestCounterRenewal(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		aidant, err := srv.App.Store.FindAidantByEmail(context.Background(), app.DemoAidantEmail)
		if err != nil {
			t.Fatal(err)
		}
		old := seedMandat(t, srv, aidant, identityOf("renew-1", "Odile", "Perrin", "female", "1950-03-02"), "LONG", "papiers", "social")
		srv.Clock.Advance(time.Minute)
		loginDemo(t, ctx, srv, noJS)
		usager := "/espace-aidant/usagers/" + strconv.FormatInt(old.UsagerID, 10) + "/"
		navigate(t, ctx, srv.URL+usager)
		clickNavigateOrSwap(t, ctx, noJS, `article[data-mandat] a[href="/espace-aidant/renew_mandat/`+strconv.FormatInt(old.UsagerID, 10)+`"]`, "#mandat-form")
		if got := ticked(t, ctx); got != "papiers,social" {
			t.Fatalf("renewal starts from %q, want the démarches in force", got)
		}
		assertAxe(t, ctx, "renouvellement")
		click(t, ctx, "label[for=demarche-social]") // unticked: it stays with the old mandat
		click(t, ctx, "label[for=demarche-famille]")
		click(t, ctx, "label[for=duree-MONTH]")
		clickNavigateOrSwap(t, ctx, noJS, "#mandat-form button[type=submit]", "#personal_data-box")
		if got := textOf(t, ctx, "#recap-usager"); got != "Usager : Odile PERRIN, née le 2 mars 1950, commune de naissance 45028 (code INSEE)." {
			t.Fatalf("recap usager = %q", got)
		}
		if got := textOf(t, ctx, "#recap-replaced"); !strings.HasPrefix(got, "Papiers - Citoyenneté - Élections (mandat du ") {
			t.Fatalf("replaced = %q", got)
		}
		if got := textOf(t, ctx, "#recap-kept"); !strings.HasPrefix(got, "Social - Santé (mandat du ") {
			t.Fatalf("kept = %q", got)
		}
		assertAxe(t, ctx, "récapitulatif du renouvellement")

		// « Modifier les démarches »: back to the choices, then to the recap, no FranceConnect.
		clickNavigateOrSwap(t, ctx, noJS, `a[href="/espace-aidant/creation_mandat/recapitulatif/modifier/"]`, "#mandat-form")
		if got := ticked(t, ctx); got != "papiers,famille,MONTH" {
			t.Fatalf("edit page ticks %q", got)
		}
		assertAxe(t, ctx, "modifier les démarches")
		click(t, ctx, "label[for=duree-SEMESTER]")
		clickNavigateOrSwap(t, ctx, noJS, "#mandat-form button[type=submit]", "#personal_data-box")
		if got := textOf(t, ctx, "main"); !strings.Contains(got, "pour une durée de six mois (182 jours)") {
			t.Fatalf("recap after the edit: %q", got)
		}
		fillRecap(t, ctx)
		clickNavigateOrSwap(t, ctx, noJS, recapForm+" button[type=submit]", ".ac-attestation-print")
		if got := textOf(t, ctx, ".ac-attestation-print"); !strings.Contains(got, "Odile PERRIN, née le 2 mars 1950, commune de naissance 45028 (code INSEE), et je suis le mandant") {
			t.Fatalf("attestation does not identify the usager fully: %q", got)
		}
		if got := textOf(t, ctx, "#ac-replaced"); !strings.Contains(got, "Attestation de révocation : Papiers - Citoyenneté - Élections") {
			t.Fatalf("replaced = %q", got)
		}
		assertAxe(t, ctx, "mandat renouvelé")
		// The mandat's own page has an attestation document too: wait for that page to go
		// before reading the revocation's.
		clickNavigateOrSwap(t, ctx, noJS, "#ac-replaced a", "main")
		waitNotPresent(t, ctx, "#ac-replaced")
		waitVisible(t, ctx, ".ac-attestation-document")
		if got := textOf(t, ctx, ".ac-attestation-document"); !strings.Contains(got, "Papiers - Citoyenneté - Élections") || strings.Contains(got, "Social") {
			t.Fatalf("revocation attestation of the replaced démarche: %q", got)
		}

		navigate(t, ctx, srv.URL+usager)
		headings := evalJS[[]string](t, ctx, `[...document.querySelectorAll("article[data-mandat] h3")].map(h => h.textContent)`)
		if len(headings) != 2 || headings[0] == headings[1] {
			t.Fatalf("the usager's mandats are not told apart: %q", headings)
		}
		assertAxe(t, ctx, "usager avec deux mandats")
	})
}

// ticked lists the ticked boxes and radio of the mandat form, in page order.
func ticked(t *testing.T, ctx context.Context) string {
	t.Helper()
	return strings.Join(evalJS[[]string](t, ctx, `[...document.querySelectorAll("#mandat-form input:checked")].map(e => e.value)`), ",")
}

// TestCounterClearAnswers: revoking an already revoked mandat says so and leads to its
// revocation attestation; a mandat of the aidant's other organisation names it and switches to
// it, landing on the mandat.
func TestCounterClearAnswers(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		bg, st := context.Background(), srv.App.Store
		aidant, err := st.FindAidantByEmail(bg, app.DemoAidantEmail)
		if err != nil {
			t.Fatal(err)
		}
		ccas, err := st.FindOrganisationByName(bg, app.DemoOrganisation2)
		if err != nil {
			t.Fatal(err)
		}
		other := &store.Aidant{Email: "ccas2@demo.aidantsconnect.fr", FirstName: "Paula", LastName: "Ccas", CurrentOrganisationID: ccas.ID,
			CanCreateMandats: true, IsActive: true, IsDemo: true}
		if err := st.CreateAidant(bg, other, false); err != nil {
			t.Fatal(err)
		}
		revoked := seedMandat(t, srv, aidant, identityOf("clear-1", "Lucie", "Bonnet", "female", "1960-04-01"), "LONG", "papiers")
		if _, err := st.RevokeMandat(bg, revoked.OrganisationID, aidant.ID, revoked.ID); err != nil {
			t.Fatal(err)
		}
		inCCAS := seedMandat(t, srv, other, identityOf("clear-2", "Yvette", "Garnier", "female", "1944-02-12"), "LONG", "social")
		loginDemo(t, ctx, srv, noJS)

		mandat := "/espace-aidant/mandats/" + strconv.FormatInt(revoked.ID, 10) + "/"
		navigate(t, ctx, srv.URL+mandat+"revoquer/")
		if h1 := textOf(t, ctx, "main h1"); h1 != "Ce mandat est déjà révoqué" {
			t.Fatalf("h1 = %q", h1)
		}
		assertAxe(t, ctx, "mandat déjà révoqué")
		clickNavigateOrSwap(t, ctx, noJS, `main a[href="`+mandat+`revocation/"]`, ".ac-attestation-document")

		attestation := "/espace-aidant/mandats/" + strconv.FormatInt(inCCAS.ID, 10) + "/attestation/"
		navigate(t, ctx, srv.URL+attestation)
		if got := textOf(t, ctx, "main"); !strings.Contains(got, "Ce mandat dépend de CCAS de Démoville : changez d'organisation pour le voir.") || strings.Contains(got, "Yvette") {
			t.Fatalf("other organisation's mandat: %q", got)
		}
		assertAxe(t, ctx, "mandat d'une autre organisation")
		clickNavigateOrSwap(t, ctx, noJS, "main form button[type=submit]", ".ac-attestation-print")
		if got := textOf(t, ctx, ".ac-attestation-print"); !strings.Contains(got, "Yvette GARNIER") {
			t.Fatalf("after the switch: %q", got)
		}
	})
}
