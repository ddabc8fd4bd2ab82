package idp

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/aidantsconnect/ac/store"
)

// acr is the only eIDAS level we vouch for: FranceConnect's "low" platform.
const acr = "eidas1"

// opaqueValue is what a state or nonce may be: URL-safe characters (RFC 3986 unreserved),
// enough of them to be unguessable. FranceConnect sends 64 hexadecimal digits.
var opaqueValue = regexp.MustCompile(`^[A-Za-z0-9._~-]{16,512}$`)

// pkceValue is a PKCE code_challenge or code_verifier: 43 to 128 unreserved characters
// (RFC 7636 §4.1 and §4.2).
var pkceValue = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// checkAuthorize applies what FranceConnect's FI rules add to OpenID Connect, once zitadel
// has checked the client, the redirect URI, the response type and the scopes. It returns the
// flow to record, or the error to send back to the client. Descriptions are ASCII English, as
// RFC 6749 §4.1.2.1 wants.
//
// Parameters nobody knows are ignored (RFC 6749 §3.1 says they must be); a parameter given
// twice is refused (same section).
func checkAuthorize(form url.Values, d *oidc.AuthRequest, c *store.IdPClient) (store.IdPFlowInput, *oidc.Error) {
	var in store.IdPFlowInput
	for _, k := range sortedKeys(form) {
		if len(form[k]) > 1 {
			return in, oidc.ErrInvalidRequest().WithDescription("parameter %s must not be repeated", url.QueryEscape(k))
		}
	}
	switch {
	case form.Has("request"):
		return in, oidc.ErrRequestNotSupported()
	case form.Has("request_uri"):
		return in, oidc.ErrInvalidRequest().WithDescription("request_uri is not supported")
	case d.ResponseType != oidc.ResponseTypeCode:
		return in, &oidc.Error{ErrorType: "unsupported_response_type", Description: "only response_type=code is supported"}
	case d.ResponseMode != "" && d.ResponseMode != oidc.ResponseModeQuery:
		return in, oidc.ErrInvalidRequest().WithDescription("only response_mode=query is supported")
	case !slices.Contains(d.Scopes, oidc.ScopeOpenID):
		return in, oidc.ErrInvalidScope().WithDescription("scope must include openid")
	case d.State == "":
		return in, oidc.ErrInvalidRequest().WithDescription("state is required")
	case !opaqueValue.MatchString(d.State):
		return in, oidc.ErrInvalidRequest().WithDescription("state must be 16 to 512 URL-safe characters")
	case d.Nonce == "":
		return in, oidc.ErrInvalidRequest().WithDescription("nonce is required")
	case !opaqueValue.MatchString(d.Nonce):
		return in, oidc.ErrInvalidRequest().WithDescription("nonce must be 16 to 512 URL-safe characters")
	case !slices.Contains(d.ACRValues, acr):
		return in, oidc.ErrInvalidRequest().WithDescription("acr_values must include " + acr)
	case slices.Contains(d.Prompt, oidc.PromptNone):
		// The aidant always has to choose the usager and the démarche.
		return in, oidc.ErrInteractionRequired().WithDescription("an aidant must choose the usager and the demarche")
	case d.CodeChallenge != "" && d.CodeChallengeMethod != oidc.CodeChallengeMethodS256:
		// plain (also the default without a method) sends the verifier itself through the
		// browser: it protects nothing.
		return in, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	case d.CodeChallenge != "" && !pkceValue.MatchString(d.CodeChallenge):
		return in, oidc.ErrInvalidRequest().WithDescription("code_challenge must be 43 to 128 URL-safe characters")
	}
	rs, err := parseRepScope(form.Get("claims"), c)
	if err != nil {
		return in, err
	}
	if len(rs.Unknown) > 0 {
		slog.Warn("idp: rep_scope values that name no démarche, ignored", "client", c.ID, "values", quoted(rs.Unknown))
	}
	return store.IdPFlowInput{
		ClientID: c.ID, RedirectURI: d.RedirectURI, State: d.State, Nonce: d.Nonce, Scopes: d.Scopes,
		RepScopeRequested: rs.Requested, RepScope: rs.Keys, RepScopeSpelling: rs.Spelling, RepScopeUnmatched: rs.Unmatched(),
		CodeChallenge: d.CodeChallenge, CodeChallengeMethod: string(d.CodeChallengeMethod),
	}, nil
}

// quoted is values for a log line: Go-quoted (control characters escaped), at most ten.
func quoted(values []string) []string {
	out := make([]string, 0, min(len(values), 10))
	for _, v := range values[:min(len(values), 10)] {
		out = append(out, strconv.QuoteToASCII(v))
	}
	return out
}

func sortedKeys(v url.Values) []string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// repScope is what the claims parameter asks of rep_scope.
type repScope struct {
	Requested bool              // claims.id_token.rep_scope is present
	Keys      []string          // the démarches its values name, in the request's order, once each
	Spelling  map[string]string // each of Keys → the value that named it first, as spelt
	Unknown   []string          // values that name no démarche: ignored
}

// Unmatched is a rep_scope that names démarches, none of them ours.
func (rs repScope) Unmatched() bool { return len(rs.Keys) == 0 && len(rs.Unknown) > 0 }

// parseRepScope reads the claims parameter's id_token.rep_scope member
// ({"id_token":{"rep_scope":{"essential":true,"values":[…]}}}): whether it was requested,
// and the démarches its values name in the client's vocabulary (whatever their case and
// accents). A value that names none is set aside, not refused: FranceConnect passes on what
// the service asked, and one value we do not know should not fail the whole login. A
// malformed parameter is an error.
func parseRepScope(claims string, c *store.IdPClient) (repScope, *oidc.Error) {
	var rs repScope
	if claims == "" {
		return rs, nil
	}
	var p struct {
		IDToken map[string]json.RawMessage `json:"id_token"`
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(claims)))
	if err := dec.Decode(&p); err != nil || dec.More() {
		return rs, oidc.ErrInvalidRequest().WithDescription("claims is not a JSON object")
	}
	raw, ok := p.IDToken["rep_scope"]
	if !ok {
		return rs, nil
	}
	var req struct {
		Essential *bool    `json:"essential"`
		Value     *string  `json:"value"`
		Values    []string `json:"values"`
	}
	if !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		if err := json.Unmarshal(raw, &req); err != nil {
			return rs, oidc.ErrInvalidRequest().WithDescription("claims.id_token.rep_scope must be null or an object")
		}
	}
	values := req.Values
	if req.Value != nil {
		values = append(values, *req.Value)
	}
	rs = repScope{Requested: true, Keys: []string{}, Spelling: map[string]string{}}
	for _, v := range values {
		k, ok := c.DemarcheFor(v)
		switch {
		case !ok:
			rs.Unknown = append(rs.Unknown, v)
		case !slices.Contains(rs.Keys, k):
			rs.Keys = append(rs.Keys, k)
			rs.Spelling[k] = v
		}
	}
	return rs, nil
}
