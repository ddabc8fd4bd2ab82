package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app/otp"
	"github.com/aidantsconnect/ac/handlers"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// env is one App on its own database copy, with a fake clock.
type env struct {
	t     *testing.T
	app   *App
	clock *storetest.Clock
	base  string // the server's URL: FranceConnect calls go over real HTTP
}

func testConfig(t *testing.T, clk *storetest.Clock) Config {
	return Config{
		Mode: ModeDev, Addr: "127.0.0.1:0", DatabaseURL: storetest.NewDSN(t),
		SecretKey: []byte("test-secret-key-0123456789abcdef-0123456789"), SessionTTL: 24 * time.Hour,
		ActivityTimeout: 15 * time.Minute, LoginRateLimit: 1000, LoginRateWindow: 10 * time.Minute,
		Now: clk.Now, SkipSeed: true,
	}
}

func newEnv(t *testing.T, tweak ...func(*Config)) *env {
	t.Helper()
	clk := storetest.NewClock(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, clk)
	cfg.BaseURL = "http://" + ln.Addr().String()
	for _, f := range tweak {
		f(&cfg)
	}
	a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		a.Close()
	})
	return &env{t: t, app: a, clock: clk, base: cfg.BaseURL}
}

// person is an aidant created for a test, with an authenticator app whose secret we know.
type person struct {
	aidant *store.Aidant
	org    *store.Organisation
	secret []byte
}

func (e *env) org(name string) *store.Organisation {
	e.t.Helper()
	o := &store.Organisation{Name: name}
	if err := e.app.Store.CreateOrganisation(context.Background(), o); err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *env) aidant(email string, org *store.Organisation, withDevice bool) *person {
	e.t.Helper()
	ctx := context.Background()
	a := &store.Aidant{Email: email, FirstName: "Jean", LastName: "Test", CurrentOrganisationID: org.ID, CanCreateMandats: true, IsActive: true}
	if err := e.app.Store.CreateAidant(ctx, a, false); err != nil {
		e.t.Fatal(err)
	}
	p := &person{aidant: a, org: org}
	if withDevice {
		secret, err := otp.GenerateSecret()
		if err != nil {
			e.t.Fatal(err)
		}
		d := &store.OTPDevice{AidantID: a.ID, Kind: "app", Step: 30, Tolerance: 1, Confirmed: true, Secret: secret}
		if err := e.app.Store.AddOTPDevice(ctx, d, ""); err != nil {
			e.t.Fatal(err)
		}
		p.secret = secret
	}
	return p
}

// code is the person's current TOTP code at the env's clock.
func (e *env) code(p *person) string {
	e.t.Helper()
	c, err := otp.Code(p.secret, 30, e.clock.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) emails() []store.Email {
	e.t.Helper()
	es, err := e.app.Store.ListEmails(context.Background(), 100)
	if err != nil {
		e.t.Fatal(err)
	}
	return es
}

func (e *env) journal(orgID int64) []store.JournalEntry {
	e.t.Helper()
	js, err := e.app.Store.ListJournal(context.Background(), orgID, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	return js
}

// browser is a cookie-keeping client talking to the real Fiber app.
type browser struct {
	e    *env
	jar  map[string]string
	htmx bool
}

func (e *env) browser() *browser { return &browser{e: e, jar: map[string]string{}} }

type page struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (b *browser) do(req *http.Request) page {
	b.e.t.Helper()
	var cookies []string
	for k, v := range b.jar {
		cookies = append(cookies, k+"="+v)
	}
	if len(cookies) > 0 {
		req.Header.Set("Cookie", strings.Join(cookies, "; "))
	}
	if b.htmx {
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Boosted", "true")
	}
	resp, err := b.e.app.Fiber.Test(req, -1)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" || (!c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			delete(b.jar, c.Name)
		} else {
			b.jar[c.Name] = c.Value
		}
	}
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(body), header: resp.Header}
}

func (b *browser) get(path string) page {
	return b.do(httptest.NewRequest(http.MethodGet, b.e.base+strings.TrimPrefix(path, b.e.base), nil))
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// post submits a form like a browser would, with the CSRF token from the cookie.
func (b *browser) post(path string, form url.Values) page {
	b.e.t.Helper()
	if _, ok := b.jar[CSRFCookie]; !ok {
		b.get("/accounts/login/")
	}
	if form == nil {
		form = url.Values{}
	}
	if !form.Has("csrf_token") {
		form.Set("csrf_token", b.jar[CSRFCookie])
	}
	return b.postRaw(path, form)
}

func (b *browser) postRaw(path string, form url.Values) page {
	req := httptest.NewRequest(http.MethodPost, b.e.base+strings.TrimPrefix(path, b.e.base), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var linkRe = regexp.MustCompile(`http://[0-9.:]+(/chargement/code/[A-Za-z0-9_-]+/)`)

// lastLink returns the path of the newest emailed login link.
func (e *env) lastLink() string {
	e.t.Helper()
	es := e.emails()
	if len(es) == 0 {
		e.t.Fatal("no email in the outbox")
	}
	m := linkRe.FindStringSubmatch(es[0].BodyText)
	if m == nil {
		e.t.Fatalf("no login link in %q", es[0].BodyText)
	}
	return m[1]
}

// login runs the whole login for p and returns the logged-in browser.
func (e *env) login(p *person) *browser {
	e.t.Helper()
	b := e.browser()
	r := b.post("/accounts/login/", url.Values{"email": {p.aidant.Email}, "otp_token": {e.code(p)}})
	if r.status != http.StatusSeeOther || r.location != "/accounts/login/confirmation/" {
		e.t.Fatalf("login: status %d location %q body %s", r.status, r.location, r.body)
	}
	link := e.lastLink()
	token := strings.TrimSuffix(strings.TrimPrefix(link, "/chargement/code/"), "/")
	if w := b.get(link); w.status != http.StatusOK {
		e.t.Fatalf("wait page: %d", w.status)
	}
	r = b.post("/code/"+token+"/", nil)
	if r.status != http.StatusSeeOther {
		e.t.Fatalf("magic link: status %d location %q", r.status, r.location)
	}
	// Codes are single use: move to the next step so a later code differs.
	e.clock.Advance(30 * time.Second)
	return b
}

func strconvFormat(n int64) string { return strconv.FormatInt(n, 10) }

func sessionCookieName() string { return handlers.SessionCookie }
