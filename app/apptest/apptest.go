// Package apptest starts the whole App for tests: a throwaway database, the injected test
// clock, a cookie-keeping client and the login of each audience.
//
//	func TestMain(m *testing.M) { storetest.Main(m) } // once per test package
//
//	e := apptest.Start(t)                    // or apptest.Start(t, func(c *app.Config) { … })
//	p := e.Aidant("jean@example.fr", e.Org("MFS"), true)
//	b := e.Login(p)                          // email and code, then the emailed link
//	if r := b.Get(paths.Espace); r.Status != http.StatusOK { … }
//
// The App listens on a loopback port (FranceConnect and the identity provider are called over
// real HTTP at Env.URL) while Browser sends its requests straight to Fiber. The clock moves
// only when a test moves it (Env.Clock).
package apptest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/otp"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/store/storetest"
)

// secretKey is the App's key unless a tweak sets another.
const secretKey = "test-secret-key-0123456789abcdef-0123456789"

// Env is one App on its own database copy, on a test clock, serving at URL.
type Env struct {
	T     *testing.T
	App   *app.App
	Clock *storetest.Clock
	URL   string // the server's base URL, without a trailing slash
}

// config is the configuration Start gives the App before the tweaks: dev mode, a fresh
// database served as a role that may only read and append to the journal (migrated by its
// owner, as in production), no demo seed, a login rate limit no test reaches, the clock's Now.
func config(t *testing.T, clock *storetest.Clock) app.Config {
	t.Helper()
	owner, serving := storetest.NewDSNs(t)
	return app.Config{
		Mode: app.ModeDev, Addr: "127.0.0.1:0", DatabaseURL: serving, MigrateDatabaseURL: owner,
		SecretKey: []byte(secretKey), SessionTTL: 24 * time.Hour,
		ActivityTimeout: 15 * time.Minute, LoginRateLimit: 1000, LoginRateWindow: 10 * time.Minute,
		Now: clock.Now, SkipSeed: true,
	}
}

// Start builds the App (dev mode, a fresh database copy, no demo seed, a login rate limit no
// test reaches, Now from a new storetest.Clock) changed by the tweaks in order (BaseURL is
// already the listener's), serves it on 127.0.0.1 and stops it when the test ends. The test package needs
// storetest.Main in its TestMain.
func Start(t *testing.T, tweak ...func(*app.Config)) *Env {
	t.Helper()
	clock := storetest.NewClock(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config(t, clock)
	cfg.BaseURL = "http://" + ln.Addr().String()
	serving, owner := cfg.DatabaseURL, cfg.MigrateDatabaseURL
	for _, f := range tweak {
		f(&cfg)
	}
	if cfg.DatabaseURL != serving && cfg.MigrateDatabaseURL == owner {
		cfg.MigrateDatabaseURL = "" // a tweak brought its own database: it migrates it itself
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		ln.Close()
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
	return &Env{T: t, App: a, Clock: clock, URL: cfg.BaseURL}
}

// WithDemoSeed is a tweak for Start: the demo organisations and accounts (app.SeedDemo) are
// inserted at start, as in dev, without the demo aidant's practice mandats (each journey
// makes the mandats it checks).
func WithDemoSeed(c *app.Config) { c.SkipSeed, c.SkipPractice = false, true }

// WithPractice is a tweak for Start: the whole demo data of dev, the practice mandats
// (app.SeedPractice) included.
func WithPractice(c *app.Config) { c.SkipSeed, c.SkipPractice = false, false }

// Person is an aidant created for a test, with an authenticator app whose secret is known
// (Secret is nil without a device).
type Person struct {
	Aidant *store.Aidant
	Org    *store.Organisation
	Secret []byte
}

// Org creates an organisation.
func (e *Env) Org(name string) *store.Organisation {
	e.T.Helper()
	o := &store.Organisation{Name: name}
	if err := e.App.Store.CreateOrganisation(context.Background(), o); err != nil {
		e.T.Fatal(err)
	}
	return o
}

// Aidant creates an active aidant of org, Jean Test, who may create mandats; withDevice gives
// them a confirmed authenticator app.
func (e *Env) Aidant(email string, org *store.Organisation, withDevice bool) *Person {
	e.T.Helper()
	return e.NewPerson(store.Aidant{Email: email, FirstName: "Jean", LastName: "Test", CanCreateMandats: true}, org, false, withDevice)
}

// AidantWithoutMandats creates an active aidant of org, with a device, who may not create
// mandats (CanCreateMandats false): they may neither create nor list nor revoke them, nor act
// for a usager at FranceConnect.
func (e *Env) AidantWithoutMandats(email string, org *store.Organisation) *Person {
	e.T.Helper()
	return e.NewPerson(store.Aidant{Email: email, FirstName: "Jean", LastName: "Test"}, org, false, true)
}

// Referent creates an active aidant of org, with a device, who may create mandats and is
// org's référent (the référent flag of their membership, as app.SeedDemo makes Camille).
func (e *Env) Referent(email string, org *store.Organisation) *Person {
	e.T.Helper()
	return e.NewPerson(store.Aidant{Email: email, FirstName: "Jean", LastName: "Test", CanCreateMandats: true}, org, true, true)
}

// NewPerson creates a as an active member of org (référent or not), with a confirmed
// authenticator app when withDevice.
func (e *Env) NewPerson(a store.Aidant, org *store.Organisation, referent, withDevice bool) *Person {
	e.T.Helper()
	ctx := context.Background()
	a.CurrentOrganisationID, a.IsActive = org.ID, true
	if err := e.App.Store.CreateAidant(ctx, &a, referent); err != nil {
		e.T.Fatal(err)
	}
	p := &Person{Aidant: &a, Org: org}
	if withDevice {
		secret, err := otp.GenerateSecret()
		if err != nil {
			e.T.Fatal(err)
		}
		d := &store.OTPDevice{AidantID: a.ID, Kind: "app", Step: 30, Tolerance: 1, Confirmed: true, Secret: secret}
		if err := e.App.Store.AddOTPDevice(ctx, d, ""); err != nil {
			e.T.Fatal(err)
		}
		p.Secret = secret
	}
	return p
}

// Staff creates a staff account of the national team (no organisation, no mandats) with a
// confirmed authenticator app, as `ac staff add` does; log them in with Login.
func (e *Env) Staff(email string) *Person {
	e.T.Helper()
	secret, err := otp.GenerateSecret()
	if err != nil {
		e.T.Fatal(err)
	}
	a, err := e.App.Store.CreateStaff(context.Background(), store.StaffInput{Email: email, FirstName: "Sam", LastName: "Équipe", Secret: secret, Step: 30})
	if err != nil {
		e.T.Fatal(err)
	}
	return &Person{Aidant: a, Secret: secret}
}

// LoginStaff creates a staff account (Staff) and logs them in.
func (e *Env) LoginStaff(email string) (*Person, *Browser) {
	e.T.Helper()
	p := e.Staff(email)
	return p, e.Login(p)
}

// Code is the person's current TOTP code at the env's clock.
func (e *Env) Code(p *Person) string {
	e.T.Helper()
	c, err := otp.Code(p.Secret, 30, e.Clock.Now())
	if err != nil {
		e.T.Fatal(err)
	}
	return c
}

// Emails is the outbox, newest first (at most 100).
func (e *Env) Emails() []store.Email {
	e.T.Helper()
	es, err := e.App.Store.ListEmails(context.Background(), 100)
	if err != nil {
		e.T.Fatal(err)
	}
	return es
}

// Journal is the organisation's journal, newest first (at most 100).
func (e *Env) Journal(orgID int64) []store.JournalEntry {
	e.T.Helper()
	js, err := e.App.Store.ListJournal(context.Background(), orgID, 100)
	if err != nil {
		e.T.Fatal(err)
	}
	return js
}

// Count is the number of rows in table.
func (e *Env) Count(table string) int {
	e.T.Helper()
	n, err := e.App.DB.NewSelect().Table(table).Count(context.Background())
	if err != nil {
		e.T.Fatal(err)
	}
	return int(n)
}

var loginLinkPath = regexp.MustCompile(`http://[0-9.:]+(/chargement/code/[A-Za-z0-9_-]+/)`)

// LoginURLPattern matches an emailed login link, whole.
var LoginURLPattern = regexp.MustCompile(`https?://[^\s]+/chargement/code/[A-Za-z0-9_-]+/`)

// LastLoginLink is the path of the newest emailed login link ("/chargement/code/…/").
func (e *Env) LastLoginLink() string {
	e.T.Helper()
	es := e.Emails()
	if len(es) == 0 {
		e.T.Fatal("no email in the outbox")
	}
	m := loginLinkPath.FindStringSubmatch(es[0].BodyText)
	if m == nil {
		e.T.Fatalf("no login link in %q", es[0].BodyText)
	}
	return m[1]
}

// LastLoginURL is the newest emailed login link as written in the email, for a real browser.
func (e *Env) LastLoginURL() string {
	e.T.Helper()
	es, err := e.App.Store.ListEmails(context.Background(), 1)
	if err != nil || len(es) == 0 {
		e.T.Fatalf("no email in the outbox (%v)", err)
	}
	link := LoginURLPattern.FindString(es[0].BodyText)
	if link == "" {
		e.T.Fatalf("no login link in %q", es[0].BodyText)
	}
	return link
}

// Login runs the whole login of p (email and code, the wait page of the emailed link, its
// POST) and returns the logged-in browser. The clock then moves to the next 30 s step, so
// that p's next code differs (codes are single use).
func (e *Env) Login(p *Person) *Browser {
	e.T.Helper()
	return e.LoginWithCode(p.Aidant.Email, e.Code(p))
}

// LoginWithCode logs the aidant with that email in with that code (a demo account's
// app.DemoCode), through the e-mailed link, and advances the clock past the code's step.
func (e *Env) LoginWithCode(email, code string) *Browser {
	e.T.Helper()
	b := e.Browser()
	r := b.Post(paths.Login, url.Values{"email": {email}, "otp_token": {code}})
	if r.Status != http.StatusSeeOther || r.Location != paths.LoginSent {
		e.T.Fatalf("login: status %d location %q body %s", r.Status, r.Location, r.Body)
	}
	link := e.LastLoginLink()
	token := strings.TrimSuffix(strings.TrimPrefix(link, "/chargement/code/"), "/")
	if w := b.Get(link); w.Status != http.StatusOK {
		e.T.Fatalf("wait page: %d", w.Status)
	}
	r = b.Post("/code/"+token+"/", nil)
	if r.Status != http.StatusSeeOther {
		e.T.Fatalf("magic link: status %d location %q", r.Status, r.Location)
	}
	e.Clock.Advance(30 * time.Second)
	return b
}

// LoginAidant creates an aidant of org who may create mandats (Aidant, with a device) and logs
// them in.
func (e *Env) LoginAidant(email string, org *store.Organisation) (*Person, *Browser) {
	e.T.Helper()
	p := e.Aidant(email, org, true)
	return p, e.Login(p)
}

// LoginAidantWithoutMandats creates an aidant of org who may not create mandats
// (AidantWithoutMandats) and logs them in.
func (e *Env) LoginAidantWithoutMandats(email string, org *store.Organisation) (*Person, *Browser) {
	e.T.Helper()
	p := e.AidantWithoutMandats(email, org)
	return p, e.Login(p)
}

// LoginReferent creates a référent of org (Referent) and logs them in.
func (e *Env) LoginReferent(email string, org *store.Organisation) (*Person, *Browser) {
	e.T.Helper()
	p := e.Referent(email, org)
	return p, e.Login(p)
}

// RandomHex is 32 random bytes in hexadecimal: 64 digits, what FranceConnect sends as state
// and nonce.
func RandomHex(t testing.TB) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
