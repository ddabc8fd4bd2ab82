package fcsim_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/fc"
	"github.com/aidantsconnect/ac/app/fcsim"
	"github.com/aidantsconnect/ac/store/storetest"
)

const (
	clientID     = "fs-aidants-connect"
	clientSecret = "0123456789abcdef0123456789abcdef-secret"
)

// harness is one simulator on a real HTTP server, our FC client pointed at it through discovery,
// and a browser (cookie jar, redirects not followed so that each hop can be inspected).
type harness struct {
	srv      *httptest.Server
	mux      *http.ServeMux
	issuer   string
	redirect string // the FS callback: nothing serves it, the browser stops there
	logout   string
	clock    *storetest.Clock // the simulator's time; our client's is it plus options.fcAhead
	sim      *fcsim.Simulator
	fc       *fc.Client
	browser  *http.Client
}

type options struct {
	rsa     bool                               // default key (RSA, RS256) instead of a quick ES256 one
	fcAhead time.Duration                      // how far our client's clock is ahead of the simulator's
	mount   func(h *harness, sim http.Handler) // how the simulator is served; default: under /fcsim/
}

func newHarness(t *testing.T, o options) *harness {
	t.Helper()
	h := &harness{mux: http.NewServeMux(), clock: storetest.NewClock(t)}
	h.srv = httptest.NewServer(h.mux)
	t.Cleanup(h.srv.Close)
	h.issuer = h.srv.URL + "/fcsim"
	h.redirect = h.srv.URL + "/callbackv2/"
	h.logout = h.srv.URL + "/logout-callback/"
	h.sim = h.newSim(t, o.rsa)
	if o.mount != nil {
		o.mount(h, h.sim.Handler())
	} else {
		h.mux.Handle("/fcsim/", h.sim.Handler())
	}
	cl, err := fc.New(fc.Config{Issuer: h.issuer, ClientID: clientID, ClientSecret: clientSecret,
		RedirectURL: h.redirect, PostLogoutURL: h.logout, Now: func() time.Time { return h.clock.Now().Add(o.fcAhead) }})
	if err != nil {
		t.Fatal(err)
	}
	h.fc = cl
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	h.browser = &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return h
}

// newSim builds a simulator with this harness's issuer, client and clock.
func (h *harness) newSim(t *testing.T, rsaKey bool) *fcsim.Simulator {
	t.Helper()
	cfg := fcsim.Config{Issuer: h.issuer, Now: h.clock.Now, Clients: []fcsim.Client{{
		ID: clientID, Secret: clientSecret, RedirectURIs: []string{h.redirect}, PostLogoutURIs: []string{h.logout},
	}}}
	if !rsaKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Key = k
	}
	sim, err := fcsim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sim
}

// get fetches u with the browser and returns the response with its body read.
func (h *harness) get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	resp, err := h.browser.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readBody(t, resp)
}

func (h *harness) postForm(t *testing.T, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := h.browser.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readBody(t, resp)
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// location resolves a redirect's Location against the request URL.
func location(t *testing.T, resp *http.Response) *url.URL {
	t.Helper()
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("%s %s: status %d, want a redirect", resp.Request.Method, resp.Request.URL, resp.StatusCode)
	}
	u, err := resp.Location()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// loginForm is the simulator's login page as a browser sees it.
type loginForm struct {
	action string
	fields url.Values // the hidden fields
	doc    *goquery.Document
}

// openLogin starts a flow and returns the login page's form, with the state and nonce sent.
func (h *harness) openLogin(t *testing.T) (form loginForm, state, nonce string) {
	t.Helper()
	state, nonce = apptest.RandomHex(t), apptest.RandomHex(t)
	authURL, err := h.fc.AuthCodeURL(context.Background(), state, nonce)
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := h.get(t, authURL)
	loginURL := location(t, resp)
	resp, body := h.get(t, loginURL.String())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login page: status %d: %s", resp.StatusCode, body)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	f := doc.Find("form[method=post]")
	if f.Length() != 1 {
		t.Fatalf("login page has %d post forms", f.Length())
	}
	action, _ := f.Attr("action")
	abs, err := loginURL.Parse(action)
	if err != nil {
		t.Fatal(err)
	}
	form = loginForm{action: abs.String(), fields: url.Values{}, doc: doc}
	f.Find("input[type=hidden]").Each(func(_ int, s *goquery.Selection) {
		form.fields.Set(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	return form, state, nonce
}

// submit posts the form as if the button with value action was pressed, with identity n (n < 0: none).
func (h *harness) submit(t *testing.T, form loginForm, action string, n int) (*http.Response, string) {
	t.Helper()
	v := url.Values{}
	for k, vs := range form.fields {
		v[k] = vs
	}
	v.Set("action", action)
	if n >= 0 {
		v.Set("identity", strconv.Itoa(n))
	}
	return h.postForm(t, form.action, v)
}

// callback returns the query FC put on our redirect_uri, checking it is our redirect_uri.
func (h *harness) callback(t *testing.T, resp *http.Response) url.Values {
	t.Helper()
	u := location(t, resp)
	if got := u.Scheme + "://" + u.Host + u.Path; got != h.redirect {
		t.Fatalf("redirected to %s, want %s", got, h.redirect)
	}
	return u.Query()
}

// login runs the browser side for identity n and returns the code, checking state came back.
func (h *harness) login(t *testing.T, n int) (code, nonce string) {
	t.Helper()
	form, state, nonce := h.openLogin(t)
	resp, _ := h.submit(t, form, "login", n)
	q := h.callback(t, resp)
	if err := fc.CallbackError(q); err != nil {
		t.Fatalf("callback error: %v", err)
	}
	if q.Get("state") != state {
		t.Fatalf("state %q, want %q", q.Get("state"), state)
	}
	if q.Get("code") == "" {
		t.Fatal("no code on the callback")
	}
	return q.Get("code"), nonce
}
