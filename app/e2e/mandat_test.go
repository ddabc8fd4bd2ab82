package e2e

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/aidantsconnect/ac/app"
)

// TestMandatJourney walks the whole wizard against the FranceConnect simulator — two
// démarches including argent, a SHORT mandat — to the attestation, its PDF and the public
// verification page behind the QR code; with and without JavaScript; axe on every page.
func TestMandatJourney(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		loginDemo(t, ctx, srv, noJS)

		navigate(t, ctx, srv.URL+"/espace-aidant/creation_mandat/")
		if h1 := textOf(t, ctx, "h1"); !strings.HasPrefix(h1, "Créer un mandat") {
			t.Fatalf("step 1 h1 = %q", h1)
		}
		if visible(t, ctx, ".ac-argent-warning") {
			t.Fatal("argent warning shown before argent is ticked")
		}
		assertAxe(t, ctx, "étape 1")
		click(t, ctx, "label[for=demarche-papiers]")
		click(t, ctx, "label[for=demarche-argent]")
		waitVisible(t, ctx, ".ac-argent-warning")
		click(t, ctx, "label[for=duree-SHORT]")
		assertAxe(t, ctx, "étape 1 remplie")
		click(t, ctx, "button.fr-connect")

		// The simulator plays FranceConnect: the usager picks an identity.
		waitVisible(t, ctx, "#identity-1")
		assertAxe(t, ctx, "FranceConnect (simulateur)")
		click(t, ctx, "label[for=identity-1]")
		click(t, ctx, "button[value=login]")

		waitVisible(t, ctx, "#personal_data-box")
		if h1 := textOf(t, ctx, "h1"); h1 != "Récapitulatif du mandat" {
			t.Fatalf("recap h1 = %q", h1)
		}
		recap := textOf(t, ctx, "main")
		for _, want := range []string{"Marie Thérèse MOREAU autorise France Services de Démoville", "Papiers - Citoyenneté - Élections", "Argent - Impôts - Consommation", "périmètre « Argent »", "pour une durée de 1 jour"} {
			if !strings.Contains(recap, want) {
				t.Errorf("recap lacks %q", want)
			}
		}
		assertAxe(t, ctx, "récapitulatif")
		click(t, ctx, "label[for=personal_data-box]")
		typeInto(t, ctx, "#otp_token", app.DemoCode)
		click(t, ctx, "form[action='/espace-aidant/creation_mandat/recapitulatif/'] button[type=submit]")

		waitVisible(t, ctx, ".ac-attestation-print")
		doc := textOf(t, ctx, ".ac-attestation-print")
		for _, want := range []string{"Marie Thérèse MOREAU", "France Services de Démoville", "Argent - Impôts - Consommation", "Fait à Démoville"} {
			if !strings.Contains(doc, want) {
				t.Errorf("attestation lacks %q", want)
			}
		}
		assertAxe(t, ctx, "attestation")
		if !noJS {
			// Back after in-place navigations: a whole page, never a fragment.
			if _, err := chromedp.Run(ctx, chromedp.NavigateBack()); err != nil {
				t.Fatal(err)
			}
			waitVisible(t, ctx, "main h1")
			if n := evalJS[int](t, ctx, `document.querySelectorAll("header.fr-header").length + document.querySelectorAll("footer.fr-footer").length`); n != 2 {
				t.Fatalf("page after Back has %d header/footer, want a whole page", n)
			}
			if _, err := chromedp.Run(ctx, chromedp.NavigateForward()); err != nil {
				t.Fatal(err)
			}
			waitVisible(t, ctx, ".ac-attestation-print")
		}

		// The PDF download, with the browser's own session cookie.
		href := attr(t, ctx, "a.fr-link--download", "href")
		pdf := fetchWithCookies(t, ctx, srv.URL+href)
		if !strings.HasPrefix(pdf, "%PDF-") {
			t.Fatalf("PDF download starts with %q", pdf[:min(len(pdf), 20)])
		}

		// The QR code's URL, printed under it, leads to the public verification page.
		verify := regexp.MustCompile(`https?://\S+/mandats/verifier/[A-Za-z0-9_-]{22}`).FindString(doc)
		if verify == "" {
			t.Fatalf("no verification URL in the attestation")
		}
		navigate(t, ctx, verify)
		page := textOf(t, ctx, "main")
		if !strings.Contains(strings.ToLower(page), "mandat valide") || !strings.Contains(page, "France Services de Démoville") || strings.Contains(page, "Moreau") || strings.Contains(page, "MOREAU") {
			t.Fatalf("verification page: %q", page)
		}
		assertAxe(t, ctx, "vérification")
	})
}

// visible reports whether the first element matching sel is rendered (display not none).
func visible(t *testing.T, ctx context.Context, sel string) bool {
	t.Helper()
	return evalJS[bool](t, ctx, `(() => { const e = document.querySelector(`+strconv.Quote(sel)+`); return !!e && getComputedStyle(e).display !== "none"; })()`)
}

func attr(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	return evalJS[string](t, ctx, `document.querySelector(`+strconv.Quote(sel)+`).getAttribute(`+strconv.Quote(name)+`)`)
}

// fetchWithCookies GETs url with the tab's cookies (downloads are not navigations in headless Chromium).
func fetchWithCookies(t *testing.T, ctx context.Context, url string) string {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for _, c := range res.Cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	return string(b)
}

// TestMandatStepWeights measures what each wizard step transfers once the first page has
// cached the assets, as on a counter's slow link: budget 6 KB per step.
func TestMandatStepWeights(t *testing.T) {
	ctx := newBrowser(t, browserOpts{})
	srv := startServer(t)
	loginDemo(t, ctx, srv, false)
	bytes := trackBytes(t, ctx)
	step := func(name string, act func()) {
		t.Helper()
		bytes.Reset()
		act()
		if err := bytes.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		// What the step itself costs: its pages and fragments. Static files a step uses for
		// the first time (an icon) are cached from then on; they are logged apart.
		// Step 4 (the signature POST) and step 5 (the attestation it leads to) happen in one
		// click, so each request is held to the budget and their sum is logged.
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
		t.Logf("%-30s %5d B (+ %d B of static files fetched for the first time)", name, total, static)
	}
	step("1. choix (page)", func() {
		navigate(t, ctx, srv.URL+"/espace-aidant/creation_mandat/")
		waitVisible(t, ctx, "button.fr-connect")
	})
	click(t, ctx, "label[for=demarche-papiers]")
	click(t, ctx, "label[for=demarche-argent]")
	click(t, ctx, "label[for=duree-SHORT]")
	step("2. FranceConnect (simulateur)", func() {
		click(t, ctx, "button.fr-connect")
		waitVisible(t, ctx, "#identity-1")
	})
	click(t, ctx, "label[for=identity-1]")
	step("3. retour et récapitulatif", func() {
		click(t, ctx, "button[value=login]")
		waitVisible(t, ctx, "#personal_data-box")
	})
	click(t, ctx, "label[for=personal_data-box]")
	typeInto(t, ctx, "#otp_token", app.DemoCode)
	step("4-5. signature et attestation", func() {
		click(t, ctx, "form[action='/espace-aidant/creation_mandat/recapitulatif/'] button[type=submit]")
		waitVisible(t, ctx, ".ac-attestation-print")
	})
}
