package idp

import (
	"context"
	"errors"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/aidantsconnect/ac/store"
)

// server is zitadel's LegacyServer (client authentication, redirect URI and scope checks,
// discovery, JWKS, error encoding) with FranceConnect's rules at /authorize and our own code
// exchange: single-use codes in Postgres, per-client signing including HS256, our clock.
type server struct {
	*op.LegacyServer
	p *Provider
}

// Authorize runs once zitadel trusts the client and its redirect URI, so every refusal here
// goes back to the client (error, error_description, state). It records the flow and sends
// the aidant to the usager choice.
func (s *server) Authorize(ctx context.Context, r *op.ClientRequest[oidc.AuthRequest]) (*op.Redirect, error) {
	c, ok := r.Client.(*client)
	if !ok {
		return nil, oidc.ErrServerError().WithDescription("unexpected client type")
	}
	in, oerr := checkAuthorize(r.Form, r.Data, c.c)
	if oerr != nil {
		state := r.Data.State
		if !opaqueValue.MatchString(state) { // never reflect a malformed state
			state = ""
		}
		return op.TryErrorRedirect(ctx, &oidc.AuthRequest{RedirectURI: r.Data.RedirectURI,
			ResponseType: oidc.ResponseTypeCode, State: state}, oerr, s.p.op.Encoder(), nil)
	}
	token, err := s.p.st.CreateIdPFlow(ctx, in)
	if err != nil {
		return op.TryErrorRedirect(ctx, r.Data, oidc.ErrServerError().WithParent(err), s.p.op.Encoder(), nil)
	}
	return op.NewRedirect(c.LoginURL(token)), nil
}

// VerifyClient authenticates the client at /token with the one method it is registered with,
// which is what discovery advertises (client_secret_post: client_id and client_secret in the
// form body). zitadel would also take HTTP Basic, and a secret in the query string.
func (s *server) VerifyClient(ctx context.Context, r *op.Request[op.ClientCredentials]) (op.Client, error) {
	if q := r.URL.Query(); q.Has("client_secret") || q.Has("client_assertion") {
		return nil, oidc.ErrInvalidRequest().WithDescription("client credentials belong in the request body, never in the URL")
	}
	used := oidc.AuthMethodPost
	if r.Header.Get("Authorization") != "" {
		used = oidc.AuthMethodBasic
	}
	c, err := s.LegacyServer.VerifyClient(ctx, r)
	if err != nil {
		return nil, err
	}
	if c.AuthMethod() != used {
		return nil, oidc.ErrInvalidClient().WithDescription("client authentication %s is not accepted for this client: use %s", used, c.AuthMethod())
	}
	return c, nil
}

// CodeExchange spends the code in the store (atomically; a replay revokes) and signs the ID
// token with the client's algorithm. zitadel's own path cannot sign HS256 ID tokens and reads
// the wall clock.
func (s *server) CodeExchange(ctx context.Context, r *op.ClientRequest[oidc.AccessTokenRequest]) (*op.Response, error) {
	g, at, err := s.p.st.ExchangeIdPCode(ctx, store.IdPExchange{
		ClientID: r.Client.GetID(), RedirectURI: r.Data.RedirectURI, Code: r.Data.Code, TokenTTL: s.p.tokenTTL,
		SecretHash: store.HashToken(r.Data.ClientSecret),
		Check: func(f *store.IdPFlow) error {
			var challenge *oidc.CodeChallenge
			if f.CodeChallenge != "" {
				if !pkceValue.MatchString(r.Data.CodeVerifier) {
					return oidc.ErrInvalidGrant().WithDescription("code_verifier must be 43 to 128 URL-safe characters")
				}
				challenge = &oidc.CodeChallenge{Challenge: f.CodeChallenge, Method: oidc.CodeChallengeMethod(f.CodeChallengeMethod)}
			}
			return op.AuthorizeCodeChallenge(r.Data.CodeVerifier, challenge)
		},
	})
	if err != nil {
		return nil, grantError(err)
	}
	idToken, err := s.p.idToken(ctx, g, at)
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	resp := op.NewResponse(&oidc.AccessTokenResponse{AccessToken: at, TokenType: oidc.BearerToken,
		ExpiresIn: uint64(g.Token.ExpiresAt.Sub(g.Token.CreatedAt) / time.Second), IDToken: idToken})
	resp.Header.Set("Cache-Control", "no-store")
	resp.Header.Set("Pragma", "no-cache")
	return resp, nil
}

// grantError maps the store's refusals to invalid_grant, with a description for the client's
// logs; anything else is a server error.
func grantError(err error) error {
	var oerr *oidc.Error
	switch {
	case errors.As(err, &oerr):
		return oerr
	case errors.Is(err, store.ErrIdPSecretRefused):
		return oidc.ErrInvalidClient().WithDescription("invalid client credentials")
	case errors.Is(err, store.ErrIdPCodeReplayed):
		return oidc.ErrInvalidGrant().WithDescription("code already used: the tokens issued with it are revoked")
	case errors.Is(err, store.ErrIdPCodeExpired):
		return oidc.ErrInvalidGrant().WithDescription("code expired")
	case errors.Is(err, store.ErrIdPGrantEnded):
		return oidc.ErrInvalidGrant().WithDescription("the autorisation was revoked or has expired, or the aidant or the organisation was deactivated")
	case errors.Is(err, store.ErrIdPCodeMismatch):
		return oidc.ErrInvalidGrant().WithDescription("code issued to another client or redirect_uri")
	case errors.Is(err, store.ErrIdPCodeUnknown):
		return oidc.ErrInvalidGrant().WithDescription("unknown code")
	}
	return oidc.ErrServerError().WithParent(err)
}

// Discovery describes what we actually do, where zitadel's defaults list the implicit flow,
// refresh tokens and public subjects.
func (s *server) Discovery(ctx context.Context, r *op.Request[struct{}]) (*op.Response, error) {
	resp, err := s.LegacyServer.Discovery(ctx, r)
	if err != nil {
		return nil, err
	}
	d, ok := resp.Data.(*oidc.DiscoveryConfiguration)
	if !ok {
		return resp, nil
	}
	algs := []string{"ES256", "RS256", "HS256"}
	d.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	d.ResponseModesSupported = []string{string(oidc.ResponseModeQuery)}
	d.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode}
	d.SubjectTypesSupported = []string{"pairwise"}
	d.ACRValuesSupported = []string{acr}
	d.IDTokenSigningAlgValuesSupported = algs
	d.UserinfoSigningAlgValuesSupported = algs
	d.ClaimsParameterSupported = true
	d.TokenEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodPost}
	// Only the endpoints that exist, and nothing about those that do not (revocation,
	// introspection), nor about client assertions and request objects, which we refuse.
	d.RevocationEndpoint, d.IntrospectionEndpoint, d.DeviceAuthorizationEndpoint, d.CheckSessionIframe = "", "", "", ""
	d.RevocationEndpointAuthMethodsSupported, d.RevocationEndpointAuthSigningAlgValuesSupported = nil, nil
	d.IntrospectionEndpointAuthMethodsSupported, d.IntrospectionEndpointAuthSigningAlgValuesSupported = nil, nil
	d.TokenEndpointAuthSigningAlgValuesSupported, d.RequestObjectSigningAlgValuesSupported = nil, nil
	d.RequestParameterSupported, d.RequestURIParameterSupported = false, false
	d.ClaimsSupported = []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "at_hash", "rep_scope",
		"given_name", "family_name", "preferred_username", "birthdate", "gender", "birthplace", "birthcountry", "email"}
	d.CodeChallengeMethodsSupported = []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256}
	return resp, nil
}
