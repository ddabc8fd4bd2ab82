package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/aidantsconnect/ac/app/idp"
	"github.com/aidantsconnect/ac/store"
)

// The FranceConnect identity provider (issue 4), tested from outside: a relying party that
// behaves like FranceConnect's core (openid-client as FC configures it for an FI: static
// endpoints with a trailing slash, client_secret_post, 64-hex state and nonce, prompt=login,
// acr_values=eidas1, a claims rep_scope request) talks to the real server over HTTP, while the
// aidant's browser goes through the real pages.

// fcRP is the relying party.
type fcRP struct {
	e           *env
	id, secret  string
	redirectURI string
	alg, format string
}

const fcCallback = "https://fcp-low.integ01.dev-franceconnect.fr/api/v2/oidc-callback"
const fcLogoutCallback = "https://fcp-low.integ01.dev-franceconnect.fr/api/v2/client/logout-callback"

// fcClient registers a client through the store, as `ac client add` does.
func (e *env) fcClient(t *testing.T, id, alg, format string, vocabulary map[string]string) *fcRP {
	t.Helper()
	secret, err := idp.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.app.Store.CreateIdPClient(context.Background(), store.IdPClientInput{ID: id, Secret: secret,
		RedirectURIs: []string{fcCallback}, PostLogoutURIs: []string{fcLogoutCallback}, IDTokenAlg: alg, UserinfoFormat: format,
		RepScopeValues: vocabulary, Source: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	return &fcRP{e: e, id: id, secret: secret, redirectURI: fcCallback, alg: alg, format: format}
}

func randomHex(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
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

func (r *fcRP) authorizeURL(q url.Values) string { return r.e.base + "/authorize/?" + q.Encode() }

// token calls the token endpoint over HTTP with client_secret_post.
func (r *fcRP) token(t *testing.T, code string, tweak ...func(url.Values)) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {r.redirectURI},
		"client_id": {r.id}, "client_secret": {r.secret}}
	for _, f := range tweak {
		f(form)
	}
	resp, err := http.PostForm(r.e.base+"/token/", form)
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
	req, _ := http.NewRequest(http.MethodGet, r.e.base+"/userinfo/", nil)
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
	e              *env
	org            *store.Organisation
	aidant         *person
	b              *browser
	angela, carlos *store.Usager
}

func newFIWorld(t *testing.T, tweak ...func(*Config)) *fiWorld {
	t.Helper()
	e := newEnv(t, tweak...)
	w := &fiWorld{e: e, org: e.org("Maison France Services")}
	w.aidant = e.aidant("jean@example.fr", w.org, true)
	w.b = e.login(w.aidant)
	w.angela = w.mandat(t, 0, "famille", "argent")
	w.carlos = w.mandat(t, 3, "papiers")
	return w
}

// mandat creates a mandat through the wizard and the simulator and returns its usager.
func (w *fiWorld) mandat(t *testing.T, identity int, demarches ...string) *store.Usager {
	t.Helper()
	auth := w.b.startMandat(t, mandatForm("LONG", demarches...))
	if r := w.b.callback(t, w.b.franceConnect(t, auth, "login", identity)); r.status != http.StatusOK {
		t.Fatalf("recap: %d", r.status)
	}
	r := w.b.post(recapPath, url.Values{"personal_data": {"on"}, "otp_token": {w.e.code(w.aidant)}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("sign: %d %s", r.status, r.body)
	}
	w.e.clock.Advance(30 * time.Second) // the next code differs
	id := mustInt(t, strings.Split(strings.TrimPrefix(r.location, "/espace-aidant/mandats/"), "/")[0])
	m, err := w.e.app.Store.GetMandat(context.Background(), w.org.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return m.Usager
}

// clone is another tab of the same session, for a subtest of its own.
func (b *browser) clone(t *testing.T) *browser {
	e := *b.e
	e.t = t
	jar := map[string]string{}
	for k, v := range b.jar {
		jar[k] = v
	}
	return &browser{e: &e, jar: jar}
}

var flowID = regexp.MustCompile(`[?&]id=([A-Za-z0-9_-]+)`)

// startFI follows FranceConnect's redirect to step 1 and returns the flow id.
func (b *browser) startFI(t *testing.T, authURL string) string {
	t.Helper()
	r := b.get(authURL)
	if r.status != http.StatusFound || !strings.HasPrefix(r.location, "/select_usager/?id=") {
		t.Fatalf("authorize: %d %q %s", r.status, r.location, r.body)
	}
	step1 := b.get(r.location)
	if step1.status != http.StatusOK || !strings.Contains(step1.body, "Étape 1 sur 2") {
		t.Fatalf("step 1: %d %s", step1.status, step1.body)
	}
	return flowID.FindStringSubmatch(r.location)[1]
}

// fiLogin walks the aidant from FranceConnect's authorize URL to the code sent back.
func (b *browser) fiLogin(t *testing.T, authURL string, u *store.Usager, demarche string) url.Values {
	t.Helper()
	id := b.startFI(t, authURL)
	r := b.post("/select_usager/", url.Values{"id": {id}, "usager": {strconvFormat(u.ID)}})
	if r.status != http.StatusSeeOther || r.location != "/select_demarche/?id="+id {
		t.Fatalf("usager choice: %d %q %s", r.status, r.location, r.body)
	}
	if step2 := b.get(r.location); step2.status != http.StatusOK || !strings.Contains(step2.body, "Étape 2 sur 2") {
		t.Fatalf("step 2: %d %s", step2.status, step2.body)
	}
	return b.chooseDemarche(t, id, demarche)
}

func (b *browser) chooseDemarche(t *testing.T, id, demarche string) url.Values {
	t.Helper()
	r := b.post("/select_demarche/", url.Values{"id": {id}, "demarche": {demarche}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, fcCallback+"?") {
		t.Fatalf("démarche choice: %d %q %s", r.status, r.location, r.body)
	}
	u, _ := url.Parse(r.location)
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
	resp, err := http.Get(r.e.base + "/jwks")
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
	now := r.e.clock.Now().Unix()
	iat, exp := num(t, claims, "iat"), num(t, claims, "exp")
	sum := sha256.Sum256([]byte(at))
	switch {
	case claims["iss"] != r.e.base:
		t.Errorf("iss = %v, want %s", claims["iss"], r.e.base)
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

func useAutorisations(t *testing.T, e *env, orgID int64) []store.JournalEntry {
	t.Helper()
	var out []store.JournalEntry
	for _, j := range e.journal(orgID) {
		if j.Action == store.ActionUseAutorisation {
			out = append(out, j)
		}
	}
	return out
}

func TestFIEndToEnd(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, alg, format string
		vocabulary        map[string]string
		repScope          []string // what FC asks
		usager            func(w *fiWorld) *store.Usager
		demarche          string
		want              []string // rep_scope in the ID token
	}{
		{"ES256 ID token, JSON userinfo", store.AlgES256, store.UserinfoJSON, nil,
			[]string{"famille", "papiers"}, func(w *fiWorld) *store.Usager { return w.angela }, "famille", []string{"famille"}},
		{"HS256 ID token, JWT userinfo, FC's labels, born abroad", store.AlgHS256, store.UserinfoJWT, store.RepScopeLabels(),
			[]string{"Papiers-Citoyenneté-Élections"}, func(w *fiWorld) *store.Usager { return w.carlos }, "papiers",
			[]string{"Papiers-Citoyenneté-Élections"}},
		{"RS256 ID token, RS256 userinfo, no rep_scope asked", store.AlgRS256, store.UserinfoJWT, nil,
			nil, func(w *fiWorld) *store.Usager { return w.angela }, "argent", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newFIWorld(t)
			rp := w.e.fcClient(t, "franceconnect", tc.alg, tc.format, tc.vocabulary)
			state, nonce := randomHex(t), randomHex(t)
			u := tc.usager(w)
			cb := w.b.fiLogin(t, rp.authorizeURL(rp.authorizeParams(state, nonce, tc.repScope...)), u, tc.demarche)
			if cb.Get("state") != state || len(cb) != 2 || !b64url.MatchString(cb.Get("code")) {
				t.Fatalf("callback %v", cb)
			}
			status, tok := rp.token(t, cb.Get("code"))
			if status != http.StatusOK {
				t.Fatalf("token: %d %v", status, tok)
			}
			claims := rp.checkIDToken(t, tok, nonce, tc.want)
			sub := claims["sub"].(string)
			if sub != w.e.app.Store.IdPSubject(rp.id, u.Sub) || sub == u.Sub {
				t.Errorf("sub %s is not the usager's pairwise subject", sub)
			}
			for i := 0; i < 2; i++ { // FC may call twice; the journal counts one use
				resp, body := rp.userinfo(t, "Bearer "+tok["access_token"].(string))
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("userinfo: %d %s", resp.StatusCode, body)
				}
				var info map[string]any
				if tc.format == store.UserinfoJWT {
					if ct := resp.Header.Get("Content-Type"); ct != "application/jwt" {
						t.Fatalf("userinfo Content-Type %q", ct)
					}
					info = rp.verify(t, string(body))
					if info["iss"] != w.e.base || info["aud"] != rp.id || num(t, info, "iat") > w.e.clock.Now().Unix() {
						t.Errorf("userinfo JWT iss %v aud %v iat %v", info["iss"], info["aud"], info["iat"])
					}
				} else {
					if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
						t.Fatalf("userinfo Content-Type %q", ct)
					}
					if err := json.Unmarshal(body, &info); err != nil {
						t.Fatal(err)
					}
					if _, ok := info["iss"]; ok {
						t.Error("JSON userinfo with iss")
					}
				}
				checkIdentity(t, info, sub, u)
			}
			uses := useAutorisations(t, w.e, w.org.ID)
			if len(uses) != 1 {
				t.Fatalf("use_autorisation journaled %d times, want once per token", len(uses))
			}
			j := uses[0]
			atHash := sha256.Sum256([]byte(tok["access_token"].(string)))
			if j.Demarche != tc.demarche || j.AutorisationID == nil || j.MandatID == nil || *j.UsagerID != u.ID ||
				*j.AidantID != w.aidant.aidant.ID || j.AccessTokenHash != hex.EncodeToString(atHash[:]) {
				t.Errorf("use_autorisation %+v", j)
			}
			au := new(store.Autorisation)
			if err := w.e.app.DB.NewSelect().Model(au).Where("id = ?", *j.AutorisationID).Scan(context.Background()); err != nil ||
				au.Demarche != tc.demarche || au.MandatID != *j.MandatID {
				t.Errorf("journaled autorisation %+v (%v)", au, err)
			}
			if rep, err := w.e.app.Store.VerifyJournal(context.Background()); err != nil || rep.BrokenID != 0 {
				t.Errorf("journal chain: %+v %v", rep, err)
			}
		})
	}
}

func TestFIDiscoveryAndJWKS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp, err := http.Get(e.base + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"issuer": e.base, "authorization_endpoint": e.base + "/authorize",
		"token_endpoint": e.base + "/token", "userinfo_endpoint": e.base + "/userinfo", "end_session_endpoint": e.base + "/logout",
		"jwks_uri": e.base + "/jwks"} {
		if d[k] != v {
			t.Errorf("%s = %v, want %s", k, d[k], v)
		}
	}
	for k, v := range map[string]string{"response_types_supported": `["code"]`, "grant_types_supported": `["authorization_code"]`,
		"acr_values_supported": `["eidas1"]`, "id_token_signing_alg_values_supported": `["ES256","RS256","HS256"]`,
		"token_endpoint_auth_methods_supported": `["client_secret_post"]`, "claims_parameter_supported": `true`} {
		if got := mustJSON(d[k]); got != v {
			t.Errorf("%s = %s, want %s", k, got, v)
		}
	}
	set := (&fcRP{e: e}).jwks(t)
	if len(set.Keys) != 1 || set.Keys[0].Algorithm != "ES256" || set.Keys[0].Use != "sig" || set.Keys[0].KeyID == "" {
		t.Fatalf("JWKS %+v", set.Keys)
	}
	var stored []byte
	if err := e.app.DB.NewSelect().Table("idp_signing_keys").Column("private_enc").Limit(1).Scan(context.Background(), &stored); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(stored), "PRIVATE") || len(stored) < 100 {
		t.Fatal("the private key is not sealed at rest")
	}
}

func strconvItoa(n int) string { return strconv.Itoa(n) }

// authorizeError follows FranceConnect's authorize URL and expects an OIDC error sent back to
// the client's redirect URI.
func authorizeError(t *testing.T, b *browser, authURL string) url.Values {
	t.Helper()
	r := b.get(authURL)
	if r.status != http.StatusFound || !(strings.HasPrefix(r.location, fcCallback+"?") || strings.HasPrefix(r.location, fcCallback+"#")) {
		t.Fatalf("want an error redirect to the client; got %d %q %s", r.status, r.location, r.body)
	}
	u, _ := url.Parse(r.location)
	if u.Fragment != "" { // implicit response types get their errors in the fragment
		q, _ := url.ParseQuery(u.Fragment)
		return q
	}
	return u.Query()
}

// TestFIAuthorizeRefusals is the negative suite of /authorize, one case each, on one world.
func TestFIAuthorizeRefusals(t *testing.T) {
	t.Parallel()
	w := newFIWorld(t)
	rp := w.e.fcClient(t, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	state, nonce := randomHex(t), randomHex(t)
	params := func(f func(q url.Values)) string {
		q := rp.authorizeParams(state, nonce, "famille")
		f(q)
		return rp.authorizeURL(q)
	}
	// The client or the redirect URI cannot be trusted: a page here, never a redirect.
	local := []struct {
		name string
		q    func(url.Values)
	}{
		{"unknown client", func(q url.Values) { q.Set("client_id", "not-franceconnect") }},
		{"missing client_id", func(q url.Values) { q.Del("client_id") }},
		{"wrong redirect_uri", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/callback") }},
		{"redirect_uri differing by a trailing slash", func(q url.Values) { q.Set("redirect_uri", fcCallback+"/") }},
		{"missing redirect_uri", func(q url.Values) { q.Del("redirect_uri") }},
		{"duplicated redirect_uri", func(q url.Values) { q.Add("redirect_uri", fcCallback) }},
		{"duplicated client_id", func(q url.Values) { q.Add("client_id", "franceconnect") }},
	}
	for _, tc := range local {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := w.b.clone(t).get(params(tc.q))
			if r.status != http.StatusBadRequest || r.location != "" || !strings.Contains(r.body, "Demande de connexion invalide") {
				t.Fatalf("want the local error page; got %d %q", r.status, r.location)
			}
		})
	}
	// Everything else goes back to the client, OIDC style, with its state.
	redirected := []struct {
		name, err string
		q         func(url.Values)
	}{
		{"missing state", "invalid_request", func(q url.Values) { q.Del("state") }},
		{"malformed state", "invalid_request", func(q url.Values) { q.Set("state", "état <script>") }},
		{"state too short", "invalid_request", func(q url.Values) { q.Set("state", "abc") }},
		{"missing nonce", "invalid_request", func(q url.Values) { q.Del("nonce") }},
		{"malformed nonce", "invalid_request", func(q url.Values) { q.Set("nonce", strings.Repeat("n ", 20)) }},
		{"missing acr_values", "invalid_request", func(q url.Values) { q.Del("acr_values") }},
		{"acr_values other than eidas1", "invalid_request", func(q url.Values) { q.Set("acr_values", "eidas2") }},
		{"missing response_type", "invalid_request", func(q url.Values) { q.Del("response_type") }},
		{"implicit flow", "unauthorized_client", func(q url.Values) { q.Set("response_type", "id_token token") }},
		{"missing scope", "invalid_request", func(q url.Values) { q.Del("scope") }},
		{"scope without openid", "invalid_scope", func(q url.Values) { q.Set("scope", "profile email birth") }},
		{"duplicated state", "invalid_request", func(q url.Values) { q.Add("state", randomHex(t)) }},
		{"duplicated scope", "invalid_request", func(q url.Values) { q.Add("scope", "openid") }},
		{"prompt=none", "interaction_required", func(q url.Values) { q.Set("prompt", "none") }},
		{"response_mode=fragment", "invalid_request", func(q url.Values) { q.Set("response_mode", "fragment") }},
		{"request object", "request_not_supported", func(q url.Values) { q.Set("request", "eyJhbGciOiJub25lIn0.e30.") }},
		{"claims not JSON", "invalid_request", func(q url.Values) { q.Set("claims", "{rep_scope") }},
		{"unknown rep_scope value", "invalid_request", func(q url.Values) {
			q.Set("claims", `{"id_token":{"rep_scope":{"essential":true,"values":["Famille-Scolarité"]}}}`) // labels: not this client's vocabulary
		}},
	}
	for _, tc := range redirected {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := authorizeError(t, w.b.clone(t), params(tc.q))
			wantState := state
			if strings.Contains(tc.name, "state") && tc.name != "missing state" {
				wantState = "" // a malformed state is never reflected
			}
			if tc.name == "missing state" || tc.name == "duplicated state" {
				wantState = got.Get("state") // whatever zitadel kept, but only one
			}
			if got.Get("error") != tc.err || got.Get("state") != wantState || len(got["state"]) > 1 || got.Get("code") != "" {
				t.Fatalf("callback %v, want error=%s state=%q", got, tc.err, wantState)
			}
		})
	}
	t.Run("unknown parameters are ignored", func(t *testing.T) {
		t.Parallel()
		b := w.b.clone(t)
		b.startFI(t, params(func(q url.Values) { q.Set("idp_hint", "x"); q.Set("ui_locales", "fr") }))
	})
	t.Cleanup(func() { // after the parallel subtests
		if n := w.e.count("idp_flows"); n != 1 {
			t.Errorf("%d flows recorded, want only the accepted one", n)
		}
	})
}

var csrfFieldRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// TestFIPages covers the aidant's two steps: search, lists, forged posts, cancel, ownership.
func TestFIPages(t *testing.T) {
	t.Parallel()
	w := newFIWorld(t)
	rp := w.e.fcClient(t, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	// A colleague in the same organisation, and a stranger with a mandat of their own elsewhere.
	colleague := w.e.login(w.e.aidant("colleague@example.fr", w.org, true))
	elsewhere := &fiWorld{e: w.e, org: w.e.org("CCAS")}
	elsewhere.aidant = w.e.aidant("stranger@example.fr", elsewhere.org, true)
	elsewhere.b = w.e.login(elsewhere.aidant)
	marie := elsewhere.mandat(t, 1, "famille")
	start := func(t *testing.T, b *browser, repScope ...string) string {
		return b.startFI(t, rp.authorizeURL(rp.authorizeParams(randomHex(t), randomHex(t), repScope...)))
	}

	t.Run("step 1 lists the usagers with a mandat for the démarche asked", func(t *testing.T) {
		t.Parallel()
		b := w.b.clone(t)
		id := start(t, b, "famille")
		r := b.get("/select_usager/?id=" + id)
		if !strings.Contains(r.body, "Angela Claire Louise MARTIN") || strings.Contains(r.body, "Carlos") || strings.Contains(r.body, "Marie") {
			t.Fatalf("step 1 list: %s", r.body)
		}
		if !strings.Contains(r.body, "« Famille - Scolarité »") || !strings.Contains(r.body, `hx-get="/select_usager/resultats/"`) {
			t.Error("step 1 lacks the démarche asked or the live search")
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://fcp-low.integ01.dev-franceconnect.fr;") {
			t.Errorf("CSP %q: the cancel form cannot reach the client", csp)
		}
		all := b.get("/select_usager/?id=" + id[:10]) // a wrong id
		if all.status != http.StatusNotFound {
			t.Errorf("unknown flow: %d", all.status)
		}
	})
	t.Run("search ignores case and accents, needs 2 characters", func(t *testing.T) {
		t.Parallel()
		b := w.b.clone(t)
		id := start(t, b)
		for q, want := range map[string]string{"garcia": "Carlos GARCÍA LÓPEZ", "GARCÍA lópez": "Carlos GARCÍA LÓPEZ",
			"angela martin": "Angela Claire Louise MARTIN", "dubois": "Angela Claire Louise MARTIN", "x": "au moins 2 caractères",
			"dupont": "Aucune personne ne correspond", "marie": "Aucune personne ne correspond"} {
			r := b.get("/select_usager/resultats/?" + url.Values{"id": {id}, "q": {q}}.Encode())
			if r.status != http.StatusOK || !strings.Contains(r.body, want) || strings.Contains(r.body, "<html") ||
				!strings.Contains(r.body, `hx-swap-oob="innerHTML"`) {
				t.Errorf("search %q: %d, %q missing: %s", q, r.status, want, r.body)
			}
		}
		full := b.get("/select_usager/?" + url.Values{"id": {id}, "q": {"lopez"}}.Encode()) // without JavaScript
		if full.status != http.StatusOK || !strings.Contains(full.body, "<html") || !strings.Contains(full.body, "Carlos") || strings.Contains(full.body, "Angela") {
			t.Errorf("search page without JS: %d", full.status)
		}
	})
	t.Run("usager without active mandat posted by hand", func(t *testing.T) {
		t.Parallel()
		b := w.b.clone(t)
		id := start(t, b, "famille")
		for _, u := range []string{strconvFormat(w.carlos.ID), strconvFormat(marie.ID), "999999", "abc"} {
			r := b.post("/select_usager/", url.Values{"id": {id}, "usager": {u}})
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "pas de mandat actif") {
				t.Errorf("usager %s: %d", u, r.status)
			}
		}
		if r := b.get("/select_demarche/?id=" + id); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/select_usager/") {
			t.Errorf("step 2 without a usager: %d %q", r.status, r.location)
		}
	})
	t.Run("démarche without autorisation posted by hand", func(t *testing.T) {
		t.Parallel()
		b := w.b.clone(t)
		id := start(t, b, "famille", "argent")
		b.post("/select_usager/", url.Values{"id": {id}, "usager": {strconvFormat(w.angela.ID)}})
		step2 := b.get("/select_demarche/?id=" + id)
		if !strings.Contains(step2.body, `value="famille"`) || !strings.Contains(step2.body, `value="argent"`) ||
			!strings.Contains(step2.body, "périmètre « Argent »") || strings.Contains(step2.body, `value="papiers"`) {
			t.Fatalf("step 2 tiles: %s", step2.body)
		}
		for _, d := range []string{"papiers", "social", "", "famille'"} {
			r := b.post("/select_demarche/", url.Values{"id": {id}, "demarche": {d}})
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "pas couverte par un mandat actif") {
				t.Errorf("démarche %q: %d", d, r.status)
			}
		}
	})
	t.Run("démarche outside the rep_scope asked", func(t *testing.T) {
		t.Parallel()
		b := w.b.clone(t)
		id := start(t, b, "famille")
		b.post("/select_usager/", url.Values{"id": {id}, "usager": {strconvFormat(w.angela.ID)}})
		if r := b.post("/select_demarche/", url.Values{"id": {id}, "demarche": {"argent"}}); r.status != http.StatusUnprocessableEntity {
			t.Errorf("argent when famille was asked: %d", r.status)
		}
	})
	for _, step := range []int{1, 2} {
		t.Run("cancel at step "+strconvItoa(step), func(t *testing.T) {
			t.Parallel()
			b := w.b.clone(t)
			state := randomHex(t)
			id := b.startFI(t, rp.authorizeURL(rp.authorizeParams(state, randomHex(t))))
			if step == 2 {
				b.post("/select_usager/", url.Values{"id": {id}, "usager": {strconvFormat(w.carlos.ID)}})
			}
			r := b.post("/annuler_connexion/", url.Values{"id": {id}})
			u, _ := url.Parse(r.location)
			if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, fcCallback+"?") ||
				u.Query().Get("error") != "access_denied" || u.Query().Get("state") != state || u.Query().Has("code") {
				t.Fatalf("cancel: %d %q", r.status, r.location)
			}
			if r := b.get("/select_usager/?id=" + id); r.status != http.StatusNotFound {
				t.Errorf("the cancelled flow still opens: %d", r.status)
			}
		})
	}
	t.Run("cancel with htmx is a full navigation to the client", func(t *testing.T) {
		t.Parallel()
		b := w.b.clone(t)
		id := start(t, b)
		b.htmx = true
		r := b.post("/annuler_connexion/", url.Values{"id": {id}})
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("HX-Redirect"), fcCallback+"?error=access_denied") {
			t.Fatalf("htmx cancel: %d %v", r.status, r.header)
		}
	})
	t.Run("a colleague's mandat serves any aidant of the organisation", func(t *testing.T) {
		t.Parallel()
		cb := colleague.clone(t).fiLogin(t, rp.authorizeURL(rp.authorizeParams(randomHex(t), randomHex(t), "famille")), w.angela, "famille")
		if status, tok := rp.token(t, cb.Get("code")); status != http.StatusOK {
			t.Fatalf("token: %d %v", status, tok)
		}
	})
	t.Run("another aidant cannot take over a flow", func(t *testing.T) {
		t.Parallel()
		id := start(t, w.b.clone(t))
		for _, b := range []*browser{colleague.clone(t), elsewhere.b.clone(t)} {
			if r := b.get("/select_usager/?id=" + id); r.status != http.StatusNotFound {
				t.Errorf("someone else's flow: %d", r.status)
			}
			if r := b.post("/annuler_connexion/", url.Values{"id": {id}}); r.status != http.StatusNotFound {
				t.Errorf("cancelling someone else's flow: %d", r.status)
			}
		}
	})
	t.Run("forms need the CSRF token", func(t *testing.T) {
		t.Parallel()
		b := w.b.clone(t)
		id := start(t, b)
		r := b.postRaw("/select_usager/", url.Values{"id": {id}, "usager": {strconvFormat(w.angela.ID)}, "csrf_token": {"forged"}})
		if r.status != http.StatusForbidden {
			t.Errorf("forged form: %d", r.status)
		}
	})
}

// code runs a whole aidant flow for Angela and famille and returns the code and the nonce.
func (w *fiWorld) code(t *testing.T, b *browser, rp *fcRP, tweak ...func(url.Values)) (string, string) {
	t.Helper()
	nonce := randomHex(t)
	q := rp.authorizeParams(randomHex(t), nonce, "famille")
	for _, f := range tweak {
		f(q)
	}
	return b.fiLogin(t, rp.authorizeURL(q), w.angela, "famille").Get("code"), nonce
}

func wantOIDCError(t *testing.T, status int, body map[string]any, wantStatus int, wantErr string) {
	t.Helper()
	if status != wantStatus || body["error"] != wantErr || body["access_token"] != nil {
		t.Fatalf("got %d %v, want %d %s", status, body, wantStatus, wantErr)
	}
}

// TestFITokenRefusals is the negative suite of /token, one case each.
func TestFITokenRefusals(t *testing.T) {
	t.Parallel()
	w := newFIWorld(t)
	rp := w.e.fcClient(t, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	other := w.e.fcClient(t, "autre-fs", store.AlgHS256, store.UserinfoJSON, nil)
	cases := []struct {
		name    string
		tweak   func(url.Values)
		status  int
		err     string
		retryOK bool // the code survives the refusal (the client was not authenticated)
	}{
		{"wrong secret", func(f url.Values) { f.Set("client_secret", rp.secret[:len(rp.secret)-1]+"x") }, http.StatusBadRequest, "invalid_client", true},
		{"no secret", func(f url.Values) { f.Del("client_secret") }, http.StatusBadRequest, "invalid_client", true},
		{"unknown client", func(f url.Values) { f.Set("client_id", "nobody") }, http.StatusBadRequest, "invalid_client", true},
		{"another client's credentials", func(f url.Values) { f.Set("client_id", other.id); f.Set("client_secret", other.secret) }, http.StatusBadRequest, "invalid_grant", false},
		{"wrong redirect_uri", func(f url.Values) { f.Set("redirect_uri", fcCallback+"/") }, http.StatusBadRequest, "invalid_grant", false},
		{"missing redirect_uri", func(f url.Values) { f.Del("redirect_uri") }, http.StatusBadRequest, "invalid_request", true},
		{"unknown code", func(f url.Values) { f.Set("code", "not-a-code") }, http.StatusBadRequest, "invalid_grant", true},
		{"wrong grant_type", func(f url.Values) { f.Set("grant_type", "refresh_token"); f.Set("refresh_token", "x") }, http.StatusBadRequest, "unauthorized_client", true},
		{"missing grant_type", func(f url.Values) { f.Del("grant_type") }, http.StatusBadRequest, "invalid_request", true},
		{"code_verifier without a challenge", func(f url.Values) { f.Set("code_verifier", strings.Repeat("v", 43)) }, http.StatusBadRequest, "invalid_request", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _ := w.code(t, w.b.clone(t), rp)
			status, body := rp.token(t, code, tc.tweak)
			wantOIDCError(t, status, body, tc.status, tc.err)
			status, body = rp.token(t, code)
			if ok := status == http.StatusOK; ok != tc.retryOK {
				t.Fatalf("the right exchange afterwards: %d %v", status, body)
			}
		})
	}
	t.Run("code replay revokes the first tokens", func(t *testing.T) {
		t.Parallel()
		code, _ := w.code(t, w.b.clone(t), rp)
		status, first := rp.token(t, code)
		if status != http.StatusOK {
			t.Fatalf("first exchange: %d", status)
		}
		status, body := rp.token(t, code)
		wantOIDCError(t, status, body, http.StatusBadRequest, "invalid_grant")
		resp, info := rp.userinfo(t, "Bearer "+first["access_token"].(string))
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Fatalf("userinfo with a revoked token: %d %s", resp.StatusCode, info)
		}
	})
	t.Run("PKCE when the client sends a challenge", func(t *testing.T) {
		t.Parallel()
		verifier := randomHex(t)
		sum := sha256.Sum256([]byte(verifier))
		challenge := func(q url.Values) {
			q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
			q.Set("code_challenge_method", "S256")
		}
		b := w.b.clone(t)
		code, _ := w.code(t, b, rp, challenge)
		status, body := rp.token(t, code, func(f url.Values) { f.Set("code_verifier", randomHex(t)) })
		wantOIDCError(t, status, body, http.StatusBadRequest, "invalid_grant")
		code, _ = w.code(t, b, rp, challenge)
		if status, body := rp.token(t, code, func(f url.Values) { f.Set("code_verifier", verifier) }); status != http.StatusOK {
			t.Fatalf("right verifier: %d %v", status, body)
		}
	})
}

// TestFIUserinfoRefusals: malformed, unknown and missing bearers (expired and revoked ones are
// in TestFIExpiries and TestFITokenRefusals).
func TestFIUserinfoRefusals(t *testing.T) {
	t.Parallel()
	w := newFIWorld(t)
	rp := w.e.fcClient(t, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	code, _ := w.code(t, w.b, rp)
	_, tok := rp.token(t, code)
	at := tok["access_token"].(string)
	for _, h := range []string{"", "Bearer", "Bearer ", "Basic " + at, "Bearer " + at + " x", "Bearer " + at + "%",
		"Bearer " + at[:len(at)-1], "Bearer " + strings.Repeat("A", 600), at} {
		resp, body := rp.userinfo(t, h)
		var e map[string]string
		_ = json.Unmarshal(body, &e)
		if resp.StatusCode != http.StatusUnauthorized || e["error"] != "invalid_token" || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
			t.Errorf("Authorization %q: %d %s", h, resp.StatusCode, body)
		}
	}
	if resp, body := rp.userinfo(t, "bearer "+at); resp.StatusCode != http.StatusOK {
		t.Errorf("the scheme is case-insensitive (RFC 7235): %d %s", resp.StatusCode, body)
	}
	if n := len(useAutorisations(t, w.e, w.org.ID)); n != 1 {
		t.Errorf("use_autorisation journaled %d times", n)
	}
}

// TestFIExpiries moves each world's clock past one lifetime.
func TestFIExpiries(t *testing.T) {
	t.Parallel()
	t.Run("expired flow", func(t *testing.T) {
		t.Parallel()
		w := newFIWorld(t)
		rp := w.e.fcClient(t, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
		id := w.b.startFI(t, rp.authorizeURL(rp.authorizeParams(randomHex(t), randomHex(t))))
		w.b.post("/select_usager/", url.Values{"id": {id}, "usager": {strconvFormat(w.angela.ID)}})
		w.e.clock.Advance(store.IdPFlowTTL)
		for _, r := range []page{w.b.get("/select_usager/?id=" + id), w.b.get("/select_demarche/?id=" + id),
			w.b.post("/select_demarche/", url.Values{"id": {id}, "demarche": {"famille"}})} {
			if r.status != http.StatusGone || !strings.Contains(r.body, "La connexion a expiré") {
				t.Errorf("after 5 minutes: %d", r.status)
			}
		}
		if r := w.b.get("/select_usager/resultats/?id=" + id + "&q=an"); r.status != http.StatusGone ||
			!strings.Contains(r.body, "La connexion a expiré") || strings.Contains(r.body, "<html") {
			t.Errorf("search after 5 minutes: %d %s", r.status, r.body)
		}
	})
	t.Run("expired code", func(t *testing.T) {
		t.Parallel()
		w := newFIWorld(t)
		rp := w.e.fcClient(t, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
		code, _ := w.code(t, w.b, rp)
		w.e.clock.Advance(store.IdPCodeTTL)
		status, body := rp.token(t, code)
		wantOIDCError(t, status, body, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("expired bearer", func(t *testing.T) {
		t.Parallel()
		w := newFIWorld(t)
		rp := w.e.fcClient(t, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
		code, _ := w.code(t, w.b, rp)
		_, tok := rp.token(t, code)
		w.e.clock.Advance(time.Duration(num(t, tok, "expires_in")) * time.Second)
		if resp, body := rp.userinfo(t, "Bearer "+tok["access_token"].(string)); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("expired token: %d %s", resp.StatusCode, body)
		}
		if n := len(useAutorisations(t, w.e, w.org.ID)); n != 0 {
			t.Errorf("an expired token was journaled as used")
		}
	})
}

// TestFIPromptLogin: an aidant whose last code is older than the activity timeout proves one
// again, then lands on step 1 of the very same request.
func TestFIPromptLogin(t *testing.T) {
	t.Parallel()
	w := newFIWorld(t)
	rp := w.e.fcClient(t, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	state := randomHex(t)
	authURL := rp.authorizeURL(rp.authorizeParams(state, randomHex(t), "famille"))
	// Active all along (pages every few minutes), but no code proved for 16 minutes.
	for i := 0; i < 4; i++ {
		w.e.clock.Advance(4 * time.Minute)
		if r := w.b.get("/espace-aidant/"); r.status != http.StatusOK {
			t.Fatalf("espace aidant: %d", r.status)
		}
	}
	r := w.b.get(authURL)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/activity_check/?next=") {
		t.Fatalf("prompt=login without a recent code: %d %q", r.status, r.location)
	}
	next, _ := url.QueryUnescape(strings.TrimPrefix(r.location, "/activity_check/?next="))
	if r := w.b.post("/activity_check/", url.Values{"otp_token": {w.e.code(w.aidant)}, "next": {next}}); r.status != http.StatusSeeOther ||
		w.e.base+r.location != authURL {
		t.Fatalf("activity check: %d %q, want back to %s", r.status, r.location, authURL)
	}
	cb := w.b.chooseDemarche(t, func() string {
		id := w.b.startFI(t, authURL)
		w.b.post("/select_usager/", url.Values{"id": {id}, "usager": {strconvFormat(w.angela.ID)}})
		return id
	}(), "famille")
	if cb.Get("state") != state {
		t.Fatalf("callback %v", cb)
	}
	if n := w.e.count("idp_flows"); n != 1 {
		t.Errorf("%d flows: the detour must not create one", n)
	}
}

// TestFILoginFirst: an aidant not logged in logs in, then comes back to the same request.
func TestFILoginFirst(t *testing.T) {
	t.Parallel()
	w := newFIWorld(t)
	rp := w.e.fcClient(t, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	authURL := rp.authorizeURL(rp.authorizeParams(randomHex(t), randomHex(t)))
	b := w.e.browser()
	r := b.get(authURL)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/accounts/login/?next=") {
		t.Fatalf("anonymous: %d %q", r.status, r.location)
	}
	next, _ := url.QueryUnescape(strings.TrimPrefix(r.location, "/accounts/login/?next="))
	r = b.post("/accounts/login/", url.Values{"email": {w.aidant.aidant.Email}, "otp_token": {w.e.code(w.aidant)}, "next": {next}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("login: %d", r.status)
	}
	token := strings.TrimSuffix(strings.TrimPrefix(w.e.lastLink(), "/chargement/code/"), "/")
	r = b.post("/code/"+token+"/", nil)
	if r.status != http.StatusSeeOther || w.e.base+r.location != authURL {
		t.Fatalf("after login: %d %q, want %s", r.status, r.location, authURL)
	}
	b.startFI(t, authURL)
	if n := w.e.count("idp_flows"); n != 1 {
		t.Errorf("%d flows, want 1", n)
	}
}

// TestFIRepScopeOutsideOrganisation: a rep_scope naming only démarches the organisation does
// not offer goes back to the client as access_denied.
func TestFIRepScopeOutsideOrganisation(t *testing.T) {
	t.Parallel()
	w := newFIWorld(t)
	rp := w.e.fcClient(t, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	if _, err := w.e.app.DB.NewUpdate().Table("organisations").Set("allowed_demarches = ARRAY['famille','papiers','argent']").
		Where("id = ?", w.org.ID).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	state := randomHex(t)
	r := w.b.get(rp.authorizeURL(rp.authorizeParams(state, randomHex(t), "justice", "loisirs")))
	r = w.b.get(r.location)
	u, _ := url.Parse(r.location)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, fcCallback+"?") || u.Query().Get("error") != "access_denied" ||
		u.Query().Get("state") != state {
		t.Fatalf("rep_scope outside the organisation: %d %q", r.status, r.location)
	}
	// Partly outside: only what the organisation offers is proposed.
	id := w.b.startFI(t, rp.authorizeURL(rp.authorizeParams(randomHex(t), randomHex(t), "justice", "famille")))
	if r := w.b.get("/select_usager/?id=" + id); !strings.Contains(r.body, "« Famille - Scolarité »") || strings.Contains(r.body, "Justice") {
		t.Errorf("step 1 offers: %s", r.body)
	}
}

// TestFIAidantWithoutMandatRight: an aidant who may not act for usagers is refused at once.
func TestFIAidantWithoutMandatRight(t *testing.T) {
	t.Parallel()
	w := newFIWorld(t)
	rp := w.e.fcClient(t, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	if _, err := w.e.app.DB.NewUpdate().Table("aidants").Set("can_create_mandats = false").
		Where("id = ?", w.aidant.aidant.ID).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := w.b.get(rp.authorizeURL(rp.authorizeParams(randomHex(t), randomHex(t))))
	if r.status != http.StatusForbidden || r.location != "" || !strings.Contains(r.body, "ne permet pas d&#39;agir") {
		t.Fatalf("aidant without the right: %d %q", r.status, r.location)
	}
}

// TestFILogout is FranceConnect's end_session call.
func TestFILogout(t *testing.T) {
	t.Parallel()
	w := newFIWorld(t)
	es := w.e.fcClient(t, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	hs := w.e.fcClient(t, "fc-hs256", store.AlgHS256, store.UserinfoJSON, nil)
	hint := func(rp *fcRP) string {
		code, _ := w.code(t, w.b, rp)
		_, tok := rp.token(t, code)
		return tok["id_token"].(string)
	}
	esHint, hsHint := hint(es), hint(hs)
	w.e.clock.Advance(time.Hour) // hints are usually expired: still fine
	state := randomHex(t)
	cases := []struct {
		name string
		q    url.Values
		ok   bool
	}{
		{"client_id and URI", url.Values{"client_id": {es.id}, "post_logout_redirect_uri": {fcLogoutCallback}, "state": {state}}, true},
		{"ES256 hint only", url.Values{"id_token_hint": {esHint}, "post_logout_redirect_uri": {fcLogoutCallback}, "state": {state}}, true},
		{"HS256 hint and client_id", url.Values{"id_token_hint": {hsHint}, "client_id": {hs.id}, "post_logout_redirect_uri": {fcLogoutCallback}, "state": {state}}, true},
		{"unknown post-logout URI", url.Values{"client_id": {es.id}, "post_logout_redirect_uri": {"https://evil.example/"}, "state": {state}}, false},
		{"no post-logout URI", url.Values{"client_id": {es.id}, "state": {state}}, false},
		{"unknown client", url.Values{"client_id": {"nobody"}, "post_logout_redirect_uri": {fcLogoutCallback}}, false},
		{"hint of another client", url.Values{"id_token_hint": {hsHint}, "client_id": {es.id}, "post_logout_redirect_uri": {fcLogoutCallback}}, false},
		{"forged hint", url.Values{"id_token_hint": {esHint[:len(esHint)-4] + "AAAA"}, "post_logout_redirect_uri": {fcLogoutCallback}}, false},
		{"duplicated URI", url.Values{"client_id": {es.id}, "post_logout_redirect_uri": {fcLogoutCallback, fcLogoutCallback}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, path := range []string{"/logout", "/logout/"} {
				r := w.e.browser().get(path + "?" + tc.q.Encode())
				switch {
				case tc.ok && (r.status != http.StatusFound || r.location != fcLogoutCallback+"?state="+state):
					t.Errorf("%s: %d %q", path, r.status, r.location)
				case !tc.ok && (r.status != http.StatusBadRequest || r.location != "" || !strings.Contains(r.body, "Déconnexion impossible")):
					t.Errorf("%s: want the local page; got %d %q", path, r.status, r.location)
				}
			}
		})
	}
}

// TestFILoad measures full FI logins — FranceConnect's redirect, step 1, the usager, step 2,
// the démarche, the code, /token, /userinfo — with many aidants at once, each with their own
// session, over real HTTP on 127.0.0.1. It is a bounded load script, not a check: it runs
// only when AC_FI_LOAD gives the number of logins per concurrency level (BENCHMARKS.md).
func TestFILoad(t *testing.T) {
	perLevel, _ := strconv.Atoi(os.Getenv("AC_FI_LOAD"))
	if perLevel <= 0 {
		t.Skip("AC_FI_LOAD=<logins per level> runs the FI load measure (see BENCHMARKS.md)")
	}
	levels := []int{1, 8, 32, 64}
	w := newFIWorld(t)
	rp := w.e.fcClient(t, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	clients := make([]*http.Client, levels[len(levels)-1])
	for i := range clients {
		p := w.aidant
		if i > 0 {
			p = w.e.aidant("aidant"+strconv.Itoa(i)+"@example.fr", w.org, true)
		}
		b := w.e.login(p)
		w.e.clock.Advance(-30 * time.Second) // every code proof stays recent
		jar, _ := cookiejar.New(nil)
		base, _ := url.Parse(w.e.base)
		var cs []*http.Cookie
		for k, v := range b.jar {
			cs = append(cs, &http.Cookie{Name: k, Value: v})
		}
		jar.SetCookies(base, cs)
		clients[i] = &http.Client{Jar: jar, Timeout: 30 * time.Second,
			Transport:     &http.Transport{MaxIdleConnsPerHost: 4},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	for _, workers := range levels {
		var mu sync.Mutex
		var tokenDur, userinfoDur, loginDur []time.Duration
		jobs := make(chan int)
		var wg sync.WaitGroup
		start := time.Now()
		for i := 0; i < workers; i++ {
			wg.Add(1)
			go func(c *http.Client) {
				defer wg.Done()
				for range jobs {
					began := time.Now()
					td, ud, err := fiRound(c, w.e.base, rp, w.angela.ID)
					if err != nil {
						t.Error(err)
						continue
					}
					mu.Lock()
					tokenDur, userinfoDur, loginDur = append(tokenDur, td), append(userinfoDur, ud), append(loginDur, time.Since(began))
					mu.Unlock()
				}
			}(clients[i])
		}
		for i := 0; i < perLevel; i++ {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		wall := time.Since(start)
		t.Logf("%2d concurrent aidants: %4d logins in %6.2fs = %6.1f logins/s; login p50 %s p95 %s; /token p50 %s p95 %s; /userinfo p50 %s p95 %s",
			workers, len(loginDur), wall.Seconds(), float64(len(loginDur))/wall.Seconds(), pct(loginDur, 50), pct(loginDur, 95),
			pct(tokenDur, 50), pct(tokenDur, 95), pct(userinfoDur, 50), pct(userinfoDur, 95))
	}
	n, err := w.e.app.DB.NewSelect().Table("journal").Where("action = ?", store.ActionUseAutorisation).Count(context.Background())
	if err != nil || n != int64(perLevel*len(levels)) {
		t.Errorf("%d use_autorisation rows (%v), want one per login", n, err)
	}
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)*p+99)/100-1].Round(100 * time.Microsecond)
}

// fiRound is one full FI login over HTTP; it returns how long /token and /userinfo took.
func fiRound(c *http.Client, base string, rp *fcRP, usagerID int64) (time.Duration, time.Duration, error) {
	csrf := ""
	u, _ := url.Parse(base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == csrfCookie {
			csrf = ck.Value
		}
	}
	step := func(method, path string, form url.Values, want int) (string, error) {
		var resp *http.Response
		var err error
		if method == http.MethodGet {
			resp, err = c.Get(base + path)
		} else {
			form.Set("csrf_token", csrf)
			resp, err = c.PostForm(base+path, form)
		}
		if err != nil {
			return "", err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			return "", fmt.Errorf("%s %s: %d", method, path, resp.StatusCode)
		}
		return resp.Header.Get("Location"), nil
	}
	nonceBytes := make([]byte, 32)
	_, _ = rand.Read(nonceBytes)
	q := rp.authorizeParams(hex.EncodeToString(nonceBytes[:16])+hex.EncodeToString(nonceBytes[16:]), hex.EncodeToString(nonceBytes), "famille")
	loc, err := step(http.MethodGet, "/authorize/?"+q.Encode(), nil, http.StatusFound)
	if err != nil {
		return 0, 0, err
	}
	id := flowID.FindStringSubmatch(loc)[1]
	if _, err := step(http.MethodGet, loc, nil, http.StatusOK); err != nil {
		return 0, 0, err
	}
	if _, err := step(http.MethodPost, "/select_usager/", url.Values{"id": {id}, "usager": {strconv.FormatInt(usagerID, 10)}}, http.StatusSeeOther); err != nil {
		return 0, 0, err
	}
	if _, err := step(http.MethodGet, "/select_demarche/?id="+id, nil, http.StatusOK); err != nil {
		return 0, 0, err
	}
	loc, err = step(http.MethodPost, "/select_demarche/", url.Values{"id": {id}, "demarche": {"famille"}}, http.StatusSeeOther)
	if err != nil {
		return 0, 0, err
	}
	cb, _ := url.Parse(loc)
	began := time.Now()
	resp, err := c.PostForm(base+"/token/", url.Values{"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")},
		"redirect_uri": {rp.redirectURI}, "client_id": {rp.id}, "client_secret": {rp.secret}})
	if err != nil {
		return 0, 0, err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	tokenDur := time.Since(began)
	if err != nil || resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("token: %d %v", resp.StatusCode, err)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/userinfo/", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	began = time.Now()
	resp, err = c.Do(req)
	if err != nil {
		return 0, 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("userinfo: %d", resp.StatusCode)
	}
	return tokenDur, time.Since(began), nil
}
