package e2e

import (
	"bytes"
	"compress/gzip"
	"errors"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// The harness tests itself against a small local server whose pages carry the
// app's strict CSP.

const testCSP = "default-src 'self'; script-src 'self'; style-src 'self'"

// accessiblePage is a small page that axe should pass. Its list pads it so
// that gzip visibly shrinks it; its inline script checks that the CSP holds.
var accessiblePage = `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Se connecter – Aidants Connect</title>
<link rel="stylesheet" href="/static/app.css">
</head>
<body>
<header><p>Aidants Connect</p></header>
<main>
<h1>Se connecter</h1>
<form method="post" action="/envoyer">
<label for="email">Adresse électronique</label>
<input id="email" name="email" type="email" autocomplete="email">
<button type="submit">Recevoir le lien de connexion</button>
</form>
<h2>Démarches possibles</h2>
<ul>
` + strings.Repeat("<li>Démarche administrative en ligne : social, santé, travail, logement, transports, argent, papiers.</li>\n", 40) + `</ul>
<script>document.documentElement.dataset.inline = "ran";</script>
</main>
</body>
</html>
`

const inaccessiblePage = `<!doctype html>
<html>
<head><meta charset="utf-8"><title>Mauvaise page</title></head>
<body>
<main>
<h1>Mauvaise page</h1>
<img src="/static/logo.png">
<input id="nom" type="text">
</main>
</body>
</html>
`

const scriptedPage = `<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><title>Page avec script – Aidants Connect</title></head>
<body>
<main>
<h1 id="titre">Texte d'origine</h1>
<script src="/static/change.js"></script>
</main>
</body>
</html>
`

const thanksPage = `<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><title>Merci – Aidants Connect</title></head>
<body><main><h1>Merci</h1><p id="email">%s</p></main></body>
</html>
`

const testCSS = `body { font-family: sans-serif; margin: 0 auto; max-width: 40rem; }
h1 { font-size: 2rem; } label { display: block; } input, button { font-size: 1rem; }
`

func newTestSite(t *testing.T) *httptest.Server {
	t.Helper()
	page := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", testCSP)
			writeMaybeGzip(w, r, "text/html; charset=utf-8", status, body)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /accessible", page(http.StatusOK, accessiblePage))
	mux.Handle("GET /inaccessible", page(http.StatusOK, inaccessiblePage))
	mux.Handle("GET /scripted", page(http.StatusOK, scriptedPage))
	mux.Handle("GET /missing", page(http.StatusNotFound, strings.Replace(thanksPage, "%s", "introuvable", 1)))
	mux.HandleFunc("POST /envoyer", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/merci?"+url.Values{"email": {r.FormValue("email")}}.Encode(), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /merci", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", testCSP)
		body := strings.Replace(thanksPage, "%s", html.EscapeString(r.URL.Query().Get("email")), 1)
		writeMaybeGzip(w, r, "text/html; charset=utf-8", http.StatusOK, body)
	})
	mux.HandleFunc("GET /static/app.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		writeMaybeGzip(w, r, "text/css; charset=utf-8", http.StatusOK, testCSS)
	})
	mux.HandleFunc("GET /static/change.js", func(w http.ResponseWriter, r *http.Request) {
		writeMaybeGzip(w, r, "text/javascript; charset=utf-8", http.StatusOK,
			`document.getElementById("titre").textContent = "Modifié par JavaScript";`)
	})
	mux.HandleFunc("GET /static/logo.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.WriteHeader(http.StatusOK) // an empty body is enough for axe
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func writeMaybeGzip(w http.ResponseWriter, r *http.Request, contentType string, status int, body string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Add("Vary", "Accept-Encoding")
	if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
		return
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(body))
	_ = zw.Close()
	w.Header().Set("Content-Encoding", "gzip")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func TestFindChromium(t *testing.T) {
	t.Parallel()
	env := func(kv map[string]string) func(string) string {
		return func(k string) string { return kv[k] }
	}
	if _, err := findChromium(env(map[string]string{"AC_CHROMIUM": "/nonexistent"})); !errors.Is(err, errNoBrowser) {
		t.Errorf("AC_CHROMIUM=/nonexistent: err = %v, want errNoBrowser", err)
	}
	if _, err := findChromium(env(map[string]string{"AC_CHROMIUM": t.TempDir()})); !errors.Is(err, errNoBrowser) {
		t.Errorf("AC_CHROMIUM=<a directory>: err = %v, want errNoBrowser", err)
	}
	if p, err := findChromium(env(map[string]string{"AC_CHROMIUM": "/bin/sh"})); err != nil || p != "/bin/sh" {
		t.Errorf("AC_CHROMIUM=/bin/sh: got %q, %v; want /bin/sh", p, err)
	}
}

func TestAxeAccessiblePageUnderStrictCSP(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t, browserOpts{ExpectCSPViolations: true})
	site := newTestSite(t)

	navigate(t, ctx, site.URL+"/accessible")
	if got := lastDocumentStatus(t, ctx); got != http.StatusOK {
		t.Errorf("status = %d, want 200", got)
	}
	if got := textOf(t, ctx, "h1"); got != "Se connecter" {
		t.Errorf("h1 = %q, want %q", got, "Se connecter")
	}
	// The page's CSP is in force: its inline script did not run.
	if got := evalJS[string](t, ctx, `document.documentElement.dataset.inline || "blocked"`); got != "blocked" {
		t.Fatalf("inline script under CSP: %q, want it blocked", got)
	}
	// The harness hears the browser report it (newBrowser fails any other test on such a
	// report).
	waitCSPViolation(t, ctx)
	if vs := cspViolations(ctx); len(vs) != 1 || !strings.Contains(vs[0], "script-src 'self'") {
		t.Errorf("CSP violations heard: %q, want the inline script's", vs)
	}

	begin := time.Now()
	assertAxe(t, ctx, "accessible page")
	t.Logf("axe, injection included: %s", time.Since(begin).Round(time.Millisecond))
	begin = time.Now()
	assertAxe(t, ctx, "accessible page, again")
	t.Logf("axe, already injected: %s", time.Since(begin).Round(time.Millisecond))
}

func TestAxeReportsViolations(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t, browserOpts{})
	site := newTestSite(t)

	navigate(t, ctx, site.URL+"/inaccessible")
	vs, err := axeViolations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, len(vs))
	for _, v := range vs {
		ids = append(ids, v.ID)
	}
	for _, want := range []string{"image-alt", "label", "html-has-lang"} {
		if !slices.Contains(ids, want) {
			t.Errorf("violations %v lack %q", ids, want)
		}
	}
	report := formatViolations(vs)
	for _, want := range []string{"- image-alt [critical]: Images must have alternative text", `<img src="/static/logo.png">`, "at img", "at #nom", "| "} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	t.Logf("what assertAxe would print:\n%s", report)
}

func TestFormatViolations(t *testing.T) {
	t.Parallel()
	got := formatViolations([]violation{{
		ID: "label", Impact: "critical", Help: "Form elements must have labels",
		HelpURL: "https://dequeuniversity.com/rules/axe/4.14/label",
		Nodes: []violationNode{{
			Target:         []string{"#nom"},
			HTML:           "<input id=\"nom\"\n   type=\"text\">",
			FailureSummary: "Fix any of the following:\n  Element does not have an explicit <label>",
		}, {
			Target: []string{"iframe", "#dedans"},
			HTML:   "<p>" + strings.Repeat("x", 400) + "</p>",
		}},
	}})
	want := `- label [critical]: Form elements must have labels
  https://dequeuniversity.com/rules/axe/4.14/label
    at #nom
      <input id="nom" type="text">
      | Fix any of the following:
      | Element does not have an explicit <label>
    at iframe, #dedans
      <p>` + strings.Repeat("x", 297) + `…
`
	if got != want {
		t.Errorf("formatViolations:\n%s\nwant:\n%s", got, want)
	}
}

func TestNoJS(t *testing.T) {
	t.Parallel()
	site := newTestSite(t)

	t.Run("with JavaScript", func(t *testing.T) {
		t.Parallel()
		ctx := newBrowser(t, browserOpts{})
		navigate(t, ctx, site.URL+"/scripted")
		if got := textOf(t, ctx, "h1"); got != "Modifié par JavaScript" {
			t.Errorf("h1 = %q; the page's own script did not run", got)
		}
	})
	t.Run("without JavaScript", func(t *testing.T) {
		t.Parallel()
		ctx := newBrowser(t, browserOpts{NoJS: true})
		navigate(t, ctx, site.URL+"/scripted")
		if got := textOf(t, ctx, "h1"); got != "Texte d'origine" {
			t.Errorf("h1 = %q, want the original text", got)
		}
		assertAxe(t, ctx, "scripted page without JavaScript")
		// axe switched scripts back on for its run only.
		navigate(t, ctx, site.URL+"/scripted")
		if got := textOf(t, ctx, "h1"); got != "Texte d'origine" {
			t.Errorf("after axe, h1 = %q: JavaScript is on again", got)
		}
		// The helpers work without JavaScript, forms included.
		navigate(t, ctx, site.URL+"/accessible")
		typeInto(t, ctx, "#email", "aidant@example.fr")
		if got := clickNavigate(t, ctx, "button[type=submit]"); got != http.StatusOK {
			t.Errorf("status after the form = %d, want 200", got)
		}
		if got := currentURL(t, ctx); !strings.HasSuffix(got, "/merci?email=aidant%40example.fr") {
			t.Errorf("URL after the form = %q", got)
		}
		if got := textOf(t, ctx, "#email"); got != "aidant@example.fr" {
			t.Errorf("echoed email = %q", got)
		}
	})
}

func TestHelpers(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t, browserOpts{ExpectCSPViolations: true}) // /accessible's inline script
	site := newTestSite(t)

	navigate(t, ctx, site.URL+"/missing")
	if got := lastDocumentStatus(t, ctx); got != http.StatusNotFound {
		t.Errorf("status of /missing = %d, want 404", got)
	}
	navigate(t, ctx, site.URL+"/accessible")
	setValue(t, ctx, "#email", "ignore@example.fr")
	typeInto(t, ctx, "#email", "usager@example.fr")
	click(t, ctx, "button[type=submit]")
	waitVisible(t, ctx, "p#email")
	if got := textOf(t, ctx, "p#email"); got != "usager@example.fr" {
		t.Errorf("echoed email = %q, want usager@example.fr (typeInto must replace the value)", got)
	}
	if got := lastDocumentStatus(t, ctx); got != http.StatusOK {
		t.Errorf("status after POST and 303 = %d, want 200", got)
	}
	if got, want := currentURL(t, ctx), site.URL+"/merci?email=usager%40example.fr"; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
	waitJS(t, ctx, `document.title.startsWith("Merci")`)
}

func TestTrackBytes(t *testing.T) {
	t.Parallel()
	ctx := newBrowser(t, browserOpts{ExpectCSPViolations: true}) // /accessible's inline script
	site := newTestSite(t)
	page, css := site.URL+"/accessible", site.URL+"/static/app.css"

	bc := trackBytes(t, ctx)
	coldCache(t, ctx)
	navigate(t, ctx, page)
	if err := bc.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	cold, byURL := bc.Total(), bc.ByURL()
	t.Logf("cold: %d B in all; %v; by type %v", cold, byURL, bc.ByType())
	if doc := byURL[page]; doc <= 0 || doc >= int64(len(accessiblePage)) {
		t.Errorf("cold document: %d B on the wire, want more than 0 and less than its %d raw bytes (gzip)", doc, len(accessiblePage))
	}
	if byURL[css] <= 0 {
		t.Errorf("cold stylesheet: %d B, want > 0", byURL[css])
	}
	// Chromium may also fetch /favicon.ico, after the load event: the
	// comparisons leave it out.
	coldPage := byURL[page] + byURL[css]
	if cold < coldPage {
		t.Errorf("cold total = %d, want at least the document plus the stylesheet (%d)", cold, coldPage)
	}

	// Warm: the immutable stylesheet comes from the cache.
	warmCache(t, ctx)
	bc.Reset()
	navigate(t, ctx, page)
	if err := bc.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	warm, byURL := bc.Total(), bc.ByURL()
	t.Logf("warm: %d B in all; %v", warm, byURL)
	if byURL[page] <= 0 {
		t.Errorf("warm document: %d B, want > 0 (it is not cacheable)", byURL[page])
	}
	if byURL[css] != 0 {
		t.Errorf("warm stylesheet: %d B on the wire, want 0 (cached)", byURL[css])
	}
	if warmPage := byURL[page] + byURL[css]; warmPage >= coldPage || warm <= 0 {
		t.Errorf("warm: %d B for the page, want less than cold (%d B); %d B in all", warmPage, coldPage, warm)
	}
}
