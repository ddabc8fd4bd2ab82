package idp

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

var errNotSupported = errors.New("idp: not supported")

// storage is zitadel's view of the store. With our Authorize, CodeExchange and userinfo, zitadel
// only reads clients, checks their secrets, and publishes keys and discovery; the rest of the
// interface is unreachable and says so.
type storage struct {
	st   *store.Store
	keys *keyring
	ttl  time.Duration
}

var _ op.Storage = (*storage)(nil)

// GetClientByClientID answers an oidc error for an unknown client: a plain error would become a
// server_error (500).
func (s *storage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.st.GetIdPClient(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
	}
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return &client{c: c, ttl: s.ttl}, nil
}

func (s *storage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	_, err := s.st.AuthenticateIdPClient(ctx, id, secret)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrIdPSecretRefused):
		return oidc.ErrInvalidClient().WithDescription("invalid client credentials")
	case err != nil:
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	return s.keys.get(ctx, jose.ES256)
}

// SignatureAlgorithms is what discovery lists: our keys, and HS256 for clients signed with
// their secret.
func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.HS256}, nil
}

func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) { return s.keys.published(ctx) }

func (s *storage) Health(ctx context.Context) error { return s.st.Ping(ctx) }

// Unreachable: flows, codes and tokens go through our own Authorize, CodeExchange and userinfo.

func (s *storage) CreateAuthRequest(context.Context, *oidc.AuthRequest, string) (op.AuthRequest, error) {
	return nil, errNotSupported
}
func (s *storage) AuthRequestByID(context.Context, string) (op.AuthRequest, error) {
	return nil, errNotSupported
}
func (s *storage) AuthRequestByCode(context.Context, string) (op.AuthRequest, error) {
	return nil, oidc.ErrInvalidGrant()
}
func (s *storage) SaveAuthCode(context.Context, string, string) error { return errNotSupported }
func (s *storage) DeleteAuthRequest(context.Context, string) error    { return nil }
func (s *storage) CreateAccessToken(context.Context, op.TokenRequest) (string, time.Time, error) {
	return "", time.Time{}, errNotSupported
}
func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errNotSupported
}
func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}
func (s *storage) TerminateSession(context.Context, string, string) error { return nil }
func (s *storage) RevokeToken(context.Context, string, string, string) *oidc.Error {
	return oidc.ErrUnsupportedGrantType()
}
func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}
func (s *storage) SetUserinfoFromToken(context.Context, *oidc.UserInfo, string, string, string) error {
	return errNotSupported
}
func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errNotSupported
}
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errNotSupported
}
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errNotSupported
}

// client is a registered relying party as zitadel sees it: a confidential web client using
// client_secret_post and the code flow only.
type client struct {
	c   *store.IdPClient
	ttl time.Duration
}

var _ op.Client = (*client)(nil)

func (c *client) GetID() string                       { return c.c.ID }
func (c *client) RedirectURIs() []string              { return c.c.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string    { return c.c.PostLogoutURIs }
func (c *client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodPost }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType        { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *client) LoginURL(id string) string           { return paths.IdPStep(paths.IdPUsagerChoice, id) }
func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration      { return c.ttl }
func (c *client) ClockSkew() time.Duration            { return 0 }

// DevMode only relaxes zitadel's redirect URI scheme check, which the store already makes
// stricter at registration (https, or http on the loopback). Without it a request to an http
// loopback URI that lacks response_type would be answered locally instead of redirected.
func (c *client) DevMode() bool { return true }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return false }

// IsScopeAllowed keeps FranceConnect's own scopes: zitadel silently drops scopes it does not know.
func (c *client) IsScopeAllowed(scope string) bool {
	return scope == oidc.ScopeOpenID || slices.Contains(pivotScopes, scope)
}
