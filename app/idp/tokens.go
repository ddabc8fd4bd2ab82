package idp

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/aidantsconnect/ac/store"
)

// pivotScopes are the scopes that ask for the usager's identity. Any one of them releases all
// of it: FranceConnect's core checks the whole pivot identity it gets from an FI.
var pivotScopes = []string{"profile", "birth", "email", "identite_pivot", "given_name", "family_name",
	"birthdate", "gender", "birthplace", "birthcountry", "preferred_username"}

// identityClaims is the usager as userinfo presents them (FRANCECONNECT.md §1, Userinfo).
func identityClaims(u *store.Usager, scopes []string) map[string]any {
	claims := map[string]any{}
	if !slices.ContainsFunc(scopes, func(s string) bool { return slices.Contains(pivotScopes, s) }) {
		return claims
	}
	claims["given_name"] = u.GivenName
	claims["family_name"] = u.FamilyName
	claims["birthdate"] = u.Birthdate.Format(time.DateOnly)
	claims["gender"] = u.Gender
	claims["birthcountry"] = u.Birthcountry
	// "" for people born abroad: FC wants the key, and a string.
	claims["birthplace"] = u.Birthplace
	if u.PreferredUsername != "" {
		claims["preferred_username"] = u.PreferredUsername
	}
	if u.Email != "" {
		claims["email"] = u.Email
	}
	return claims
}

// atHash is the ID token's at_hash: the left half of the access token's SHA-256, which is the
// hash of ES256, RS256 and HS256 alike (OpenID Connect Core §3.1.3.6).
func atHash(accessToken string) string {
	h := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(h[:len(h)/2])
}

// idToken builds and signs the ID token of a grant. Times come from the token's row, written
// with our clock: iat is never in the future, exp is the access token's.
func (p *Provider) idToken(ctx context.Context, g *store.IdPGrant, accessToken string) (string, error) {
	f := g.Flow
	c := f.Client
	claims := map[string]any{
		"iss":       p.issuer,
		"sub":       p.st.IdPSubject(c.ID, f.Usager.Sub),
		"aud":       c.ID,
		"exp":       g.Token.ExpiresAt.Unix(),
		"iat":       g.Token.CreatedAt.Unix(),
		"auth_time": f.CompletedAt.Unix(),
		"nonce":     f.Nonce,
		"acr":       acr,
		"at_hash":   atHash(accessToken),
	}
	if f.RepScopeRequested {
		claims["rep_scope"] = []string{f.RepScopeAnswer()}
	}
	return p.sign(ctx, c, claims)
}

// userinfoClaims is what /userinfo answers for a grant; as a JWT it also carries iss, aud,
// iat and exp.
func (p *Provider) userinfoClaims(g *store.IdPGrant, asJWT bool) map[string]any {
	f := g.Flow
	claims := identityClaims(f.Usager, f.Scopes)
	claims["sub"] = p.st.IdPSubject(f.ClientID, f.Usager.Sub)
	if asJWT {
		claims["iss"] = p.issuer
		claims["aud"] = f.ClientID
		claims["iat"] = p.st.Now().Unix()
		claims["exp"] = g.Token.ExpiresAt.Unix()
	}
	return claims
}

// sign makes a compact JWS of claims with the client's algorithm: HS256 with its secret,
// ES256 or RS256 with our active key (its kid in the header, published in the JWKS).
func (p *Provider) sign(ctx context.Context, c *store.IdPClient, claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("claims: %w", err)
	}
	var signer jose.Signer
	switch c.IDTokenAlg {
	case store.AlgHS256:
		secret, err := p.st.IdPClientSecret(c)
		if err != nil {
			return "", err
		}
		signer, err = jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: secret}, (&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			return "", fmt.Errorf("HS256 signer for %s: %w", c.ID, err)
		}
	default:
		k, err := p.keys.get(ctx, jose.SignatureAlgorithm(c.IDTokenAlg))
		if err != nil {
			return "", err
		}
		signer = k.signer
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign for %s: %w", c.ID, err)
	}
	return jws.CompactSerialize()
}
