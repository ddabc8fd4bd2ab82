package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/handlers"
	"github.com/aidantsconnect/ac/store"
)

const genericRefusal = "Les informations saisies ne permettent pas de vous identifier."

func TestLoginRefusalsAreGenericAndSendNothing(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	org := e.Org("Maison France Services")
	ok := e.Aidant("ok@example.fr", org, true)
	inactive := e.Aidant("inactive@example.fr", org, true)
	if err := e.App.Store.SetAidantActive(context.Background(), inactive.Aidant.ID, false); err != nil {
		t.Fatal(err)
	}
	noDevice := e.Aidant("nodevice@example.fr", org, false)

	wrong := func(p *apptest.Person) string { // a well-formed code that is not the current one
		c := e.Code(p)
		return string(rune('0'+(c[0]-'0'+1)%10)) + c[1:]
	}
	cases := []struct {
		name, email, code string
	}{
		{"unknown email", "nobody@example.fr", e.Code(ok)},
		{"wrong code", ok.Aidant.Email, wrong(ok)},
		{"inactive aidant", inactive.Aidant.Email, e.Code(inactive)},
		{"no device", noDevice.Aidant.Email, "123456"},
		{"demo code on a non-demo account", ok.Aidant.Email, "123456"},
	}
	for _, tc := range cases {
		r := e.Browser().Post("/accounts/login/", url.Values{"email": {tc.email}, "otp_token": {tc.code}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", tc.name, r.Status)
		}
		if !strings.Contains(r.Body, genericRefusal) {
			t.Errorf("%s: generic message missing", tc.name)
		}
		if strings.Contains(r.Body, tc.email) == false && tc.email != "" {
			t.Errorf("%s: the email typed should be kept in the form", tc.name)
		}
	}
	if n := len(e.Emails()); n != 0 {
		t.Fatalf("%d emails sent after refusals, want 0", n)
	}
}

func TestLoginFieldErrors(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	cases := []struct {
		email, code, field, msg string
	}{
		{"", "123456", "email", "Saisissez votre adresse e-mail."},
		{"pas-un-email", "123456", "email", "Saisissez une adresse e-mail valide"},
		{"a@b.fr", "12345", "otp_token", "Saisissez le code à 6 chiffres"},
		{"a@b.fr", "abcdef", "otp_token", "Saisissez le code à 6 chiffres"},
	}
	for _, tc := range cases {
		r := e.Browser().Post("/accounts/login/", url.Values{"email": {tc.email}, "otp_token": {tc.code}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, tc.msg) {
			t.Errorf("%q/%q: status %d, message %q missing", tc.email, tc.code, r.Status, tc.msg)
		}
		if !strings.Contains(r.Body, `id="`+tc.field+`-error"`) || !strings.Contains(r.Body, `aria-invalid="true"`) {
			t.Errorf("%q/%q: error not attached to field %s", tc.email, tc.code, tc.field)
		}
	}
}

func TestLoginEndToEnd(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	org := e.Org("Maison France Services")
	p := e.Aidant("jean@example.fr", org, true)
	b := e.Browser()

	r := b.Post("/accounts/login/", url.Values{"email": {"  Jean@Example.fr "}, "otp_token": {e.Code(p)[:3] + " " + e.Code(p)[3:]}})
	if r.Status != http.StatusSeeOther || r.Location != "/accounts/login/confirmation/" {
		t.Fatalf("status %d location %q", r.Status, r.Location)
	}
	if r := b.Get(r.Location); !strings.Contains(r.Body, "Confirmation de connexion") {
		t.Fatal("confirmation page missing")
	}
	es := e.Emails()
	if len(es) != 1 || es[0].To != "jean@example.fr" || es[0].Subject != "Votre lien de connexion à Aidants Connect" {
		t.Fatalf("emails = %+v", es)
	}
	link := e.LastLoginLink()
	w := b.Get(link)
	token := strings.TrimSuffix(strings.TrimPrefix(link, "/chargement/code/"), "/")
	if w.Status != http.StatusOK || !strings.Contains(w.Body, `action="/code/`+token+`/"`) || !strings.Contains(w.Body, "data-autosubmit") {
		t.Fatalf("wait page: %d", w.Status)
	}
	if n, _ := e.App.Store.CountAidantSessions(context.Background(), p.Aidant.ID); n != 0 {
		t.Fatal("opening the link must not log in by itself (mail scanners)")
	}
	r = b.Post("/code/"+token+"/", nil)
	if r.Status != http.StatusSeeOther || r.Location != "/espace-aidant/" {
		t.Fatalf("magic link: %d %q", r.Status, r.Location)
	}
	home := b.Get("/espace-aidant/")
	if home.Status != http.StatusOK || !strings.Contains(home.Body, "Bienvenue, Jean") {
		t.Fatalf("home: %d", home.Status)
	}
	js := e.Journal(org.ID)
	if len(js) != 1 || js[0].Action != store.ActionConnectAidant || *js[0].AidantID != p.Aidant.ID {
		t.Fatalf("journal = %+v", js)
	}
	if n, _ := e.App.Store.CountAidantSessions(context.Background(), p.Aidant.ID); n != 1 {
		t.Fatalf("sessions = %d, want 1", n)
	}
	// The link is single use.
	again := e.Browser().Post("/code/"+token+"/", nil)
	if again.Status != http.StatusSeeOther || again.Location != "/accounts/login/" {
		t.Fatalf("reused link: %d %q", again.Status, again.Location)
	}

	// Logout ends the session on the server: the old cookie no longer works.
	stolen := b.Jar[handlers.SessionCookie]
	if r := b.Post("/logout-session/", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.Status)
	}
	if n, _ := e.App.Store.CountAidantSessions(context.Background(), p.Aidant.ID); n != 0 {
		t.Fatalf("sessions after logout = %d", n)
	}
	replay := e.Browser()
	replay.Jar[handlers.SessionCookie] = stolen
	if r := replay.Get("/espace-aidant/"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/accounts/login/") {
		t.Fatalf("old session cookie still works: %d %q", r.Status, r.Location)
	}
}

func TestCodeNeverAcceptedTwice(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	p := e.Aidant("jean@example.fr", e.Org("MFS"), true)
	code := e.Code(p)
	if r := e.Browser().Post("/accounts/login/", url.Values{"email": {p.Aidant.Email}, "otp_token": {code}}); r.Status != http.StatusSeeOther {
		t.Fatalf("first use: %d", r.Status)
	}
	e.Clock.Advance(5 * time.Second) // same 30 s step
	r := e.Browser().Post("/accounts/login/", url.Values{"email": {p.Aidant.Email}, "otp_token": {code}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, genericRefusal) {
		t.Fatalf("replayed code: status %d", r.Status)
	}
	if n := len(e.Emails()); n != 1 {
		t.Fatalf("emails = %d, want 1", n)
	}
}

func TestBackoffAfterFailures(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	p := e.Aidant("jean@example.fr", e.Org("MFS"), true)
	steps := []struct {
		advance time.Duration
		right   bool
		want    int
	}{
		{0, false, http.StatusUnprocessableEntity},              // failure 1: locked 1 s
		{0, true, http.StatusUnprocessableEntity},               // the right code, refused while locked
		{time.Second, false, http.StatusUnprocessableEntity},    // failure 2: locked 2 s
		{time.Second, true, http.StatusUnprocessableEntity},     // still locked
		{time.Second, false, http.StatusUnprocessableEntity},    // failure 3: locked 4 s
		{3 * time.Second, true, http.StatusUnprocessableEntity}, // still locked
		{time.Second, true, http.StatusSeeOther},                // lock over: accepted
	}
	for i, s := range steps {
		e.Clock.Advance(s.advance)
		code := "000000"
		if s.right {
			code = e.Code(p)
		} else if code == e.Code(p) {
			code = "111111"
		}
		if r := e.Browser().Post("/accounts/login/", url.Values{"email": {p.Aidant.Email}, "otp_token": {code}}); r.Status != s.want {
			t.Fatalf("step %d: status %d, want %d", i, r.Status, s.want)
		}
	}
}

func TestMagicLinkExpired(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	p := e.Aidant("jean@example.fr", e.Org("MFS"), true)
	b := e.Browser()
	b.Post("/accounts/login/", url.Values{"email": {p.Aidant.Email}, "otp_token": {e.Code(p)}})
	token := strings.TrimSuffix(strings.TrimPrefix(e.LastLoginLink(), "/chargement/code/"), "/")
	e.Clock.Advance(5*time.Minute + time.Second)
	r := b.Post("/code/"+token+"/", nil)
	if r.Status != http.StatusSeeOther || r.Location != "/accounts/login/" {
		t.Fatalf("expired link: %d %q", r.Status, r.Location)
	}
	if page := b.Get("/accounts/login/"); !strings.Contains(page.Body, "Ce lien de connexion ne fonctionne plus") {
		t.Fatal("expired-link message missing")
	}
	if n, _ := e.App.Store.CountAidantSessions(context.Background(), p.Aidant.ID); n != 0 {
		t.Fatal("an expired link logged in")
	}
}

func TestCSRFRequired(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	p := e.Aidant("jean@example.fr", e.Org("MFS"), true)
	b := e.Browser()
	b.Get("/accounts/login/")
	for name, form := range map[string]url.Values{
		"no token":    {"email": {p.Aidant.Email}, "otp_token": {e.Code(p)}},
		"wrong token": {"email": {p.Aidant.Email}, "otp_token": {e.Code(p)}, "csrf_token": {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},
	} {
		r := b.PostRaw("/accounts/login/", form)
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "Accès refusé") {
			t.Errorf("%s: status %d, want 403 page", name, r.Status)
		}
	}
	if n := len(e.Emails()); n != 0 {
		t.Fatalf("a CSRF-less POST sent %d emails", n)
	}
	// A token sent in the htmx header is accepted.
	req := httptestPost(e, "/accounts/login/", url.Values{"email": {p.Aidant.Email}, "otp_token": {e.Code(p)}})
	req.Header.Set("X-CSRF-Token", b.Jar[app.CSRFCookie])
	if r := b.Do(req); r.Status != http.StatusSeeOther {
		t.Fatalf("header token: %d", r.Status)
	}
	// A cross-site Origin is refused even with the right token.
	req = httptestPost(e, "/accounts/login/", url.Values{"email": {p.Aidant.Email}, "otp_token": {e.Code(p)}, "csrf_token": {b.Jar[app.CSRFCookie]}})
	req.Header.Set("Origin", "https://evil.example")
	if r := b.Do(req); r.Status != http.StatusForbidden {
		t.Fatalf("cross-site origin: %d", r.Status)
	}
}

func TestNextMustBeLocal(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	org := e.Org("MFS")
	for i, next := range []string{"//evil.example", "https://evil.example/x", "/\\evil.example", "javascript:alert(1)", "http:/evil.example", "/\t/evil.example",
		"/%2Fevil.example/é", "/%2F%2Fevil.example "} { // an encoded slash that re-encoding would decode
		p := e.Aidant("next"+strconv.Itoa(i)+"@example.fr", org, true)
		b := e.Browser()
		if page := b.Get("/accounts/login/?next=" + url.QueryEscape(next)); strings.Contains(page.Body, "evil") {
			t.Errorf("next=%q echoed in the login form", next)
		}
		b.Post("/accounts/login/", url.Values{"email": {p.Aidant.Email}, "otp_token": {e.Code(p)}, "next": {next}})
		token := strings.TrimSuffix(strings.TrimPrefix(e.LastLoginLink(), "/chargement/code/"), "/")
		r := b.Post("/code/"+token+"/", nil)
		if r.Location != "/espace-aidant/" {
			t.Errorf("next=%q: redirected to %q", next, r.Location)
		}
		e.Clock.Advance(30 * time.Second)
	}
	// The activity check goes back to next once: it must be as local.
	q := e.Aidant("activity@example.fr", org, true)
	qb := e.Login(q)
	if r := qb.Post("/activity_check/", url.Values{"otp_token": {e.Code(q)}, "next": {"/%2Fevil.example/é"}}); r.Location != "/espace-aidant/" {
		t.Errorf("activity check with an encoded slash: redirected to %q", r.Location)
	}
	e.Clock.Advance(30 * time.Second)
	// A local next is honoured.
	p := e.Aidant("local@example.fr", org, true)
	b := e.Browser()
	b.Post("/accounts/login/", url.Values{"email": {p.Aidant.Email}, "otp_token": {e.Code(p)}, "next": {"/espace-aidant/?onglet=1"}})
	token := strings.TrimSuffix(strings.TrimPrefix(e.LastLoginLink(), "/chargement/code/"), "/")
	if r := b.Post("/code/"+token+"/", nil); r.Location != "/espace-aidant/?onglet=1" {
		t.Fatalf("local next: %q", r.Location)
	}
}

func TestActivityCheckReturnsToThePage(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	org := e.Org("MFS")
	p := e.Aidant("jean@example.fr", org, true)
	b := e.Login(p)
	if r := b.Get("/espace-aidant/"); r.Status != http.StatusOK {
		t.Fatalf("fresh session: %d", r.Status)
	}
	e.Clock.Advance(16 * time.Minute)
	// A page outside the espace does not reset the inactivity.
	b.Get("/")
	r := b.Get("/espace-aidant/?onglet=2")
	want := "/activity_check/?next=" + url.QueryEscape("/espace-aidant/?onglet=2")
	if r.Status != http.StatusSeeOther || r.Location != want {
		t.Fatalf("stale session: %d %q, want %q", r.Status, r.Location, want)
	}
	check := b.Get(r.Location)
	if !strings.Contains(check.Body, "Session expirée") {
		t.Fatal("activity check page missing")
	}
	if r := b.Post("/activity_check/", url.Values{"otp_token": {"000000"}, "next": {"/espace-aidant/?onglet=2"}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("wrong code: %d", r.Status)
	}
	e.Clock.Advance(5 * time.Second) // past the 1 s backoff of that failure
	r = b.Post("/activity_check/", url.Values{"otp_token": {e.Code(p)}, "next": {"/espace-aidant/?onglet=2"}})
	if r.Status != http.StatusSeeOther || r.Location != "/espace-aidant/?onglet=2" {
		t.Fatalf("after code: %d %q", r.Status, r.Location)
	}
	if r := b.Get(r.Location); r.Status != http.StatusOK {
		t.Fatalf("back on the page: %d", r.Status)
	}
	js := e.Journal(org.ID)
	if len(js) != 2 || js[0].Action != store.ActionActivityCheck {
		t.Fatalf("journal = %v", js)
	}
	// An external next is not followed after the check either.
	e.Clock.Advance(16 * time.Minute)
	r = b.Post("/activity_check/", url.Values{"otp_token": {e.Code(p)}, "next": {"//evil.example"}})
	if r.Location != "/espace-aidant/" {
		t.Fatalf("activity check followed %q", r.Location)
	}
}

func TestLoginRateLimitPerIP(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t, func(c *app.Config) { c.LoginRateLimit = 3 })
	b := e.Browser()
	for i := 0; i < 3; i++ {
		if r := b.Post("/accounts/login/", url.Values{"email": {"x@example.fr"}, "otp_token": {"000000"}}); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("attempt %d: %d", i, r.Status)
		}
	}
	r := b.Post("/accounts/login/", url.Values{"email": {"x@example.fr"}, "otp_token": {"000000"}})
	if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "Trop de tentatives") {
		t.Fatalf("4th attempt: %d", r.Status)
	}
	e.Clock.Advance(11 * time.Minute)
	if r := b.Post("/accounts/login/", url.Values{"email": {"x@example.fr"}, "otp_token": {"000000"}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("after the window: %d", r.Status)
	}
}

func TestDeactivationEndsSessions(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	p := e.Aidant("jean@example.fr", e.Org("MFS"), true)
	b := e.Login(p)
	if err := e.App.Store.SetAidantActive(context.Background(), p.Aidant.ID, false); err != nil {
		t.Fatal(err)
	}
	if r := b.Get("/espace-aidant/"); r.Status != http.StatusSeeOther {
		t.Fatalf("deactivated aidant still in: %d", r.Status)
	}
}

func TestOrganisationSwitch(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	org1, org2, foreign := e.Org("MFS Nord"), e.Org("CCAS Sud"), e.Org("Autre structure")
	p := e.Aidant("jean@example.fr", org1, true)
	if err := e.App.Store.AddMembership(context.Background(), p.Aidant.ID, org2.ID, false); err != nil {
		t.Fatal(err)
	}
	b := e.Login(p)
	home := b.Get("/espace-aidant/")
	if !strings.Contains(home.Body, "Changer d&#39;organisation") && !strings.Contains(home.Body, "Changer d'organisation") {
		t.Fatal("switch form missing for a multi-organisation aidant")
	}
	r := b.Post("/espace-aidant/organisations/switch_main", url.Values{"organisation": {itoa(foreign.ID)}})
	if r.Status != http.StatusNotFound || !strings.Contains(r.Body, "introuvable ou inaccessible") || strings.Contains(r.Body, "Autre structure") {
		t.Fatalf("foreign organisation: %d", r.Status)
	}
	r = b.Post("/espace-aidant/organisations/switch_main", url.Values{"organisation": {itoa(org2.ID)}, "next": {"https://evil.example"}})
	if r.Status != http.StatusSeeOther || r.Location != "/espace-aidant/" {
		t.Fatalf("switch: %d %q", r.Status, r.Location)
	}
	if home := b.Get("/espace-aidant/"); !strings.Contains(home.Body, "CCAS Sud") {
		t.Fatal("current organisation not switched")
	}
	js := e.Journal(org2.ID)
	if len(js) != 1 || js[0].Action != store.ActionSwitchOrganisation || !strings.Contains(js[0].Info, "MFS Nord") {
		t.Fatalf("journal = %+v", js)
	}
	if js := e.Journal(foreign.ID); len(js) != 0 {
		t.Fatalf("foreign organisation journal = %+v", js)
	}
}

func TestSecurityHeadersAndHealth(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	b := e.Browser()
	r := b.Get("/accounts/login/")
	csp := r.Header.Get("Content-Security-Policy")
	if csp == "" || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("CSP = %q", csp)
	}
	if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Referrer-Policy") == "" {
		t.Fatalf("headers = %v", r.Header)
	}
	if strings.Contains(r.Body, "<script>") || strings.Contains(r.Body, " style=") {
		t.Fatal("inline script or style in the page")
	}
	if r := b.Get("/healthz"); r.Status != http.StatusOK {
		t.Fatalf("healthz %d", r.Status)
	}
	if r := b.Get("/readyz"); r.Status != http.StatusOK {
		t.Fatalf("readyz %d", r.Status)
	}
	nf := b.Get("/nulle-part/")
	if nf.Status != http.StatusNotFound || !strings.Contains(nf.Body, "Page introuvable") {
		t.Fatalf("404 page: %d", nf.Status)
	}
	if r := b.Get("/dev/emails/"); r.Status != http.StatusOK {
		t.Fatalf("dev outbox in dev: %d", r.Status)
	}
}

func httptestPost(e *apptest.Env, path string, form url.Values) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, e.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}
