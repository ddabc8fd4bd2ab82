package fc

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/oidc"
)

const (
	// leeway absorbs clock drift between FC and us on exp, iat and nbf (the reference app used 30 s).
	leeway = 30 * time.Second
	// keysRefreshInterval bounds how often an unknown kid makes us fetch the JWKS again, so a
	// rotation at FC is picked up without letting a stream of bad tokens hammer FC.
	keysRefreshInterval = time.Minute
	// maxBody caps what we read from FC: its documents are a few kilobytes.
	maxBody = 1 << 20
)

// verifyIDToken checks the ID token as OIDC core §3.1.3.7 asks, with our clock, and FC's acr.
func (c *Client) verifyIDToken(ctx context.Context, ep *endpoints, raw, accessToken, nonce string) (*oidc.IDTokenClaims, error) {
	payload, alg, err := c.signedPayload(ctx, ep.jwks, raw)
	if err != nil {
		return nil, err
	}
	claims := new(oidc.IDTokenClaims)
	if err := json.Unmarshal(payload, claims); err != nil {
		return nil, fmt.Errorf("%w: ID token claims: %w", ErrInvalidToken, err)
	}
	if err := c.checkClaims(claims.Issuer, claims.Audience, claims.AuthorizedParty, claims.Expiration, claims.IssuedAt, claims.NotBefore, true); err != nil {
		return nil, fmt.Errorf("%w: ID token: %w", ErrInvalidToken, err)
	}
	if claims.Subject == "" {
		return nil, fmt.Errorf("%w: ID token has no sub", ErrInvalidToken)
	}
	// Checked after the signature and audience, so a mismatch really means "not the flow we started".
	if nonce == "" || subtle.ConstantTimeCompare([]byte(claims.Nonce), []byte(nonce)) != 1 {
		return nil, ErrNonceMismatch
	}
	if claims.AuthenticationContextClassReference != ACR {
		return nil, fmt.Errorf("%w: acr %q, want %q", ErrInvalidToken, claims.AuthenticationContextClassReference, ACR)
	}
	if err := rp.VerifyAccessToken(accessToken, claims.AccessTokenHash, alg); err != nil {
		return nil, fmt.Errorf("%w: at_hash: %w", ErrInvalidToken, err)
	}
	return claims, nil
}

// userinfoJWT is FC v2's signed userinfo: the identity plus registered claims, which we check
// when present.
type userinfoJWT struct {
	Identity
	Issuer     string        `json:"iss"`
	Audience   oidc.Audience `json:"aud"`
	Expiration oidc.Time     `json:"exp"`
	IssuedAt   oidc.Time     `json:"iat"`
	NotBefore  oidc.Time     `json:"nbf"`
}

func (c *Client) verifyUserinfoJWT(ctx context.Context, ep *endpoints, raw string) (Identity, error) {
	payload, _, err := c.signedPayload(ctx, ep.jwks, raw)
	if err != nil {
		return Identity{}, err
	}
	var u userinfoJWT
	if err := json.Unmarshal(payload, &u); err != nil {
		return Identity{}, fmt.Errorf("%w: userinfo claims: %w", ErrInvalidToken, err)
	}
	if err := c.checkClaims(u.Issuer, u.Audience, "", u.Expiration, u.IssuedAt, u.NotBefore, false); err != nil {
		return Identity{}, fmt.Errorf("%w: userinfo: %w", ErrInvalidToken, err)
	}
	return u.Identity, nil
}

// checkClaims verifies the registered claims. required says whether iss, aud, exp and iat must be
// present (ID token) or are only checked when present (userinfo).
func (c *Client) checkClaims(iss string, aud []string, azp string, exp, iat, nbf oidc.Time, required bool) error {
	now := c.now()
	switch {
	case (required || iss != "") && iss != c.cfg.Issuer:
		return fmt.Errorf("iss %q, want %q", iss, c.cfg.Issuer)
	case (required || len(aud) > 0) && !slices.Contains(aud, c.cfg.ClientID):
		return fmt.Errorf("aud %q does not contain our client id", aud)
	case len(aud) > 1 && azp != c.cfg.ClientID, azp != "" && azp != c.cfg.ClientID:
		return fmt.Errorf("azp %q is not our client id", azp)
	case required && exp == 0, exp != 0 && !now.Before(exp.AsTime().Add(leeway)):
		return fmt.Errorf("expired (exp %s, now %s)", exp.AsTime().UTC(), now.UTC())
	case required && iat == 0, iat != 0 && iat.AsTime().After(now.Add(leeway)):
		return fmt.Errorf("iat %s missing or in the future (now %s)", iat.AsTime().UTC(), now.UTC())
	case nbf != 0 && nbf.AsTime().After(now.Add(leeway)):
		return fmt.Errorf("not valid before %s (now %s)", nbf.AsTime().UTC(), now.UTC())
	}
	return nil
}

// signedPayload verifies raw's signature with the issuer's keys and returns the payload and the
// algorithm used.
func (c *Client) signedPayload(ctx context.Context, jwksURL, raw string) ([]byte, jose.SignatureAlgorithm, error) {
	// FC v2 signs with RS256 or ES256; listing them refuses "none", HMAC and algorithm confusion.
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if len(jws.Signatures) != 1 {
		return nil, "", fmt.Errorf("%w: %d signatures", ErrInvalidToken, len(jws.Signatures))
	}
	keys, err := c.keySet(ctx, jwksURL, false)
	if err != nil {
		return nil, "", err
	}
	payload, known, err := verifyWith(jws, keys)
	if !known {
		// An unknown kid may be FC's new key after a rotation: look again (rate-limited).
		if keys, err = c.keySet(ctx, jwksURL, true); err != nil {
			return nil, "", err
		}
		payload, known, err = verifyWith(jws, keys)
	}
	switch {
	case !known:
		return nil, "", fmt.Errorf("%w: no key %q for %s in the issuer's JWKS", ErrInvalidToken,
			jws.Signatures[0].Header.KeyID, jws.Signatures[0].Header.Algorithm)
	case err != nil:
		return nil, "", fmt.Errorf("%w: signature: %w", ErrInvalidToken, err)
	}
	return payload, jose.SignatureAlgorithm(jws.Signatures[0].Header.Algorithm), nil
}

// verifyWith tries the keys that match the header's kid and alg. known reports whether any did.
func verifyWith(jws *jose.JSONWebSignature, keys []jose.JSONWebKey) (payload []byte, known bool, err error) {
	h := jws.Signatures[0].Header
	for i := range keys {
		k := &keys[i]
		if (h.KeyID != "" && k.KeyID != h.KeyID) || (k.Use != "" && k.Use != "sig") ||
			(k.Algorithm != "" && k.Algorithm != h.Algorithm) {
			continue
		}
		known = true
		if payload, err = jws.Verify(k); err == nil {
			return payload, true, nil
		}
	}
	return nil, known, err
}

// keySet returns the cached JWKS, fetching it the first time, or again when refresh is asked and
// the cache is older than keysRefreshInterval.
func (c *Client) keySet(ctx context.Context, jwksURL string, refresh bool) ([]jose.JSONWebKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.keys != nil && (!refresh || now.Sub(c.keysAt) < keysRefreshInterval) {
		return c.keys, nil
	}
	keys, err := c.fetchJWKS(ctx, jwksURL)
	if err != nil {
		return nil, err
	}
	c.keys, c.keysAt = keys, now
	return keys, nil
}

func (c *Client) fetchJWKS(ctx context.Context, jwksURL string) ([]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jwksURL, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: JWKS request: %w", ErrProvider, err)
	}
	req.Header.Set("Accept", "application/json")
	body, _, err := c.do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: JWKS: %w", ErrProvider, err)
	}
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("%w: JWKS: %w", ErrProvider, err)
	}
	keys := make([]jose.JSONWebKey, 0, len(raw.Keys))
	for _, r := range raw.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(r); err != nil {
			if errors.Is(err, jose.ErrUnsupportedKeyType) {
				continue // a key type we cannot use does not make the others unusable
			}
			return nil, fmt.Errorf("%w: JWKS key: %w", ErrProvider, err)
		}
		if k.IsPublic() {
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// do sends req and returns the (bounded) body and the headers of a 2xx answer.
func (c *Client) do(req *http.Request) ([]byte, http.Header, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// FC's errors are JSON one-liners ({"error":"invalid_grant",…}); keep them for the log.
		if len(body) > 300 {
			body = body[:300]
		}
		return nil, nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, body)
	}
	return body, resp.Header, nil
}
