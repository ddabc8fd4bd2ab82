package handlers_test

import (
	"context"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/store"
)

// TestFIWithZitadelRelyingParty runs the flow with zitadel's own relying party as
// FranceConnect (discovery, client_secret_post, ID token verified against our JWKS with
// nonce and acr checks, JSON userinfo). zitadel's RP verifies only asymmetric ID tokens and
// reads only JSON userinfo, so the HS256 and JWT variants are covered by TestFIEndToEnd's
// hand-written relying party, which mirrors FranceConnect's own checks.
func TestFIWithZitadelRelyingParty(t *testing.T) {
	t.Parallel()
	w := newFIWorld(t)
	fc := fcClient(t, w.e, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	state, nonce := apptest.RandomHex(t), apptest.RandomHex(t)
	ctx := context.Background()
	party, err := rp.NewRelyingPartyOIDC(ctx, w.e.URL, fc.id, fc.secret, fcCallback, []string{"openid", "profile", "email", "birth"},
		rp.WithVerifierOpts(rp.WithNonce(func(context.Context) string { return nonce }), rp.WithACRVerifier(oidc.DefaultACRVerifier([]string{"eidas1"})),
			// zitadel's verifier reads the wall clock: its offset makes it see the test clock.
			rp.WithIssuedAtOffset(w.e.Clock.Offset()+time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	param := func(k, v string) rp.AuthURLOpt { return rp.AuthURLOpt(rp.WithURLParam(k, v)) }
	authURL := rp.AuthURL(state, party, param("nonce", nonce), rp.WithPrompt("login"), param("acr_values", "eidas1"),
		param("claims", `{"id_token":{"rep_scope":{"essential":true,"values":["famille"]}}}`))
	cb := fiLogin(t, w.b, authURL, w.angela, "famille")
	if cb.Get("state") != state {
		t.Fatalf("callback %v", cb)
	}
	tokens, err := rp.CodeExchange[*oidc.IDTokenClaims](ctx, cb.Get("code"), party)
	if err != nil {
		t.Fatalf("zitadel's code exchange and ID token verification: %v", err)
	}
	claims := tokens.IDTokenClaims
	if claims.Nonce != nonce || claims.AuthenticationContextClassReference != "eidas1" || claims.Issuer != w.e.URL || claims.Subject == "" {
		t.Fatalf("ID token claims %+v", claims)
	}
	if rs, ok := claims.Claims["rep_scope"].([]any); !ok || len(rs) != 1 || rs[0] != "famille" {
		t.Fatalf("rep_scope %v", claims.Claims["rep_scope"])
	}
	info, err := rp.Userinfo[*oidc.UserInfo](ctx, tokens.AccessToken, tokens.TokenType, claims.Subject, party)
	if err != nil {
		t.Fatalf("zitadel's userinfo: %v", err)
	}
	if info.GivenName != w.angela.GivenName || info.FamilyName != w.angela.FamilyName || info.Birthdate != w.angela.Birthdate.Format("2006-01-02") ||
		string(info.Gender) != w.angela.Gender || info.Email != w.angela.Email || info.PreferredUsername != w.angela.PreferredUsername {
		t.Fatalf("userinfo %+v for %+v", info, w.angela)
	}
	if info.Claims["birthplace"] != w.angela.Birthplace || info.Claims["birthcountry"] != "99100" {
		t.Fatalf("birth claims %v", info.Claims)
	}
}
