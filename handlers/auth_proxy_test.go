package handlers_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
)

// The login rate limits, seen from the network: these tests call the App over real HTTP on
// the loopback interface, so the peer is 127.0.0.1, and send X-Forwarded-For as they like.

// netLogin posts the login form over HTTP from 127.0.0.1 with the given X-Forwarded-For ("" for
// none) and returns the status and body.
func netLogin(t *testing.T, e *apptest.Env, forwardedFor, email, code string) (int, string) {
	t.Helper()
	const csrf = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG" // any 43 characters, echoed in the form
	form := url.Values{"email": {email}, "otp_token": {code}, app.CSRFField: {csrf}}
	req, err := http.NewRequest(http.MethodPost, e.URL+"/accounts/login/", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: app.CSRFCookie, Value: csrf})
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}

// randomIP is an address nobody would guess, in 192.0.2.0/24 … any /8 really.
func randomIP() string {
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%d.%d.%d.%d", b[0]|1, b[1], b[2], b[3]|1)
}

// loginKeys are the per-IP counters the login limit keeps.
func loginKeys(t *testing.T, e *apptest.Env) []string {
	t.Helper()
	var keys []string
	if err := e.App.DB.NewRaw("SELECT key FROM rate_limits WHERE key LIKE 'login:%' ORDER BY key").Scan(context.Background(), &keys); err != nil {
		t.Fatal(err)
	}
	return keys
}

// From a peer that is not a trusted proxy, X-Forwarded-For is the client's own word: 60 random
// values are one client, and the per-IP limit stops it.
func TestLoginLimitIgnoresForwardedForFromUntrustedPeer(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t, func(c *app.Config) {
		c.ProxyHeader, c.LoginRateLimit = "X-Forwarded-For", 30
		c.TrustedProxies = []string{"10.0.0.0/8"} // a proxy exists, but the test's peer is not it
	})
	refused := 0
	for i := range 60 {
		status, _ := netLogin(t, e, randomIP(), fmt.Sprintf("x%d@example.fr", i), "000000")
		if status == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused != 30 {
		t.Fatalf("%d of 60 attempts with random X-Forwarded-For refused, want 30 (the limit is 30 per IP)", refused)
	}
	if keys := loginKeys(t, e); !slices.Equal(keys, []string{"login:127.0.0.1"}) {
		t.Fatalf("counted as %q, want the peer only", keys)
	}
}

// Behind a trusted proxy, the client is the right-most address that is not a trusted proxy:
// what a client writes to the left of it changes nothing.
func TestLoginLimitBehindTrustedProxy(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t, func(c *app.Config) {
		c.ProxyHeader, c.LoginRateLimit = "X-Forwarded-For", 3
		c.TrustedProxies = []string{"127.0.0.1/32", "10.0.0.0/8"}
	})
	for i, xff := range []string{
		randomIP() + ", 203.0.113.7",
		"203.0.113.7",
		"not-an-ip, " + randomIP() + ", 203.0.113.7, 10.1.2.3", // through a second proxy of ours
	} {
		if status, _ := netLogin(t, e, xff, "x@example.fr", "000000"); status != http.StatusUnprocessableEntity {
			t.Fatalf("attempt %d (%s): %d", i, xff, status)
		}
	}
	if status, _ := netLogin(t, e, randomIP()+", 203.0.113.7", "x@example.fr", "000000"); status != http.StatusTooManyRequests {
		t.Fatalf("4th attempt of 203.0.113.7: %d, want 429", status)
	}
	// Another client behind the same proxy is not affected; a garbled header counts as the
	// proxy itself (never as a value of the client's choosing).
	if status, _ := netLogin(t, e, "198.51.100.9", "x@example.fr", "000000"); status != http.StatusUnprocessableEntity {
		t.Fatalf("another client: %d", status)
	}
	if status, _ := netLogin(t, e, "203.0.113.7, garbage", "x@example.fr", "000000"); status != http.StatusUnprocessableEntity {
		t.Fatalf("garbled header: %d", status)
	}
	if keys := loginKeys(t, e); !slices.Equal(keys, []string{"login:127.0.0.1", "login:198.51.100.9", "login:203.0.113.7"}) {
		t.Fatalf("counted as %q", keys)
	}
}

// Attempts on one account, from any number of addresses, are bounded: past the bound the
// right code gets the same generic refusal as a wrong one, and the device's own backoff is not
// pushed further; once the window has passed the aidant logs in (slowed, never locked).
func TestLoginSlowsAttemptsOnOneAccount(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t, func(c *app.Config) {
		c.ProxyHeader, c.TrustedProxies = "X-Forwarded-For", []string{"127.0.0.1/32"}
		c.LoginRateWindow = time.Hour
	})
	p := e.Aidant("jean@example.fr", e.Org("MFS"), true)
	wrong := func() string {
		if e.Code(p) == "000000" {
			return "111111"
		}
		return "000000"
	}
	// Ten wrong codes from ten addresses, each after the device's backoff has passed.
	for i := range 10 {
		if status, body := netLogin(t, e, randomIP(), p.Aidant.Email, wrong()); status != http.StatusUnprocessableEntity || !strings.Contains(body, genericRefusal) {
			t.Fatalf("wrong code %d: %d", i, status)
		}
		e.Clock.Advance(time.Duration(1<<i) * time.Second)
	}
	status, body := netLogin(t, e, randomIP(), p.Aidant.Email, e.Code(p))
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, genericRefusal) {
		t.Fatalf("the right code past the bound: %d, want 422 with the generic message", status)
	}
	// Another account is not slowed down.
	other := e.Aidant("marie@example.fr", p.Org, true)
	if status, _ := netLogin(t, e, randomIP(), other.Aidant.Email, e.Code(other)); status != http.StatusSeeOther {
		t.Fatalf("another account: %d", status)
	}
	e.Clock.Advance(time.Hour)
	if status, _ := netLogin(t, e, randomIP(), p.Aidant.Email, e.Code(p)); status != http.StatusSeeOther {
		t.Fatalf("after the window: %d, want the login to go on", status)
	}
}
