package handlers_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/idp"
	"github.com/aidantsconnect/ac/store"
)

// The FranceConnect identity provider, tested from outside: a relying party that
// behaves like FranceConnect's core (openid-client as FC configures it for an FI: static
// endpoints with a trailing slash, client_secret_post, 64-hex state and nonce, prompt=login,
// acr_values=eidas1, a claims rep_scope request) talks to the real server over HTTP, while the
// aidant's browser goes through the real pages.

// fcRP is the relying party.
type fcRP struct {
	e           *apptest.Env
	id, secret  string
	redirectURI string
	alg, format string
}

const fcCallback = "https://fcp-low.integ01.dev-franceconnect.fr/api/v2/oidc-callback"
const fcLogoutCallback = "https://fcp-low.integ01.dev-franceconnect.fr/api/v2/client/logout-callback"

// fcClient registers a client through the store, as `ac client add` does.
func fcClient(t *testing.T, e *apptest.Env, id, alg, format string, vocabulary map[string]string) *fcRP {
	t.Helper()
	secret, err := idp.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.App.Store.CreateIdPClient(context.Background(), store.IdPClientInput{ID: id, Secret: secret,
		RedirectURIs: []string{fcCallback}, PostLogoutURIs: []string{fcLogoutCallback}, IDTokenAlg: alg, UserinfoFormat: format,
		RepScopeValues: vocabulary, Source: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	return &fcRP{e: e, id: id, secret: secret, redirectURI: fcCallback, alg: alg, format: format}
}

// authorizeParams are exactly what FranceConnect v2 sends an FI.
func (r *fcRP) authorizeParams(state, nonce string, repScope ...string) url.Values {
	q := url.Values{
		"response_type": {"code"}, "client_id": {r.id}, "redirect_uri": {r.redirectURI},
		"scope": {"openid profile email birth"}, "acr_values": {"eidas1"}, "state": {state}, "nonce": {nonce},
		"prompt": {"login"},
	}
	if repScope != nil {
		claims, _ := json.Marshal(map[string]any{"id_token": map[string]any{"rep_scope": map[string]any{"essential": true, "values": repScope}}})
		q.Set("claims", string(claims))
	}
	return q
}

func (r *fcRP) authorizeURL(q url.Values) string { return r.e.URL + "/authorize/?" + q.Encode() }

// token calls the token endpoint over HTTP with client_secret_post.
func (r *fcRP) token(t *testing.T, code string, tweak ...func(url.Values)) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {r.redirectURI},
		"client_id": {r.id}, "client_secret": {r.secret}}
	for _, f := range tweak {
		f(form)
	}
	resp, err := http.PostForm(r.e.URL+"/token/", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("token response: %v", err)
	}
	if resp.Header.Get("Cache-Control") != "no-store" && resp.StatusCode == http.StatusOK {
		t.Errorf("token response Cache-Control = %q", resp.Header.Get("Cache-Control"))
	}
	return resp.StatusCode, body
}

// userinfo calls /userinfo/ with the bearer token.
func (r *fcRP) userinfo(t *testing.T, authorization string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.e.URL+"/userinfo/", nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// fiWorld is an organisation with an aidant logged in and two usagers with mandats made
// through the FranceConnect simulator: Angela (identity 0: usage name, born in Paris) for
// famille and argent, Carlos (identity 3: born abroad) for papiers.
type fiWorld struct {
	e              *apptest.Env
	org            *store.Organisation
	aidant         *apptest.Person
	b              *apptest.Browser
	angela, carlos *store.Usager
}

func newFIWorld(t *testing.T, tweak ...func(*app.Config)) *fiWorld {
	t.Helper()
	e := apptest.Start(t, tweak...)
	w := &fiWorld{e: e, org: e.Org("Maison France Services")}
	w.aidant = e.Aidant("jean@example.fr", w.org, true)
	w.b = e.Login(w.aidant)
	w.angela = w.mandat(t, 0, "famille", "argent")
	w.carlos = w.mandat(t, 3, "papiers")
	return w
}

// mandat creates a mandat through the wizard and the simulator and returns its usager.
func (w *fiWorld) mandat(t *testing.T, identity int, demarches ...string) *store.Usager {
	t.Helper()
	auth := startMandat(t, w.b, mandatForm("LONG", demarches...))
	if r := callback(t, w.b, franceConnect(t, w.b, auth, "login", identity)); r.Status != http.StatusOK {
		t.Fatalf("recap: %d", r.Status)
	}
	r := w.b.Post(recapPath, url.Values{"personal_data": {"on"}, "otp_token": {w.e.Code(w.aidant)}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("sign: %d %s", r.Status, r.Body)
	}
	w.e.Clock.Advance(30 * time.Second) // the next code differs
	id := mandatIDIn(t, r.Location)
	m, err := w.e.App.Store.GetMandat(context.Background(), w.org.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return m.Usager
}

var flowID = regexp.MustCompile(`[?&]id=([A-Za-z0-9_-]+)`)

// startFI follows FranceConnect's redirect to step 1 and returns the flow id.
func startFI(t *testing.T, b *apptest.Browser, authURL string) string {
	t.Helper()
	r := b.Get(authURL)
	if r.Status != http.StatusFound || !strings.HasPrefix(r.Location, "/select_usager/?id=") {
		t.Fatalf("authorize: %d %q %s", r.Status, r.Location, r.Body)
	}
	step1 := b.Get(r.Location)
	if step1.Status != http.StatusOK || !strings.Contains(step1.Body, "Étape 1 sur 2") {
		t.Fatalf("step 1: %d %s", step1.Status, step1.Body)
	}
	return flowID.FindStringSubmatch(r.Location)[1]
}

// fiLogin walks the aidant from FranceConnect's authorize URL to the code sent back.
func fiLogin(t *testing.T, b *apptest.Browser, authURL string, u *store.Usager, demarche string) url.Values {
	t.Helper()
	id := startFI(t, b, authURL)
	r := b.Post("/select_usager/", url.Values{"id": {id}, "usager": {itoa(u.ID)}})
	if r.Status != http.StatusSeeOther || r.Location != "/select_demarche/?id="+id {
		t.Fatalf("usager choice: %d %q %s", r.Status, r.Location, r.Body)
	}
	if step2 := b.Get(r.Location); step2.Status != http.StatusOK || !strings.Contains(step2.Body, "Étape 2 sur 2") {
		t.Fatalf("step 2: %d %s", step2.Status, step2.Body)
	}
	return chooseDemarche(t, b, id, demarche)
}

func chooseDemarche(t *testing.T, b *apptest.Browser, id, demarche string) url.Values {
	t.Helper()
	r := b.Post("/select_demarche/", url.Values{"id": {id}, "demarche": {demarche}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, fcCallback+"?") {
		t.Fatalf("démarche choice: %d %q %s", r.Status, r.Location, r.Body)
	}
	u, _ := url.Parse(r.Location)
	return u.Query()
}

var (
	hex64     = regexp.MustCompile(`^[0-9a-f]{64}$`)
	isoDate   = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	cog       = regexp.MustCompile(`^[0-9][0-9AB][0-9]{3}$`)
	b64url    = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	allowedID = []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "at_hash", "rep_scope"}
)

// verify checks a JWS from the provider the way FranceConnect does: the client's algorithm, the
// secret for HS256 or the JWKS for ES256 and RS256, and returns its claims.
func (r *fcRP) verify(t *testing.T, compact string) map[string]any {
	t.Helper()
	jws, err := jose.ParseSigned(compact, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(r.alg)})
	if err != nil {
		t.Fatalf("JWS %q: %v", compact, err)
	}
	var key any = []byte(r.secret)
	if r.alg != store.AlgHS256 {
		kid := jws.Signatures[0].Header.KeyID
		set := r.jwks(t)
		keys := set.Key(kid)
		if kid == "" || len(keys) != 1 {
			t.Fatalf("kid %q not in the JWKS", kid)
		}
		key = keys[0].Key
	}
	payload, err := jws.Verify(key)
	if err != nil {
		t.Fatalf("signature: %v", err)
	}
	if typ, _ := jws.Signatures[0].Header.ExtraHeaders["typ"].(string); typ != "JWT" {
		t.Errorf("typ header = %q", typ)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func (r *fcRP) jwks(t *testing.T) jose.JSONWebKeySet {
	t.Helper()
	resp, err := http.Get(r.e.URL + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	for _, k := range set.Keys {
		if !k.IsPublic() {
			t.Fatalf("the JWKS publishes a private key: %s", k.KeyID)
		}
	}
	return set
}

func num(t *testing.T, claims map[string]any, name string) int64 {
	t.Helper()
	f, ok := claims[name].(float64)
	if !ok || f != float64(int64(f)) {
		t.Fatalf("%s = %#v, want an integer", name, claims[name])
	}
	return int64(f)
}

// checkIDToken validates every claim of the ID token, with the format FranceConnect checks.
func (r *fcRP) checkIDToken(t *testing.T, tok map[string]any, nonce string, repScope []string) map[string]any {
	t.Helper()
	if tok["token_type"] != "Bearer" || tok["refresh_token"] != nil {
		t.Errorf("token_type %v, refresh_token %v", tok["token_type"], tok["refresh_token"])
	}
	at, _ := tok["access_token"].(string)
	expiresIn := num(t, tok, "expires_in")
	if !b64url.MatchString(at) || len(at) < 43 || expiresIn < 60 || expiresIn > 300 {
		t.Fatalf("access_token %q, expires_in %d", at, expiresIn)
	}
	idt, _ := tok["id_token"].(string)
	claims := r.verify(t, idt)
	now := r.e.Clock.Now().Unix()
	iat, exp := num(t, claims, "iat"), num(t, claims, "exp")
	sum := sha256.Sum256([]byte(at))
	switch {
	case claims["iss"] != r.e.URL:
		t.Errorf("iss = %v, want %s", claims["iss"], r.e.URL)
	case !hex64.MatchString(claims["sub"].(string)):
		t.Errorf("sub = %v", claims["sub"])
	case claims["aud"] != r.id:
		t.Errorf("aud = %v", claims["aud"])
	case iat > now || iat < now-2:
		t.Errorf("iat = %d, now %d: never in the future", iat, now)
	case exp-iat != expiresIn:
		t.Errorf("exp - iat = %d, expires_in %d", exp-iat, expiresIn)
	case num(t, claims, "auth_time") > iat:
		t.Errorf("auth_time after iat")
	case claims["nonce"] != nonce:
		t.Errorf("nonce = %v", claims["nonce"])
	case claims["acr"] != "eidas1":
		t.Errorf("acr = %v", claims["acr"])
	case claims["at_hash"] != base64.RawURLEncoding.EncodeToString(sum[:16]):
		t.Errorf("at_hash = %v", claims["at_hash"])
	}
	for k := range claims {
		if !slices.Contains(allowedID, k) {
			t.Errorf("unexpected ID token claim %s", k)
		}
	}
	if repScope == nil {
		if _, ok := claims["rep_scope"]; ok {
			t.Errorf("rep_scope without a request: %v", claims["rep_scope"])
		}
	} else if got, _ := json.Marshal(claims["rep_scope"]); string(got) != mustJSON(repScope) {
		t.Errorf("rep_scope = %s, want %s (an array)", got, mustJSON(repScope))
	}
	return claims
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// checkIdentity validates the userinfo claims of a usager.
func checkIdentity(t *testing.T, claims map[string]any, sub string, u *store.Usager) {
	t.Helper()
	want := map[string]any{
		"sub": sub, "given_name": u.GivenName, "family_name": u.FamilyName, "birthdate": u.Birthdate.Format(time.DateOnly),
		"gender": u.Gender, "birthplace": u.Birthplace, "birthcountry": u.Birthcountry, "email": u.Email,
	}
	if u.PreferredUsername != "" {
		want["preferred_username"] = u.PreferredUsername
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("userinfo %s = %#v, want %#v", k, claims[k], v)
		}
	}
	for k := range claims {
		if _, ok := want[k]; !ok && !slices.Contains([]string{"iss", "aud", "iat", "exp"}, k) {
			t.Errorf("unexpected userinfo claim %s = %v", k, claims[k])
		}
	}
	bd, _ := claims["birthdate"].(string)
	bc, _ := claims["birthcountry"].(string)
	bp, isString := claims["birthplace"].(string)
	switch {
	case !isoDate.MatchString(bd):
		t.Errorf("birthdate %q", bd)
	case claims["gender"] != "female" && claims["gender"] != "male":
		t.Errorf("gender %v", claims["gender"])
	case !regexp.MustCompile(`^99[0-9]{3}$`).MatchString(bc):
		t.Errorf("birthcountry %q", bc)
	case !isString || (bc == "99100") != cog.MatchString(bp) || (bc != "99100" && bp != ""):
		t.Errorf("birthplace %#v for birthcountry %s", claims["birthplace"], bc)
	}
}

func useAutorisations(t *testing.T, e *apptest.Env, orgID int64) []store.JournalEntry {
	t.Helper()
	var out []store.JournalEntry
	for _, j := range e.Journal(orgID) {
		if j.Action == store.ActionUseAutorisation {
			out = append(out, j)
		}
	}
	return out
}
