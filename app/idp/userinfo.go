package idp

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/aidantsconnect/ac/store"
)

// userinfo answers the usager's identity for a live access token: JSON by default, or a JWT
// signed with the client's algorithm (application/jwt) for clients that want one. The first
// call of each token journals use_autorisation. zitadel's UserInfo cannot answer a JWT.
func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	token, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		unauthorized(w, "invalid_token", "a valid bearer token is required")
		return
	}
	g, err := p.st.UseIdPToken(r.Context(), token)
	if errors.Is(err, store.ErrNotFound) {
		unauthorized(w, "invalid_token", "the access token is unknown, expired or revoked")
		return
	}
	if err != nil {
		serverError(w, r, err)
		return
	}
	asJWT := g.Flow.Client.UserinfoFormat == store.UserinfoJWT
	claims := p.userinfoClaims(g, asJWT)
	if !asJWT {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(claims)
		return
	}
	jwt, err := p.sign(r.Context(), g.Flow.Client, claims)
	if err != nil {
		serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/jwt")
	_, _ = w.Write([]byte(jwt))
}

// bearer reads an RFC 6750 Authorization header: "Bearer" and one token of b64token characters.
func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || len(token) > 512 {
		return "", false
	}
	for _, c := range token {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~+/=", c)) {
			return "", false
		}
	}
	return token, true
}

func unauthorized(w http.ResponseWriter, code, description string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="`+code+`", error_description="`+description+`"`)
	writeJSONError(w, http.StatusUnauthorized, code, description)
}

func serverError(w http.ResponseWriter, r *http.Request, err error) {
	slog.ErrorContext(r.Context(), "idp userinfo", "err", err)
	writeJSONError(w, http.StatusInternalServerError, "server_error", "the server could not answer")
}

func writeJSONError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}
