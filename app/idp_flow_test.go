package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/store"
)

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
