package fc

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// Exchange swaps the callback's code for tokens, verifies the ID token (signature from the issuer's
// JWKS, iss, aud, exp/iat, nonce, acr), fetches and verifies userinfo, and returns the identity and
// the raw ID token (the hint for LogoutURL).
//
// Once the ID token has been verified, the raw ID token is returned even with an error, so that the
// caller can still end the usager's FC session. An identity that fails Validate comes back with an
// error wrapping ErrIncompleteIdentity.
func (c *Client) Exchange(ctx context.Context, code, nonce string) (Identity, string, error) {
	if code == "" {
		return Identity{}, "", fmt.Errorf("%w: empty code", ErrProvider)
	}
	ep, err := c.resolve(ctx)
	if err != nil {
		return Identity{}, "", err
	}
	tok, err := c.token(ctx, ep, code)
	if err != nil {
		return Identity{}, "", err
	}
	claims, err := c.verifyIDToken(ctx, ep, tok.IDToken, tok.AccessToken, nonce)
	if err != nil {
		return Identity{}, "", err
	}
	id, err := c.userinfo(ctx, ep, tok.AccessToken)
	if err != nil {
		return Identity{}, tok.IDToken, err
	}
	if id.Sub != claims.Subject {
		return Identity{}, tok.IDToken, fmt.Errorf("%w: userinfo sub differs from the ID token's", ErrInvalidToken)
	}
	return id, tok.IDToken, id.Validate()
}

// token calls the token endpoint with client_secret_post, the method FC registers for FS.
func (c *Client) token(ctx context.Context, ep *endpoints, code string) (*oidc.AccessTokenResponse, error) {
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {c.cfg.RedirectURL},
		"client_id":     {c.cfg.ClientID},
		"client_secret": {c.cfg.ClientSecret},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.token, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("%w: token request: %w", ErrProvider, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	body, _, err := c.do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: token endpoint: %w", ErrProvider, err)
	}
	tok := new(oidc.AccessTokenResponse)
	if err := json.Unmarshal(body, tok); err != nil {
		return nil, fmt.Errorf("%w: token response: %w", ErrProvider, err)
	}
	if tok.AccessToken == "" || tok.IDToken == "" || !strings.EqualFold(tok.TokenType, oidc.BearerToken) {
		return nil, fmt.Errorf("%w: token response lacks a bearer access token or an ID token", ErrProvider)
	}
	return tok, nil
}

// userinfo fetches the identity. FC v2 answers with a signed JWT; plain JSON (other providers,
// FC v1) is accepted too, protected by TLS and the access token only.
func (c *Client) userinfo(ctx context.Context, ep *endpoints, accessToken string) (Identity, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.userinfo, nil)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: userinfo request: %w", ErrProvider, err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/jwt, application/json")
	body, header, err := c.do(req)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: userinfo endpoint: %w", ErrProvider, err)
	}
	mediaType, _, err := mime.ParseMediaType(header.Get("Content-Type"))
	if err != nil {
		return Identity{}, fmt.Errorf("%w: userinfo content type %q: %w", ErrProvider, header.Get("Content-Type"), err)
	}
	switch mediaType {
	case "application/jwt":
		return c.verifyUserinfoJWT(ctx, ep, strings.TrimSpace(string(body)))
	case "application/json":
		var id Identity
		if err := json.Unmarshal(body, &id); err != nil {
			return Identity{}, fmt.Errorf("%w: userinfo JSON: %w", ErrProvider, err)
		}
		return id, nil
	default:
		return Identity{}, fmt.Errorf("%w: userinfo content type %q", ErrProvider, mediaType)
	}
}
