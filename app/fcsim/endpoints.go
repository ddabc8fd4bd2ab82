package fcsim

import (
	"net/http"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/crypto"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// userinfo answers like FC v2: a JWT signed with the ID token's key (application/jwt), holding
// iss aud sub iat exp and the claims of the granted scopes.
func (s *Simulator) userinfo(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	at, valid := s.st.validToken(strings.TrimSpace(token))
	person, known := identityBySub(at.subject)
	if !ok || !valid || !known {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		http.Error(w, "invalid_token", http.StatusUnauthorized)
		return
	}
	values := map[string]string{
		"given_name": person.GivenName, "family_name": person.FamilyName, "birthdate": person.Birthdate,
		"gender": person.Gender, "birthplace": person.Birthplace, "birthcountry": person.Birthcountry,
		"email": person.Email, "preferred_username": person.PreferredUsername,
	}
	now := s.now()
	claims := map[string]any{"iss": s.issuer, "aud": at.clientID, "sub": at.subject,
		"iat": now.Unix(), "exp": now.Add(tokenTTL).Unix()}
	released := scopeClaims()
	for _, scope := range at.scopes {
		for _, name := range released[scope] {
			v, isIdentity := values[name]
			// FC omits an empty usage name but sends birthplace "" for people born abroad.
			if !isIdentity || (name == "preferred_username" && v == "") {
				continue
			}
			claims[name] = v
		}
	}
	jwt, err := crypto.Sign(claims, s.signer)
	if err != nil {
		op.WriteError(w, r, oidc.ErrServerError().WithParent(err), nil)
		return
	}
	w.Header().Set("Content-Type", "application/jwt")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(jwt))
}

// endSession is FC's logout: it checks id_token_hint and that post_logout_redirect_uri is one the
// client registered, then sends the browser there with state. Errors get a page, never a redirect.
func (s *Simulator) endSession(w http.ResponseWriter, r *http.Request) {
	bad := func() {
		s.errorPage(w, http.StatusBadRequest, "Déconnexion impossible",
			"La demande de déconnexion est invalide : l'adresse de retour n'est pas enregistrée pour ce service, ou le jeton fourni n'est pas valable.")
	}
	req, err := op.ParseEndSessionRequest(r, s.provider.Decoder())
	if err != nil || req.IdTokenHint == "" || req.PostLogoutRedirectURI == "" {
		bad()
		return
	}
	session, err := op.ValidateEndSessionRequest(r.Context(), req, s.provider)
	if err != nil {
		bad()
		return
	}
	http.Redirect(w, r, session.RedirectURI, http.StatusFound)
}
