package fc_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aidantsconnect/ac/app/fc"
)

// The end-to-end flows, failures included, are tested against the simulator in app/fcsim.

func TestCallbackError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		q    url.Values
		want error
	}{
		{"code", url.Values{"code": {"c"}, "state": {"s"}}, nil},
		{"cancelled", url.Values{"error": {"access_denied"}, "error_description": {"User auth aborted"}, "state": {"s"}}, fc.ErrCancelled},
		{"provider failure", url.Values{"error": {"server_error"}, "state": {"s"}}, fc.ErrProvider},
		{"bad request", url.Values{"error": {"invalid_request"}}, fc.ErrProvider},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := fc.CallbackError(tt.q)
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("CallbackError(%v) = %v, want %v", tt.q, err, tt.want)
			}
		})
	}
}

func config(issuer string) fc.Config {
	return fc.Config{Issuer: issuer, ClientID: "fs", ClientSecret: "secret",
		RedirectURL: "https://ac.example/callbackv2/", PostLogoutURL: "https://ac.example/logout-callback/"}
}

func TestNewRejectsIncompleteConfig(t *testing.T) {
	t.Parallel()
	for name, change := range map[string]func(*fc.Config){
		"no issuer":         func(c *fc.Config) { c.Issuer = "" },
		"no secret":         func(c *fc.Config) { c.ClientSecret = "" },
		"relative redirect": func(c *fc.Config) { c.RedirectURL = "/callbackv2/" },
		"bad static URL":    func(c *fc.Config) { c.TokenURL = "token" },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := config("https://fc.example/api/v2")
			change(&cfg)
			if _, err := fc.New(cfg); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
}

// Discovery waits for the first use (the simulator may not listen yet), is cached, and is not
// cached when it fails.
func TestDiscoveryIsLazyAndRetried(t *testing.T) {
	t.Parallel()
	var hits, failing atomic.Int32
	failing.Store(1)
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if failing.Load() == 1 {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"issuer":"` + srv.URL + `","authorization_endpoint":"` + srv.URL + `/authorize",` +
			`"token_endpoint":"` + srv.URL + `/token","userinfo_endpoint":"` + srv.URL + `/userinfo",` +
			`"end_session_endpoint":"` + srv.URL + `/session/end","jwks_uri":"` + srv.URL + `/jwks"}`))
	}))
	t.Cleanup(srv.Close)
	c, err := fc.New(config(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 0 {
		t.Fatal("New fetched discovery")
	}
	if _, err := c.AuthCodeURL(context.Background(), "state", "nonce"); !errors.Is(err, fc.ErrProvider) {
		t.Fatalf("AuthCodeURL with FC down = %v, want ErrProvider", err)
	}
	failing.Store(0)
	for range 2 {
		u, err := c.AuthCodeURL(context.Background(), "state", "nonce")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(u, srv.URL+"/authorize?") {
			t.Fatalf("AuthCodeURL = %s", u)
		}
	}
	if hits.Load() != 2 {
		t.Errorf("%d discovery fetches, want 2 (one failed, one cached)", hits.Load())
	}
}

// With every endpoint configured, nothing is fetched, and the URLs carry FC's parameters.
func TestStaticEndpoints(t *testing.T) {
	t.Parallel()
	cfg := config("https://fcp-low.integ01.dev-franceconnect.fr/api/v2")
	cfg.AuthURL = cfg.Issuer + "/authorize"
	cfg.TokenURL = cfg.Issuer + "/token"
	cfg.UserinfoURL = cfg.Issuer + "/userinfo"
	cfg.EndSessionURL = cfg.Issuer + "/session/end"
	cfg.JWKSURL = cfg.Issuer + "/jwks"
	cfg.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return nil, errors.New("no network in this test: " + r.URL.String())
	})}
	c, err := fc.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	authURL, err := c.AuthCodeURL(context.Background(), "the-state", "the-nonce")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(authURL)
	want := url.Values{"response_type": {"code"}, "client_id": {"fs"}, "redirect_uri": {"https://ac.example/callbackv2/"},
		"scope":      {"openid given_name family_name birthdate gender birthplace birthcountry email preferred_username"},
		"acr_values": {"eidas1"}, "prompt": {"login"}, "state": {"the-state"}, "nonce": {"the-nonce"}}
	if u.Scheme+"://"+u.Host+u.Path != cfg.AuthURL || u.Query().Encode() != want.Encode() {
		t.Errorf("AuthCodeURL = %s\nwant %s?%s", authURL, cfg.AuthURL, want.Encode())
	}
	logoutURL, err := c.LogoutURL(context.Background(), "hint", "st")
	if err != nil {
		t.Fatal(err)
	}
	u, _ = url.Parse(logoutURL)
	want = url.Values{"id_token_hint": {"hint"}, "state": {"st"}, "post_logout_redirect_uri": {"https://ac.example/logout-callback/"}}
	if u.Scheme+"://"+u.Host+u.Path != cfg.EndSessionURL || u.Query().Encode() != want.Encode() {
		t.Errorf("LogoutURL = %s", logoutURL)
	}
	// FC unreachable at the token endpoint.
	if _, _, err := c.Exchange(context.Background(), "code", "the-nonce"); !errors.Is(err, fc.ErrProvider) {
		t.Errorf("Exchange without network = %v, want ErrProvider", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
