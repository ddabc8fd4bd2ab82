// Package idp is Aidants Connect's OpenID provider towards FranceConnect (we are FI): an aidant
// arrives from FranceConnect, chooses a usager and a démarche in our pages, and FranceConnect
// receives the usager's identity. It is zitadel's op.Server with FranceConnect's rules at
// /authorize, our own code exchange (single-use codes in Postgres, HS256 for the clients that
// need it) and our own userinfo (JSON or signed JWT). FRANCECONNECT.md §1 is the specification.
package idp

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

// BackChannelPaths are the endpoints relying parties call from their servers: no session, no
// CSRF check, answers in OIDC's JSON. /authorize is mounted apart, behind the aidant's guard;
// /logout is a page of ours.
func BackChannelPaths() []string {
	return []string{paths.IdPToken, paths.IdPUserinfo, paths.IdPJWKS, paths.IdPDiscovery}
}

// DefaultTokenTTL is the lifetime of access and ID tokens, as FranceConnect's own.
const DefaultTokenTTL = 60 * time.Second

// Config configures the provider.
type Config struct {
	Issuer   string // AC_BASE_URL: the iss claim, character for character (no trailing slash)
	Store    *store.Store
	Clients  string        // AC_IDP_CLIENTS: JSON list of clients, registered (replaced) at start; see ParseClients
	TokenTTL time.Duration // access and ID tokens, 60–300 s; DefaultTokenTTL when zero
}

// Provider is the running provider.
type Provider struct {
	issuer   string
	st       *store.Store
	keys     *keyring
	tokenTTL time.Duration
	op       *op.Provider
	handler  http.Handler
}

// New builds the provider, registers the configured clients and makes sure a signing key of
// each asymmetric algorithm exists.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	u, err := url.Parse(cfg.Issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.HasSuffix(cfg.Issuer, "/") ||
		u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("idp: issuer %q must be an absolute http(s) URL without a trailing slash", cfg.Issuer)
	}
	p := &Provider{issuer: cfg.Issuer, st: cfg.Store, keys: newKeyring(cfg.Store), tokenTTL: cfg.TokenTTL}
	if p.tokenTTL == 0 {
		p.tokenTTL = DefaultTokenTTL
	}
	if p.tokenTTL < 60*time.Second || p.tokenTTL > 300*time.Second {
		return nil, fmt.Errorf("idp: token lifetime %s outside 60–300 s", p.tokenTTL)
	}
	specs, err := ParseClients(cfg.Clients)
	if err != nil {
		return nil, err
	}
	for _, spec := range specs {
		if _, err := cfg.Store.UpsertIdPClient(ctx, spec.input("config")); err != nil {
			return nil, fmt.Errorf("idp: AC_IDP_CLIENTS, client %q: %w", spec.ID, err)
		}
	}
	// Every signing key exists, and is in the JWKS, before the first token it signs: a relying
	// party that caches the JWKS must find in its first copy the key of the algorithm its
	// client was registered with.
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.RS256} {
		if _, err := p.keys.get(ctx, alg); err != nil {
			return nil, fmt.Errorf("idp: %s signing key: %w", alg, err)
		}
	}
	// zitadel encrypts its own codes and tokens with this key; ours never go through it.
	var cryptoKey [32]byte
	if _, err := rand.Read(cryptoKey[:]); err != nil {
		return nil, fmt.Errorf("idp: crypto key: %w", err)
	}
	var opts []op.Option
	if u.Scheme == "http" {
		opts = append(opts, op.WithAllowInsecure()) // dev and tests, without TLS
	}
	st := &storage{st: cfg.Store, keys: p.keys, ttl: p.tokenTTL}
	p.op, err = op.NewProvider(&op.Config{CryptoKey: cryptoKey, AuthMethodPost: true, CodeMethodS256: true,
		SupportedScopes: append([]string{oidc.ScopeOpenID}, pivotScopes...)}, st, op.StaticIssuer(cfg.Issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("idp: provider: %w", err)
	}
	p.handler = p.routes()
	return p, nil
}

// Handler serves every path of BackChannelPaths and /authorize (full paths).
func (p *Provider) Handler() http.Handler { return p.handler }

func (p *Provider) routes() http.Handler {
	srv := &server{LegacyServer: op.NewLegacyServer(p.op, op.Endpoints{
		Authorization: op.NewEndpoint(paths.IdPAuthorize),
		Token:         op.NewEndpoint(paths.IdPToken),
		Userinfo:      op.NewEndpoint(paths.IdPUserinfo), // served by p.userinfo; listed for discovery
		EndSession:    op.NewEndpoint(paths.IdPLogout),   // a page of ours (handlers.IdP.Logout); listed for discovery
		JwksURI:       op.NewEndpoint(paths.IdPJWKS),
	}), p: p}
	// No CORS: the back channel is called by relying parties' servers, never by a browser, and
	// zitadel's default reflects any origin with credentials.
	zitadel := op.RegisterLegacyServer(srv, op.AuthorizeCallbackHandler(p.op), op.WithServerCORSOptions(nil))
	mux := http.NewServeMux()
	// zitadel writes userinfo as JSON only: FranceConnect may want a signed JWT.
	mux.HandleFunc("GET "+paths.IdPUserinfo, p.userinfo)
	mux.HandleFunc("POST "+paths.IdPUserinfo, p.userinfo)
	// The token endpoint takes POST only (RFC 6749 §3.2): zitadel also answers GET, with the
	// client's secret in a URL that proxies and logs keep.
	mux.Handle("POST "+paths.IdPToken, zitadel)
	mux.HandleFunc(paths.IdPToken, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		writeJSONError(w, http.StatusMethodNotAllowed, "invalid_request", "the token endpoint accepts POST only")
	})
	for _, path := range []string{paths.IdPAuthorize, paths.IdPJWKS, paths.IdPDiscovery} {
		mux.Handle(path, zitadel) // exact paths: zitadel's /authorize/callback stays unreachable
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if path := r.URL.Path; len(path) > 1 && strings.HasSuffix(path, "/") {
			r = r.Clone(r.Context())
			r.URL.Path, r.URL.RawPath = strings.TrimSuffix(path, "/"), ""
		}
		mux.ServeHTTP(w, r)
	})
}

// LogoutClient finds the client of a logout request: client_id, else the audience of
// id_token_hint. A hint must be an ID token of ours for that client, signed as we sign them
// for it; an expired one is fine (it usually is). Anything else is store.ErrNotFound.
func (p *Provider) LogoutClient(ctx context.Context, clientID, idTokenHint string) (*store.IdPClient, error) {
	var hint *jose.JSONWebSignature
	var claims struct {
		Iss string        `json:"iss"`
		Aud oidc.Audience `json:"aud"`
	}
	if idTokenHint != "" {
		var err error
		if hint, err = jose.ParseSigned(idTokenHint, []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.HS256}); err != nil {
			return nil, store.ErrNotFound
		}
		if err := json.Unmarshal(hint.UnsafePayloadWithoutVerification(), &claims); err != nil || claims.Iss != p.issuer {
			return nil, store.ErrNotFound
		}
		if clientID == "" && len(claims.Aud) == 1 {
			clientID = claims.Aud[0]
		}
	}
	if clientID == "" {
		return nil, store.ErrNotFound
	}
	c, err := p.st.GetIdPClient(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if hint == nil {
		return c, nil
	}
	if !slices.Contains(claims.Aud, c.ID) || len(hint.Signatures) != 1 {
		return nil, store.ErrNotFound
	}
	if err := p.verifyHint(ctx, c, hint); err != nil {
		return nil, store.ErrNotFound
	}
	return c, nil
}

func (p *Provider) verifyHint(ctx context.Context, c *store.IdPClient, hint *jose.JSONWebSignature) error {
	h := hint.Signatures[0].Header
	if h.Algorithm != c.IDTokenAlg {
		return errors.New("hint signed with another algorithm")
	}
	if c.IDTokenAlg == store.AlgHS256 {
		secret, err := p.st.IdPClientSecret(c)
		if err != nil {
			return err
		}
		_, err = hint.Verify(secret)
		return err
	}
	keys, err := p.keys.published(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.ID() == h.KeyID {
			_, err := hint.Verify(k.Key())
			return err
		}
	}
	return errors.New("hint signed with an unknown key")
}
