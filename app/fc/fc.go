// Package fc is our FranceConnect v2 client: the app acts as a service provider (FS) when an
// usager identifies to create a mandat. Authorization-code flow with client_secret_post, our own
// nonce, ID token and signed userinfo verified against the issuer's JWKS.
//
// The package is stateless apart from the cached discovery document and keys: the caller
// generates state and nonce, stores them with its flow and hands the nonce back to Exchange.
package fc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/client"
)

// Scope asks FC for the identité pivot plus email and usage name.
const Scope = "openid given_name family_name birthdate gender birthplace birthcountry email preferred_username"

// ACR is the only eIDAS level FC's "low" platform issues; anything else is refused.
const ACR = "eidas1"

// Errors the callback handler maps to French messages. Every error from Exchange and CallbackError,
// and any failure to reach FC, wraps exactly one of them; only misuse (empty config, state or
// nonce) gives other errors.
var (
	ErrCancelled          = errors.New("fc: the usager cancelled")
	ErrProvider           = errors.New("fc: provider error")
	ErrInvalidToken       = errors.New("fc: invalid token")
	ErrNonceMismatch      = errors.New("fc: nonce mismatch")
	ErrIncompleteIdentity = errors.New("fc: incomplete identity")
)

// Config describes one FranceConnect client registration.
type Config struct {
	Issuer                 string // e.g. "https://fcp-low.integ01.dev-franceconnect.fr/api/v2" or "<base>/fcsim"
	ClientID, ClientSecret string
	RedirectURL            string // our callback, "<base>/callbackv2/"
	PostLogoutURL          string // "<base>/logout-callback/"

	// Optional static endpoints. When one is empty, discovery (<Issuer>/.well-known/openid-configuration)
	// fills it, fetched lazily on first use and cached: in dev the simulator lives in the same process
	// and is not listening yet when the client is built.
	AuthURL, TokenURL, UserinfoURL, EndSessionURL, JWKSURL string

	HTTPClient *http.Client     // nil → a client with a 10 s timeout
	Now        func() time.Time // clock for token validation; nil → time.Now
}

// Client talks to one FranceConnect issuer. It is safe for concurrent use.
type Client struct {
	cfg  Config
	http *http.Client
	now  func() time.Time

	mu        sync.Mutex // guards the caches below; held during their (rare) fetches
	endpoints *endpoints
	keys      []jose.JSONWebKey
	keysAt    time.Time
}

type endpoints struct{ auth, token, userinfo, endSession, jwks string }

// New checks cfg; it does no I/O.
func New(cfg Config) (*Client, error) {
	type field struct{ name, v string }
	for _, f := range []field{{"Issuer", cfg.Issuer}, {"ClientID", cfg.ClientID}, {"ClientSecret", cfg.ClientSecret},
		{"RedirectURL", cfg.RedirectURL}, {"PostLogoutURL", cfg.PostLogoutURL}} {
		if f.v == "" {
			return nil, fmt.Errorf("fc: config: %s is required", f.name)
		}
	}
	for _, f := range []field{{"Issuer", cfg.Issuer}, {"RedirectURL", cfg.RedirectURL}, {"PostLogoutURL", cfg.PostLogoutURL},
		{"AuthURL", cfg.AuthURL}, {"TokenURL", cfg.TokenURL}, {"UserinfoURL", cfg.UserinfoURL},
		{"EndSessionURL", cfg.EndSessionURL}, {"JWKSURL", cfg.JWKSURL}} {
		if f.v == "" {
			continue
		}
		if u, err := url.Parse(f.v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("fc: config: %s %q is not an absolute http(s) URL", f.name, f.v)
		}
	}
	c := &Client{cfg: cfg, http: cfg.HTTPClient, now: cfg.Now}
	if c.http == nil {
		c.http = &http.Client{Timeout: 10 * time.Second}
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// AuthCodeURL is where the browser goes to identify the usager.
func (c *Client) AuthCodeURL(ctx context.Context, state, nonce string) (string, error) {
	if state == "" || nonce == "" {
		return "", errors.New("fc: state and nonce are required")
	}
	ep, err := c.resolve(ctx)
	if err != nil {
		return "", err
	}
	return withQuery(ep.auth, url.Values{
		"response_type": {"code"},
		"client_id":     {c.cfg.ClientID},
		"redirect_uri":  {c.cfg.RedirectURL},
		"scope":         {Scope},
		"acr_values":    {ACR},
		"prompt":        {"login"},
		"state":         {state},
		"nonce":         {nonce},
	})
}

// LogoutURL ends the usager's FC session; FC then sends the browser to PostLogoutURL with state.
func (c *Client) LogoutURL(ctx context.Context, idTokenHint, state string) (string, error) {
	if idTokenHint == "" || state == "" {
		return "", errors.New("fc: id token hint and state are required")
	}
	ep, err := c.resolve(ctx)
	if err != nil {
		return "", err
	}
	if ep.endSession == "" {
		return "", fmt.Errorf("%w: no end_session_endpoint", ErrProvider)
	}
	return withQuery(ep.endSession, url.Values{
		"id_token_hint":            {idTokenHint},
		"state":                    {state},
		"post_logout_redirect_uri": {c.cfg.PostLogoutURL},
	})
}

// CallbackError reads the error FC may put on our callback instead of a code. It returns nil
// when there is none.
func CallbackError(q url.Values) error {
	code := q.Get("error")
	switch code {
	case "":
		return nil
	case "access_denied":
		return fmt.Errorf("%w: %s", ErrCancelled, q.Get("error_description"))
	default:
		return fmt.Errorf("%w: callback error %q: %s", ErrProvider, code, q.Get("error_description"))
	}
}

// withQuery keeps any query the endpoint already has (FC's are plain, a proxy's may not be).
func withQuery(endpoint string, params url.Values) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", fmt.Errorf("%w: endpoint %q: %w", ErrProvider, endpoint, err)
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// resolve returns the endpoints, fetching discovery once when some are not configured. A failed
// fetch is not cached, so the next flow tries again.
func (c *Client) resolve(ctx context.Context) (*endpoints, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.endpoints != nil {
		return c.endpoints, nil
	}
	ep := &endpoints{auth: c.cfg.AuthURL, token: c.cfg.TokenURL, userinfo: c.cfg.UserinfoURL,
		endSession: c.cfg.EndSessionURL, jwks: c.cfg.JWKSURL}
	if ep.auth == "" || ep.token == "" || ep.userinfo == "" || ep.endSession == "" || ep.jwks == "" {
		d, err := client.Discover(ctx, c.cfg.Issuer, c.http)
		if err != nil {
			return nil, fmt.Errorf("%w: discovery: %w", ErrProvider, err)
		}
		fill := func(dst *string, v string) {
			if *dst == "" {
				*dst = v
			}
		}
		fill(&ep.auth, d.AuthorizationEndpoint)
		fill(&ep.token, d.TokenEndpoint)
		fill(&ep.userinfo, d.UserinfoEndpoint)
		fill(&ep.endSession, d.EndSessionEndpoint)
		fill(&ep.jwks, d.JwksURI)
		// The end-session endpoint is only needed for logout, which reports its absence itself.
		if ep.auth == "" || ep.token == "" || ep.userinfo == "" || ep.jwks == "" {
			return nil, fmt.Errorf("%w: discovery document lacks an endpoint", ErrProvider)
		}
	}
	c.endpoints = ep
	return ep, nil
}
