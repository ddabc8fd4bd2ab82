package fcsim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/go-jose/go-jose/v4"

	"github.com/aidantsconnect/ac/app/fcsim"
)

// The login page is screened by axe-core in the browser tests; here, the structure they rely on.
func TestLoginPage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	form, _, _ := h.openLogin(t)
	doc := form.doc
	if lang, _ := doc.Find("html").Attr("lang"); lang != "fr" {
		t.Errorf("html lang %q, want fr", lang)
	}
	if doc.Find("main").Length() != 1 || strings.TrimSpace(doc.Find("main h1").Text()) != "Choix de l'identité" {
		t.Errorf("want one main with the h1 \"Choix de l'identité\"")
	}
	if !strings.Contains(doc.Find("header").Text(), "FranceConnect") || !strings.Contains(doc.Find("header").Text(), "simulateur") {
		t.Errorf("the header does not say this is FranceConnect's simulator: %q", doc.Find("header").Text())
	}
	if doc.Find(`link[rel=stylesheet][href^="/static/"]`).Length() != 2 {
		t.Error("the page is not styled with the app's own DSFR files")
	}
	if strings.TrimSpace(doc.Find("title").Text()) == "" {
		t.Error("no title")
	}
	if doc.Find("form fieldset legend").Length() != 1 {
		t.Error("radio buttons are not grouped in a fieldset with a legend")
	}
	if n := doc.Find("script, style, [style]").Length(); n != 0 {
		t.Errorf("%d inline script/style elements or attributes: the CSP forbids them", n)
	}
	if got := form.action; got != h.issuer+"/login" {
		t.Errorf("form posts to %s, want the simulator's own %s", got, h.issuer+"/login")
	}
	if form.fields.Get("id") == "" || len(form.fields.Get("csrf_token")) < 40 {
		t.Errorf("hidden fields %v, want the auth request id and a random token", form.fields)
	}
	people := fcsim.Identities()
	radios := doc.Find(`fieldset input[type=radio][name=identity]`)
	if radios.Length() != len(people) {
		t.Fatalf("%d radio buttons, want %d", radios.Length(), len(people))
	}
	wantLabels := []string{
		"Angela Claire Louise Dubois, nom d'usage Martin — née le 24 août 1962 à Paris 7e Arrondissement (75107)",
		"Marie Thérèse Moreau — née le 2 novembre 1948 à Bordeaux (33063)",
		"Léa Lefèvre-Nguyen — née le 30 juin 1991 à Marseille (13055)",
		"Carlos García López — né le 17 janvier 1979 en Espagne (99134)",
		"Jean-Pierre Bernard — né le 9 avril 1955 à Lille (59350)",
		"Profil Incomplet (erreur attendue) — née le 1er janvier 1970 en France (99100)",
		"Nadia Khalil (avec des caractères de contrôle invisibles) — née le 12 mars 1985 à Lyon (69123)",
	}
	for n := range people {
		id := fmt.Sprintf("identity-%d", n)
		radio := doc.Find("#" + id)
		if v, _ := radio.Attr("value"); radio.Length() != 1 || v != fmt.Sprint(n) {
			t.Errorf("no radio #%s with value %d", id, n)
		}
		if got := strings.TrimSpace(doc.Find(`label[for="` + id + `"]`).Text()); got != wantLabels[n] {
			t.Errorf("label for %s = %q, want %q", id, got, wantLabels[n])
		}
	}
	buttons := map[string]string{}
	doc.Find("form button[type=submit]").Each(func(_ int, b *goquery.Selection) {
		buttons[strings.TrimSpace(b.Text())] = b.AttrOr("value", "")
	})
	if buttons["Se connecter"] != "login" || buttons["Annuler"] != "cancel" {
		t.Errorf("submit buttons %v, want Se connecter=login and Annuler=cancel", buttons)
	}
	// Validation is the server's, in French (TestLoginWithoutChoice): no `required`, whose
	// message the browser would give in its own language.
	if n := doc.Find("[required]").Length(); n != 0 {
		t.Errorf("%d required fields: the browser's own validation message would show", n)
	}
}

func TestLoginPageUnknownRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	resp, body := h.get(t, h.issuer+"/login?id=nope")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Demande de connexion inconnue ou expirée") {
		t.Fatalf("status %d, body:\n%s", resp.StatusCode, body)
	}
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	resp, body := h.get(t, h.issuer+"/.well-known/openid-configuration")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"issuer": h.issuer, "authorization_endpoint": h.issuer + "/authorize", "token_endpoint": h.issuer + "/token",
		"userinfo_endpoint": h.issuer + "/userinfo", "end_session_endpoint": h.issuer + "/session/end", "jwks_uri": h.issuer + "/jwks",
	} {
		if d[k] != want {
			t.Errorf("%s = %v, want %s", k, d[k], want)
		}
	}
}

// What FC v2's userinfo looks like on the wire, and the revocation a code replay triggers.
func TestUserinfoAndReplayRevocation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	code, _ := h.login(t, 3) // born abroad, no usage name
	exchange := func() (*http.Response, map[string]any) {
		resp, body := h.postForm(t, h.issuer+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"redirect_uri": {h.redirect}, "client_id": {clientID}, "client_secret": {clientSecret}})
		var tok map[string]any
		if err := json.Unmarshal([]byte(body), &tok); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		return resp, tok
	}
	resp, tok := exchange()
	if resp.StatusCode != http.StatusOK || tok["token_type"] != "Bearer" || tok["expires_in"] != float64(60) {
		t.Fatalf("token response %d %v", resp.StatusCode, tok)
	}
	at := tok["access_token"].(string)
	userinfo := func() (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodGet, h.issuer+"/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+at)
		resp, err := h.browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp, readBody(t, resp)
	}
	resp, body := userinfo()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/jwt" {
		t.Fatalf("userinfo: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	jws, err := jose.ParseSigned(body, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &claims); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"iss": h.issuer, "aud": clientID, "sub": fcsim.Identities()[3].Sub, "birthplace": "", "birthcountry": "99134",
		"given_name": "Carlos", "family_name": "García López", "gender": "male", "birthdate": "1979-01-17",
		"email": "carlos.garcia-lopez@example.com",
	} {
		if claims[k] != want {
			t.Errorf("userinfo %s = %#v, want %#v", k, claims[k], want)
		}
	}
	if _, ok := claims["preferred_username"]; ok {
		t.Error("an empty preferred_username must be omitted")
	}
	if claims["iat"] == nil || claims["exp"] == nil {
		t.Error("userinfo JWT lacks iat or exp")
	}

	if resp, tok := exchange(); resp.StatusCode != http.StatusBadRequest || tok["error"] != "invalid_grant" {
		t.Fatalf("replay: %d %v, want 400 invalid_grant", resp.StatusCode, tok)
	}
	resp, _ = userinfo()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "invalid_token") {
		t.Fatalf("userinfo after replay: %d, want 401 invalid_token", resp.StatusCode)
	}
}
