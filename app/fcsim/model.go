package fcsim

import (
	"net/url"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// acr is the eIDAS level FC's "low" platform vouches for.
const acr = "eidas1"

// authRequest is one /authorize call, from the login page to the code exchange.
type authRequest struct {
	id, csrf              string
	clientID, redirectURI string
	state, nonce          string
	scopes                []string
	responseType          oidc.ResponseType
	responseMode          oidc.ResponseMode
	codeChallenge         *oidc.CodeChallenge
	created, authTime     time.Time
	subject               string
	done, codeIssued      bool
}

var _ op.AuthRequest = (*authRequest)(nil)

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return acr }
func (a *authRequest) GetAMR() []string                      { return nil }
func (a *authRequest) GetAudience() []string                 { return []string{a.clientID} }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.codeChallenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }

// client is a registered FS: a confidential web client using client_secret_post, like FC's.
type client struct {
	id, secret, loginURL string
	redirectURIs         []string
	postLogoutURIs       []string
}

var _ op.Client = (*client)(nil)

func (c *client) GetID() string                       { return c.id }
func (c *client) RedirectURIs() []string              { return c.redirectURIs }
func (c *client) PostLogoutRedirectURIs() []string    { return c.postLogoutURIs }
func (c *client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodPost }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType        { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *client) LoginURL(id string) string           { return c.loginURL + "?id=" + url.QueryEscape(id) }
func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration      { return tokenTTL }
func (c *client) DevMode() bool                       { return false }
func (c *client) ClockSkew() time.Duration            { return 0 }
func (c *client) IDTokenUserinfoClaimsAssertion() bool {
	return false
}
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed lets FC's own scopes through: zitadel silently drops scopes it does not know.
func (c *client) IsScopeAllowed(scope string) bool {
	_, ok := scopeClaims()[scope]
	return ok
}

// scopeClaims maps FC v2's scopes to the userinfo claims they release.
func scopeClaims() map[string][]string {
	return map[string][]string{
		oidc.ScopeOpenID:     {"sub"},
		"given_name":         {"given_name"},
		"family_name":        {"family_name"},
		"birthdate":          {"birthdate"},
		"gender":             {"gender"},
		"birthplace":         {"birthplace"},
		"birthcountry":       {"birthcountry"},
		"email":              {"email"},
		"preferred_username": {"preferred_username"},
		"profile":            {"given_name", "family_name", "birthdate", "gender", "preferred_username"},
		"birth":              {"birthplace", "birthcountry"},
		"identite_pivot":     {"given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry"},
	}
}

// supportedScopes is what discovery advertises.
func supportedScopes() []string {
	s := make([]string, 0, len(scopeClaims()))
	for k := range scopeClaims() {
		s = append(s, k)
	}
	slices.Sort(s)
	return s
}

// signingKey is the simulator's only key, generated in memory.
type signingKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key any // *rsa.PrivateKey or *ecdsa.PrivateKey
	pub any
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

// publicKey is what the JWKS publishes.
type publicKey struct{ signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return k.alg }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return k.pub }
