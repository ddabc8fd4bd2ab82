package app

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/store"
)

const genericRefusal = "Les informations saisies ne permettent pas de vous identifier."

func TestLoginRefusalsAreGenericAndSendNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.org("Maison France Services")
	ok := e.aidant("ok@example.fr", org, true)
	inactive := e.aidant("inactive@example.fr", org, true)
	if err := e.app.Store.SetAidantActive(context.Background(), inactive.aidant.ID, false); err != nil {
		t.Fatal(err)
	}
	noDevice := e.aidant("nodevice@example.fr", org, false)

	wrong := func(p *person) string { // a well-formed code that is not the current one
		c := e.code(p)
		return string(rune('0'+(c[0]-'0'+1)%10)) + c[1:]
	}
	cases := []struct {
		name, email, code string
	}{
		{"unknown email", "nobody@example.fr", e.code(ok)},
		{"wrong code", ok.aidant.Email, wrong(ok)},
		{"inactive aidant", inactive.aidant.Email, e.code(inactive)},
		{"no device", noDevice.aidant.Email, "123456"},
		{"demo code on a non-demo account", ok.aidant.Email, "123456"},
	}
	for _, tc := range cases {
		r := e.browser().post("/accounts/login/", url.Values{"email": {tc.email}, "otp_token": {tc.code}})
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", tc.name, r.status)
		}
		if !strings.Contains(r.body, genericRefusal) {
			t.Errorf("%s: generic message missing", tc.name)
		}
		if strings.Contains(r.body, tc.email) == false && tc.email != "" {
			t.Errorf("%s: the email typed should be kept in the form", tc.name)
		}
	}
	if n := len(e.emails()); n != 0 {
		t.Fatalf("%d emails sent after refusals, want 0", n)
	}
}

func TestLoginFieldErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		email, code, field, msg string
	}{
		{"", "123456", "email", "Saisissez votre adresse e-mail."},
		{"pas-un-email", "123456", "email", "Saisissez une adresse e-mail valide"},
		{"a@b.fr", "12345", "otp_token", "Saisissez le code à 6 chiffres"},
		{"a@b.fr", "abcdef", "otp_token", "Saisissez le code à 6 chiffres"},
	}
	for _, tc := range cases {
		r := e.browser().post("/accounts/login/", url.Values{"email": {tc.email}, "otp_token": {tc.code}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, tc.msg) {
			t.Errorf("%q/%q: status %d, message %q missing", tc.email, tc.code, r.status, tc.msg)
		}
		if !strings.Contains(r.body, `id="`+tc.field+`-error"`) || !strings.Contains(r.body, `aria-invalid="true"`) {
			t.Errorf("%q/%q: error not attached to field %s", tc.email, tc.code, tc.field)
		}
	}
}

func TestLoginEndToEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.org("Maison France Services")
	p := e.aidant("jean@example.fr", org, true)
	b := e.browser()

	r := b.post("/accounts/login/", url.Values{"email": {"  Jean@Example.fr "}, "otp_token": {e.code(p)[:3] + " " + e.code(p)[3:]}})
	if r.status != http.StatusSeeOther || r.location != "/accounts/login/confirmation/" {
		t.Fatalf("status %d location %q", r.status, r.location)
	}
	if r := b.get(r.location); !strings.Contains(r.body, "Confirmation de connexion") {
		t.Fatal("confirmation page missing")
	}
	es := e.emails()
	if len(es) != 1 || es[0].To != "jean@example.fr" || es[0].Subject != "Votre lien de connexion à Aidants Connect" {
		t.Fatalf("emails = %+v", es)
	}
	link := e.lastLink()
	w := b.get(link)
	token := strings.TrimSuffix(strings.TrimPrefix(link, "/chargement/code/"), "/")
	if w.status != http.StatusOK || !strings.Contains(w.body, `action="/code/`+token+`/"`) || !strings.Contains(w.body, "data-autosubmit") {
		t.Fatalf("wait page: %d", w.status)
	}
	if n, _ := e.app.Store.CountAidantSessions(context.Background(), p.aidant.ID); n != 0 {
		t.Fatal("opening the link must not log in by itself (mail scanners)")
	}
	r = b.post("/code/"+token+"/", nil)
	if r.status != http.StatusSeeOther || r.location != "/espace-aidant/" {
		t.Fatalf("magic link: %d %q", r.status, r.location)
	}
	home := b.get("/espace-aidant/")
	if home.status != http.StatusOK || !strings.Contains(home.body, "Bienvenue, Jean") {
		t.Fatalf("home: %d", home.status)
	}
	js := e.journal(org.ID)
	if len(js) != 1 || js[0].Action != store.ActionConnectAidant || *js[0].AidantID != p.aidant.ID {
		t.Fatalf("journal = %+v", js)
	}
	if n, _ := e.app.Store.CountAidantSessions(context.Background(), p.aidant.ID); n != 1 {
		t.Fatalf("sessions = %d, want 1", n)
	}
	// The link is single use.
	again := e.browser().post("/code/"+token+"/", nil)
	if again.status != http.StatusSeeOther || again.location != "/accounts/login/" {
		t.Fatalf("reused link: %d %q", again.status, again.location)
	}

	// Logout ends the session on the server: the old cookie no longer works.
	stolen := b.jar[sessionCookieName()]
	if r := b.post("/logout-session/", nil); r.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.status)
	}
	if n, _ := e.app.Store.CountAidantSessions(context.Background(), p.aidant.ID); n != 0 {
		t.Fatalf("sessions after logout = %d", n)
	}
	replay := e.browser()
	replay.jar[sessionCookieName()] = stolen
	if r := replay.get("/espace-aidant/"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/accounts/login/") {
		t.Fatalf("old session cookie still works: %d %q", r.status, r.location)
	}
}

func TestCodeNeverAcceptedTwice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.aidant("jean@example.fr", e.org("MFS"), true)
	code := e.code(p)
	if r := e.browser().post("/accounts/login/", url.Values{"email": {p.aidant.Email}, "otp_token": {code}}); r.status != http.StatusSeeOther {
		t.Fatalf("first use: %d", r.status)
	}
	e.clock.Advance(5 * time.Second) // same 30 s step
	r := e.browser().post("/accounts/login/", url.Values{"email": {p.aidant.Email}, "otp_token": {code}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, genericRefusal) {
		t.Fatalf("replayed code: status %d", r.status)
	}
	if n := len(e.emails()); n != 1 {
		t.Fatalf("emails = %d, want 1", n)
	}
}

func TestBackoffAfterFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.aidant("jean@example.fr", e.org("MFS"), true)
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
		e.clock.Advance(s.advance)
		code := "000000"
		if s.right {
			code = e.code(p)
		} else if code == e.code(p) {
			code = "111111"
		}
		if r := e.browser().post("/accounts/login/", url.Values{"email": {p.aidant.Email}, "otp_token": {code}}); r.status != s.want {
			t.Fatalf("step %d: status %d, want %d", i, r.status, s.want)
		}
	}
}

func TestMagicLinkExpired(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.aidant("jean@example.fr", e.org("MFS"), true)
	b := e.browser()
	b.post("/accounts/login/", url.Values{"email": {p.aidant.Email}, "otp_token": {e.code(p)}})
	token := strings.TrimSuffix(strings.TrimPrefix(e.lastLink(), "/chargement/code/"), "/")
	e.clock.Advance(5*time.Minute + time.Second)
	r := b.post("/code/"+token+"/", nil)
	if r.status != http.StatusSeeOther || r.location != "/accounts/login/" {
		t.Fatalf("expired link: %d %q", r.status, r.location)
	}
	if page := b.get("/accounts/login/"); !strings.Contains(page.body, "Ce lien de connexion ne fonctionne plus") {
		t.Fatal("expired-link message missing")
	}
	if n, _ := e.app.Store.CountAidantSessions(context.Background(), p.aidant.ID); n != 0 {
		t.Fatal("an expired link logged in")
	}
}

func TestCSRFRequired(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.aidant("jean@example.fr", e.org("MFS"), true)
	b := e.browser()
	b.get("/accounts/login/")
	for name, form := range map[string]url.Values{
		"no token":    {"email": {p.aidant.Email}, "otp_token": {e.code(p)}},
		"wrong token": {"email": {p.aidant.Email}, "otp_token": {e.code(p)}, "csrf_token": {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},
	} {
		r := b.postRaw("/accounts/login/", form)
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "Accès refusé") {
			t.Errorf("%s: status %d, want 403 page", name, r.status)
		}
	}
	if n := len(e.emails()); n != 0 {
		t.Fatalf("a CSRF-less POST sent %d emails", n)
	}
	// A token sent in the htmx header is accepted.
	req := e.httptestPost("/accounts/login/", url.Values{"email": {p.aidant.Email}, "otp_token": {e.code(p)}})
	req.Header.Set("X-CSRF-Token", b.jar[CSRFCookie])
	if r := b.do(req); r.status != http.StatusSeeOther {
		t.Fatalf("header token: %d", r.status)
	}
	// A cross-site Origin is refused even with the right token.
	req = e.httptestPost("/accounts/login/", url.Values{"email": {p.aidant.Email}, "otp_token": {e.code(p)}, "csrf_token": {b.jar[CSRFCookie]}})
	req.Header.Set("Origin", "https://evil.example")
	if r := b.do(req); r.status != http.StatusForbidden {
		t.Fatalf("cross-site origin: %d", r.status)
	}
}

func TestNextMustBeLocal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.org("MFS")
	for i, next := range []string{"//evil.example", "https://evil.example/x", "/\\evil.example", "javascript:alert(1)", "http:/evil.example", "/\t/evil.example"} {
		p := e.aidant("next"+strconv.Itoa(i)+"@example.fr", org, true)
		b := e.browser()
		if page := b.get("/accounts/login/?next=" + url.QueryEscape(next)); strings.Contains(page.body, "evil") {
			t.Errorf("next=%q echoed in the login form", next)
		}
		b.post("/accounts/login/", url.Values{"email": {p.aidant.Email}, "otp_token": {e.code(p)}, "next": {next}})
		token := strings.TrimSuffix(strings.TrimPrefix(e.lastLink(), "/chargement/code/"), "/")
		r := b.post("/code/"+token+"/", nil)
		if r.location != "/espace-aidant/" {
			t.Errorf("next=%q: redirected to %q", next, r.location)
		}
		e.clock.Advance(30 * time.Second)
	}
	// A local next is honoured.
	p := e.aidant("local@example.fr", org, true)
	b := e.browser()
	b.post("/accounts/login/", url.Values{"email": {p.aidant.Email}, "otp_token": {e.code(p)}, "next": {"/espace-aidant/?onglet=1"}})
	token := strings.TrimSuffix(strings.TrimPrefix(e.lastLink(), "/chargement/code/"), "/")
	if r := b.post("/code/"+token+"/", nil); r.location != "/espace-aidant/?onglet=1" {
		t.Fatalf("local next: %q", r.location)
	}
}

func TestActivityCheckReturnsToThePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.org("MFS")
	p := e.aidant("jean@example.fr", org, true)
	b := e.login(p)
	if r := b.get("/espace-aidant/"); r.status != http.StatusOK {
		t.Fatalf("fresh session: %d", r.status)
	}
	e.clock.Advance(16 * time.Minute)
	// A page outside the espace does not reset the inactivity.
	b.get("/")
	r := b.get("/espace-aidant/?onglet=2")
	want := "/activity_check/?next=" + url.QueryEscape("/espace-aidant/?onglet=2")
	if r.status != http.StatusSeeOther || r.location != want {
		t.Fatalf("stale session: %d %q, want %q", r.status, r.location, want)
	}
	check := b.get(r.location)
	if !strings.Contains(check.body, "Session expirée") {
		t.Fatal("activity check page missing")
	}
	if r := b.post("/activity_check/", url.Values{"otp_token": {"000000"}, "next": {"/espace-aidant/?onglet=2"}}); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("wrong code: %d", r.status)
	}
	e.clock.Advance(5 * time.Second) // past the 1 s backoff of that failure
	r = b.post("/activity_check/", url.Values{"otp_token": {e.code(p)}, "next": {"/espace-aidant/?onglet=2"}})
	if r.status != http.StatusSeeOther || r.location != "/espace-aidant/?onglet=2" {
		t.Fatalf("after code: %d %q", r.status, r.location)
	}
	if r := b.get(r.location); r.status != http.StatusOK {
		t.Fatalf("back on the page: %d", r.status)
	}
	js := e.journal(org.ID)
	if len(js) != 2 || js[0].Action != store.ActionActivityCheck {
		t.Fatalf("journal = %v", js)
	}
	// An external next is not followed after the check either.
	e.clock.Advance(16 * time.Minute)
	r = b.post("/activity_check/", url.Values{"otp_token": {e.code(p)}, "next": {"//evil.example"}})
	if r.location != "/espace-aidant/" {
		t.Fatalf("activity check followed %q", r.location)
	}
}

func TestLoginRateLimitPerIP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.LoginRateLimit = 3 })
	b := e.browser()
	for i := 0; i < 3; i++ {
		if r := b.post("/accounts/login/", url.Values{"email": {"x@example.fr"}, "otp_token": {"000000"}}); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("attempt %d: %d", i, r.status)
		}
	}
	r := b.post("/accounts/login/", url.Values{"email": {"x@example.fr"}, "otp_token": {"000000"}})
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "Trop de tentatives") {
		t.Fatalf("4th attempt: %d", r.status)
	}
	e.clock.Advance(11 * time.Minute)
	if r := b.post("/accounts/login/", url.Values{"email": {"x@example.fr"}, "otp_token": {"000000"}}); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("after the window: %d", r.status)
	}
}

func TestDeactivationEndsSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.aidant("jean@example.fr", e.org("MFS"), true)
	b := e.login(p)
	if err := e.app.Store.SetAidantActive(context.Background(), p.aidant.ID, false); err != nil {
		t.Fatal(err)
	}
	if r := b.get("/espace-aidant/"); r.status != http.StatusSeeOther {
		t.Fatalf("deactivated aidant still in: %d", r.status)
	}
}

func TestOrganisationSwitch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org1, org2, foreign := e.org("MFS Nord"), e.org("CCAS Sud"), e.org("Autre structure")
	p := e.aidant("jean@example.fr", org1, true)
	if err := e.app.Store.AddMembership(context.Background(), p.aidant.ID, org2.ID, false); err != nil {
		t.Fatal(err)
	}
	b := e.login(p)
	home := b.get("/espace-aidant/")
	if !strings.Contains(home.body, "Changer d&#39;organisation") && !strings.Contains(home.body, "Changer d'organisation") {
		t.Fatal("switch form missing for a multi-organisation aidant")
	}
	r := b.post("/espace-aidant/organisations/switch_main", url.Values{"organisation": {itoa(foreign.ID)}})
	if r.status != http.StatusNotFound || !strings.Contains(r.body, "introuvable ou inaccessible") || strings.Contains(r.body, "Autre structure") {
		t.Fatalf("foreign organisation: %d", r.status)
	}
	r = b.post("/espace-aidant/organisations/switch_main", url.Values{"organisation": {itoa(org2.ID)}, "next": {"https://evil.example"}})
	if r.status != http.StatusSeeOther || r.location != "/espace-aidant/" {
		t.Fatalf("switch: %d %q", r.status, r.location)
	}
	if home := b.get("/espace-aidant/"); !strings.Contains(home.body, "CCAS Sud") {
		t.Fatal("current organisation not switched")
	}
	js := e.journal(org2.ID)
	if len(js) != 1 || js[0].Action != store.ActionSwitchOrganisation || !strings.Contains(js[0].Info, "MFS Nord") {
		t.Fatalf("journal = %+v", js)
	}
	if js := e.journal(foreign.ID); len(js) != 0 {
		t.Fatalf("foreign organisation journal = %+v", js)
	}
}

func TestSecurityHeadersAndHealth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.browser()
	r := b.get("/accounts/login/")
	csp := r.header.Get("Content-Security-Policy")
	if csp == "" || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("CSP = %q", csp)
	}
	if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Referrer-Policy") == "" {
		t.Fatalf("headers = %v", r.header)
	}
	if strings.Contains(r.body, "<script>") || strings.Contains(r.body, " style=") {
		t.Fatal("inline script or style in the page")
	}
	if r := b.get("/healthz"); r.status != http.StatusOK {
		t.Fatalf("healthz %d", r.status)
	}
	if r := b.get("/readyz"); r.status != http.StatusOK {
		t.Fatalf("readyz %d", r.status)
	}
	nf := b.get("/nulle-part/")
	if nf.status != http.StatusNotFound || !strings.Contains(nf.body, "Page introuvable") {
		t.Fatalf("404 page: %d", nf.status)
	}
	if r := b.get("/dev/emails/"); r.status != http.StatusOK {
		t.Fatalf("dev outbox in dev: %d", r.status)
	}
}

func itoa(n int64) string { return strconvFormat(n) }

func (e *env) httptestPost(path string, form url.Values) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, e.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}
