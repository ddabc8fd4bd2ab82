// Package fcsim is a FranceConnect simulator for dev and the bac à sable: a real OpenID provider
// (zitadel's op) that plays FC v2 for our FS flow, with a page to pick a fictitious person.
// It must never be mounted in production.
package fcsim

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/go-jose/go-jose/v4"
	zcrypto "github.com/zitadel/oidc/v3/pkg/crypto"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Client is an FS registered with the simulator.
type Client struct {
	ID, Secret                   string
	RedirectURIs, PostLogoutURIs []string
}

// Config configures a Simulator.
type Config struct {
	Issuer  string // "<base>/fcsim", no trailing slash; Handler serves every path under it
	Clients []Client
	Now     func() time.Time // nil → time.Now; governs flow, code and token lifetimes and token times

	// Key signs ID tokens and userinfo: an *rsa.PrivateKey (RS256) or a P-256 *ecdsa.PrivateKey
	// (ES256). nil → a fresh RSA-2048 key, which takes 0.1–0.4 s to generate (up to 1 s under -race).
	Key crypto.Signer

	// Demo, when set, serves the demo service site under "<Issuer>/demo/" (see DemoConfig).
	Demo *DemoConfig
}

// Simulator is the provider. Its state lives in memory.
type Simulator struct {
	issuer   string
	path     string // the issuer's path (paths.FCSim in the app)
	now      func() time.Time
	st       *storage
	provider *op.Provider
	signer   jose.Signer
	pages    *template.Template
	handler  http.Handler
	demo     *demo // nil unless Config.Demo is set
}

// New builds the simulator; it generates its signing key unless cfg.Key is set.
func New(cfg Config) (*Simulator, error) {
	u, err := url.Parse(cfg.Issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("fcsim: issuer %q is not an absolute http(s) URL", cfg.Issuer)
	}
	if strings.HasSuffix(cfg.Issuer, "/") {
		return nil, fmt.Errorf("fcsim: issuer %q must not end with a slash", cfg.Issuer)
	}
	if len(cfg.Clients) == 0 {
		return nil, errors.New("fcsim: no client")
	}
	s := &Simulator{issuer: cfg.Issuer, path: u.Path, now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	key, err := newSigningKey(cfg.Key)
	if err != nil {
		return nil, err
	}
	if s.signer, err = op.SignerFromKey(key); err != nil {
		return nil, fmt.Errorf("fcsim: signer: %w", err)
	}
	clients := map[string]*client{}
	for _, c := range cfg.Clients {
		if c.ID == "" || c.Secret == "" || len(c.RedirectURIs) == 0 {
			return nil, fmt.Errorf("fcsim: client %q needs an id, a secret and a redirect URI", c.ID)
		}
		clients[c.ID] = &client{id: c.ID, secret: c.Secret, loginURL: cfg.Issuer + paths.FCSimLogin,
			redirectURIs: slices.Clone(c.RedirectURIs), postLogoutURIs: slices.Clone(c.PostLogoutURIs)}
	}
	s.st = newStorage(s.now, clients, key)
	if s.pages, err = template.New("pages").Parse(pagesHTML + demoHTML); err != nil {
		return nil, fmt.Errorf("fcsim: templates: %w", err)
	}
	if cfg.Demo != nil {
		if s.demo, err = newDemo(cfg.Issuer, cfg.Demo, s.now); err != nil {
			return nil, err
		}
	}

	var cryptoKey [32]byte // encrypts codes (zitadel's codes are the encrypted auth request id)
	if _, err := rand.Read(cryptoKey[:]); err != nil {
		return nil, fmt.Errorf("fcsim: crypto key: %w", err)
	}
	opts := []op.Option{}
	if u.Scheme == "http" {
		opts = append(opts, op.WithAllowInsecure()) // local dev and tests run without TLS
	}
	s.provider, err = op.NewProvider(&op.Config{
		CryptoKey:       cryptoKey,
		AuthMethodPost:  true,
		CodeMethodS256:  true,
		SupportedScopes: supportedScopes(),
		SupportedClaims: []string{"sub", "iss", "aud", "exp", "iat", "nonce", "acr", "at_hash", "given_name",
			"family_name", "preferred_username", "birthdate", "gender", "birthplace", "birthcountry", "email"},
	}, s.st, op.StaticIssuer(cfg.Issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("fcsim: provider: %w", err)
	}
	s.handler = s.routes()
	return s, nil
}

func newSigningKey(k crypto.Signer) (signingKey, error) {
	if k == nil {
		var err error
		if k, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return signingKey{}, fmt.Errorf("fcsim: RSA key: %w", err)
		}
	}
	sk := signingKey{key: k, pub: k.Public()}
	switch key := k.(type) {
	case *rsa.PrivateKey:
		sk.alg = jose.RS256
	case *ecdsa.PrivateKey:
		if key.Curve != elliptic.P256() {
			return signingKey{}, errors.New("fcsim: ES256 needs a P-256 key")
		}
		sk.alg = jose.ES256
	default:
		return signingKey{}, fmt.Errorf("fcsim: unsupported key type %T", k)
	}
	// The thumbprint as kid: two simulators never share one, so a client can tell their keys apart.
	tp, err := (&jose.JSONWebKey{Key: sk.pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return signingKey{}, fmt.Errorf("fcsim: key thumbprint: %w", err)
	}
	sk.id = base64.RawURLEncoding.EncodeToString(tp)
	return sk, nil
}

// Handler serves every path under the issuer's path (it expects the full path, prefix included).
func (s *Simulator) Handler() http.Handler { return s.handler }

func (s *Simulator) routes() http.Handler {
	srv := &server{LegacyServer: op.NewLegacyServer(s.provider, op.Endpoints{
		Authorization: op.NewEndpoint(paths.FCSimAuthorize),
		Token:         op.NewEndpoint(paths.FCSimToken),
		Userinfo:      op.NewEndpoint(paths.FCSimUserinfo),   // served by s.userinfo; listed for discovery
		EndSession:    op.NewEndpoint(paths.FCSimEndSession), // served by s.endSession; listed for discovery
		JwksURI:       op.NewEndpoint(paths.FCSimJWKS),
	}), sim: s}
	mux := http.NewServeMux()
	// The more specific patterns win over "/": FC's userinfo is a JWT and zitadel only writes
	// JSON; its end_session answers errors in JSON where we want a page.
	mux.HandleFunc("GET "+paths.FCSimUserinfo, s.userinfo)
	mux.HandleFunc("POST "+paths.FCSimUserinfo, s.userinfo)
	mux.HandleFunc("GET "+paths.FCSimEndSession, s.endSession)
	mux.HandleFunc("GET "+paths.FCSimLogin, s.loginPage)
	mux.HandleFunc("POST "+paths.FCSimLogin, s.loginSubmit)
	if s.demo != nil {
		s.demoRoutes(mux)
	}
	mux.Handle("/", op.RegisterLegacyServer(srv, op.AuthorizeCallbackHandler(s.provider)))
	// IssuerFromContext is what zitadel's helpers (discovery, ID token hint checks) read.
	withIssuer := op.NewIssuerInterceptor(s.provider.IssuerFromRequest).Handler(mux)
	if s.path == "" {
		return withIssuer
	}
	return http.StripPrefix(s.path, withIssuer)
}

// server is zitadel's LegacyServer with FC's rules at /authorize and our own code exchange.
type server struct {
	*op.LegacyServer
	sim *Simulator
}

// Authorize refuses what FC refuses; errors here go back to the client's redirect_uri.
func (s *server) Authorize(ctx context.Context, r *op.ClientRequest[oidc.AuthRequest]) (*op.Redirect, error) {
	switch {
	case r.Data.State == "" || r.Data.Nonce == "":
		return nil, oidc.ErrInvalidRequest().WithDescription("state and nonce are required")
	case !slices.Contains(r.Data.ACRValues, acr):
		return nil, oidc.ErrInvalidRequest().WithDescription("acr_values must include " + acr)
	}
	return s.LegacyServer.Authorize(ctx, r)
}

// CodeExchange replaces zitadel's so that codes are spent atomically (a replay revokes), and so
// that token times come from the simulator's clock, which tests move.
func (s *server) CodeExchange(_ context.Context, r *op.ClientRequest[oidc.AccessTokenRequest]) (*op.Response, error) {
	ar, err := s.sim.st.claimCode(r.Data.Code)
	if err != nil {
		return nil, err
	}
	if r.Client.AuthMethod() == oidc.AuthMethodNone || r.Data.CodeVerifier != "" {
		if err := op.AuthorizeCodeChallenge(r.Data.CodeVerifier, ar.codeChallenge); err != nil {
			return nil, err
		}
	}
	if r.Client.GetID() != ar.clientID {
		return nil, oidc.ErrInvalidGrant().WithDescription("code issued to another client")
	}
	if r.Data.RedirectURI != ar.redirectURI {
		return nil, oidc.ErrInvalidGrant().WithDescription("redirect_uri does not correspond")
	}
	now := s.sim.now()
	at, err := s.sim.st.issueAccessToken(ar, now)
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	claims := oidc.NewIDTokenClaims(s.sim.issuer, ar.subject, []string{ar.clientID}, now.Add(tokenTTL), ar.authTime,
		ar.nonce, acr, nil, ar.clientID, 0)
	claims.IssuedAt = oidc.FromTime(now)
	if claims.AccessTokenHash, err = oidc.ClaimHash(at, s.sim.st.key.alg); err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	idToken, err := zcrypto.Sign(claims, s.sim.signer)
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return op.NewResponse(&oidc.AccessTokenResponse{AccessToken: at, TokenType: oidc.BearerToken,
		ExpiresIn: uint64(tokenTTL / time.Second), IDToken: idToken}), nil
}
