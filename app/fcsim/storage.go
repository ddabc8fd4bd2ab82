package fcsim

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

const (
	authRequestTTL = 10 * time.Minute // the usager's time on the login page
	codeTTL        = 60 * time.Second // as FC
	tokenTTL       = 60 * time.Second // ID and access tokens, as FC
	// forgetAfter is how long spent codes stay as tombstones, so that a replay is recognised
	// (and revokes) rather than looking merely unknown.
	forgetAfter = 15 * time.Minute
)

var errNotSupported = errors.New("fcsim: not supported by the simulator")

// storage keeps everything in memory: the simulator forgets its flows when the process restarts,
// which is fine for dev and the bac à sable.
type storage struct {
	now     func() time.Time
	clients map[string]*client
	key     signingKey

	mu       sync.Mutex
	authReqs map[string]*authRequest
	codes    map[string]*codeGrant
	tokens   map[string]*accessToken
}

type codeGrant struct {
	authReqID string
	issued    time.Time
	used      bool
}

type accessToken struct {
	authReqID string
	subject   string
	clientID  string
	scopes    []string
	expires   time.Time
	revoked   bool
}

var _ op.Storage = (*storage)(nil)

func newStorage(now func() time.Time, clients map[string]*client, key signingKey) *storage {
	return &storage{now: now, clients: clients, key: key,
		authReqs: map[string]*authRequest{}, codes: map[string]*codeGrant{}, tokens: map[string]*accessToken{}}
}

func randomString() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// sweep forgets what can no longer be used; called under mu when something is added.
func (st *storage) sweep(now time.Time) {
	for id, ar := range st.authReqs {
		if now.Sub(ar.created) > forgetAfter {
			delete(st.authReqs, id)
		}
	}
	for c, g := range st.codes {
		if now.Sub(g.issued) > forgetAfter {
			delete(st.codes, c)
		}
	}
	for t, at := range st.tokens {
		if now.After(at.expires) {
			delete(st.tokens, t)
		}
	}
}

func (st *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	id, err := randomString()
	if err != nil {
		return nil, err
	}
	csrf, err := randomString()
	if err != nil {
		return nil, err
	}
	ar := &authRequest{
		id: id, csrf: csrf, clientID: req.ClientID, redirectURI: req.RedirectURI, state: req.State, nonce: req.Nonce,
		scopes: slices.Clone(req.Scopes), responseType: req.ResponseType, responseMode: req.ResponseMode,
		created: st.now(),
	}
	if req.CodeChallenge != "" {
		ar.codeChallenge = &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: req.CodeChallengeMethod}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sweep(ar.created)
	st.authReqs[id] = ar
	c := *ar
	return &c, nil
}

// pendingAuthRequest is an auth request still waiting for the login page.
func (st *storage) pendingAuthRequest(id string) (*authRequest, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	ar, ok := st.authReqs[id]
	if !ok || ar.done || st.now().Sub(ar.created) > authRequestTTL {
		return nil, false
	}
	c := *ar
	return &c, true
}

// finishAuthRequest checks the login form's token, then records the chosen person (sub != "")
// or, for a cancellation (sub == ""), forgets the request.
func (st *storage) finishAuthRequest(id, csrf, sub string) (*authRequest, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	ar, ok := st.authReqs[id]
	now := st.now()
	if !ok || ar.done || now.Sub(ar.created) > authRequestTTL ||
		subtle.ConstantTimeCompare([]byte(csrf), []byte(ar.csrf)) != 1 {
		return nil, false
	}
	if sub == "" {
		delete(st.authReqs, id)
	} else {
		ar.subject, ar.authTime, ar.done = sub, now, true
	}
	c := *ar
	return &c, true
}

func (st *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	ar, ok := st.authReqs[id]
	if !ok || st.now().Sub(ar.created) > authRequestTTL {
		return nil, errors.New("fcsim: unknown or expired auth request")
	}
	c := *ar
	return &c, nil
}

// SaveAuthCode is reached only through op.AuthResponse, after the login form; one code per request.
func (st *storage) SaveAuthCode(_ context.Context, id, code string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	ar, ok := st.authReqs[id]
	if !ok || !ar.done || ar.codeIssued {
		return oidc.ErrServerError().WithDescription("auth request not ready for a code")
	}
	ar.codeIssued = true
	st.codes[code] = &codeGrant{authReqID: id, issued: st.now()}
	return nil
}

// claimCode spends a code atomically. A replay revokes the tokens issued with it, as FC does
// (and RFC 6749 §4.1.2 recommends).
func (st *storage) claimCode(code string) (*authRequest, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	g, ok := st.codes[code]
	switch {
	case !ok:
		return nil, oidc.ErrInvalidGrant().WithDescription("unknown code")
	case g.used:
		for _, at := range st.tokens {
			if at.authReqID == g.authReqID {
				at.revoked = true
			}
		}
		return nil, oidc.ErrInvalidGrant().WithDescription("code already used")
	case st.now().Sub(g.issued) > codeTTL:
		g.used = true
		return nil, oidc.ErrInvalidGrant().WithDescription("code expired")
	}
	g.used = true
	ar, ok := st.authReqs[g.authReqID]
	if !ok {
		return nil, oidc.ErrInvalidGrant().WithDescription("unknown code")
	}
	c := *ar
	return &c, nil
}

func (st *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	return st.claimCode(code)
}

func (st *storage) issueAccessToken(ar *authRequest, now time.Time) (string, error) {
	t, err := randomString()
	if err != nil {
		return "", err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sweep(now)
	st.tokens[t] = &accessToken{authReqID: ar.id, subject: ar.subject, clientID: ar.clientID,
		scopes: slices.Clone(ar.scopes), expires: now.Add(tokenTTL)}
	return t, nil
}

// validToken returns a copy of a live access token.
func (st *storage) validToken(t string) (accessToken, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	at, ok := st.tokens[t]
	if !ok || at.revoked || !st.now().Before(at.expires) {
		return accessToken{}, false
	}
	return *at, true
}

func (st *storage) DeleteAuthRequest(_ context.Context, id string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.authReqs, id)
	return nil
}

// GetClientByClientID answers an oidc error for an unknown client: a plain error would become a
// 500 at /authorize (see the zitadel spike notes).
func (st *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	c, ok := st.clients[id]
	if !ok {
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
	}
	return c, nil
}

func (st *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	c, ok := st.clients[id]
	if !ok || subtle.ConstantTimeCompare([]byte(secret), []byte(c.secret)) != 1 {
		return oidc.ErrInvalidClient().WithDescription("invalid client credentials")
	}
	return nil
}

func (st *storage) RevokeToken(_ context.Context, token, _, clientID string) *oidc.Error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if at, ok := st.tokens[token]; ok && at.clientID == clientID {
		at.revoked = true
	}
	return nil
}

func (st *storage) SigningKey(context.Context) (op.SigningKey, error) { return st.key, nil }

func (st *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{st.key.alg}, nil
}

func (st *storage) KeySet(context.Context) ([]op.Key, error) { return []op.Key{publicKey{st.key}}, nil }

func (st *storage) Health(context.Context) error { return nil }

// The simulator has no sessions to end: each flow asks for a fresh login (prompt=login).
func (st *storage) TerminateSession(context.Context, string, string) error { return nil }

// What follows is part of op.Storage but unreachable with the endpoints and grants the simulator
// enables (code flow only, our own code exchange and userinfo).

func (st *storage) CreateAccessToken(context.Context, op.TokenRequest) (string, time.Time, error) {
	return "", time.Time{}, errNotSupported
}

func (st *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errNotSupported
}

func (st *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

func (st *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (st *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

func (st *storage) SetUserinfoFromToken(context.Context, *oidc.UserInfo, string, string, string) error {
	return errNotSupported
}

func (st *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errNotSupported
}

func (st *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (st *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errNotSupported
}

func (st *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errNotSupported
}
