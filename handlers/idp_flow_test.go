package handlers_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app/apptest"
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
			rp := fcClient(t, w.e, "franceconnect", tc.alg, tc.format, tc.vocabulary)
			state, nonce := apptest.RandomHex(t), apptest.RandomHex(t)
			u := tc.usager(w)
			cb := fiLogin(t, w.b, rp.authorizeURL(rp.authorizeParams(state, nonce, tc.repScope...)), u, tc.demarche)
			if cb.Get("state") != state || len(cb) != 2 || !b64url.MatchString(cb.Get("code")) {
				t.Fatalf("callback %v", cb)
			}
			status, tok := rp.token(t, cb.Get("code"))
			if status != http.StatusOK {
				t.Fatalf("token: %d %v", status, tok)
			}
			claims := rp.checkIDToken(t, tok, nonce, tc.want)
			sub := claims["sub"].(string)
			if sub != w.e.App.Store.IdPSubject(rp.id, u.Sub) || sub == u.Sub {
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
					if info["iss"] != w.e.URL || info["aud"] != rp.id || num(t, info, "iat") > w.e.Clock.Now().Unix() {
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
				*j.AidantID != w.aidant.Aidant.ID || j.AccessTokenHash != hex.EncodeToString(atHash[:]) {
				t.Errorf("use_autorisation %+v", j)
			}
			au := new(store.Autorisation)
			if err := w.e.App.DB.NewSelect().Model(au).Where("id = ?", *j.AutorisationID).Scan(context.Background()); err != nil ||
				au.Demarche != tc.demarche || au.MandatID != *j.MandatID {
				t.Errorf("journaled autorisation %+v (%v)", au, err)
			}
			if rep, err := w.e.App.Store.VerifyJournal(context.Background()); err != nil || rep.BrokenID != 0 {
				t.Errorf("journal chain: %+v %v", rep, err)
			}
		})
	}
}

func TestFIDiscoveryAndJWKS(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	resp, err := http.Get(e.URL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"issuer": e.URL, "authorization_endpoint": e.URL + "/authorize",
		"token_endpoint": e.URL + "/token", "userinfo_endpoint": e.URL + "/userinfo", "end_session_endpoint": e.URL + "/logout",
		"jwks_uri": e.URL + "/jwks"} {
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
	// Every signing key exists from start-up, before any signature: a relying party that
	// caches the JWKS finds the key of its algorithm in its first copy.
	set := (&fcRP{e: e}).jwks(t)
	algs := map[string]int{}
	for _, k := range set.Keys {
		if k.Use != "sig" || k.KeyID == "" {
			t.Errorf("JWKS key %+v", k)
		}
		algs[k.Algorithm]++
	}
	if len(set.Keys) != 2 || algs["ES256"] != 1 || algs["RS256"] != 1 {
		t.Fatalf("JWKS at start-up: %d keys %v, want one ES256 and one RS256", len(set.Keys), algs)
	}
	var stored []byte
	if err := e.App.DB.NewSelect().Table("idp_signing_keys").Column("private_enc").Limit(1).Scan(context.Background(), &stored); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(stored), "PRIVATE") || len(stored) < 100 {
		t.Fatal("the private key is not sealed at rest")
	}
}

func strconvItoa(n int) string { return strconv.Itoa(n) }

// authorizeError follows FranceConnect's authorize URL and expects an OIDC error sent back to
// the client's redirect URI.
func authorizeError(t *testing.T, b *apptest.Browser, authURL string) url.Values {
	t.Helper()
	r := b.Get(authURL)
	if r.Status != http.StatusFound || !(strings.HasPrefix(r.Location, fcCallback+"?") || strings.HasPrefix(r.Location, fcCallback+"#")) {
		t.Fatalf("want an error redirect to the client; got %d %q %s", r.Status, r.Location, r.Body)
	}
	u, _ := url.Parse(r.Location)
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
	rp := fcClient(t, w.e, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	state, nonce := apptest.RandomHex(t), apptest.RandomHex(t)
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
			r := w.b.Clone(t).Get(params(tc.q))
			if r.Status != http.StatusBadRequest || r.Location != "" || !strings.Contains(r.Body, "Demande de connexion invalide") {
				t.Fatalf("want the local error page; got %d %q", r.Status, r.Location)
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
		{"duplicated state", "invalid_request", func(q url.Values) { q.Add("state", apptest.RandomHex(t)) }},
		{"duplicated scope", "invalid_request", func(q url.Values) { q.Add("scope", "openid") }},
		{"prompt=none", "interaction_required", func(q url.Values) { q.Set("prompt", "none") }},
		{"response_mode=fragment", "invalid_request", func(q url.Values) { q.Set("response_mode", "fragment") }},
		{"request object", "request_not_supported", func(q url.Values) { q.Set("request", "eyJhbGciOiJub25lIn0.e30.") }},
		{"claims not JSON", "invalid_request", func(q url.Values) { q.Set("claims", "{rep_scope") }},
	}
	for _, tc := range redirected {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := authorizeError(t, w.b.Clone(t), params(tc.q))
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
		b := w.b.Clone(t)
		startFI(t, b, params(func(q url.Values) { q.Set("idp_hint", "x"); q.Set("ui_locales", "fr") }))
	})
	t.Cleanup(func() { // after the parallel subtests
		if n := w.e.Count("idp_flows"); n != 1 {
			t.Errorf("%d flows recorded, want only the accepted one", n)
		}
	})
}

// TestFIPages covers the aidant's two steps: search, lists, forged posts, cancel, ownership.
func TestFIPages(t *testing.T) {
	t.Parallel()
	w := newFIWorld(t)
	rp := fcClient(t, w.e, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	// A colleague in the same organisation, and a stranger with a mandat of their own elsewhere.
	colleague := w.e.Login(w.e.Aidant("colleague@example.fr", w.org, true))
	elsewhere := &fiWorld{e: w.e, org: w.e.Org("CCAS")}
	elsewhere.aidant = w.e.Aidant("stranger@example.fr", elsewhere.org, true)
	elsewhere.b = w.e.Login(elsewhere.aidant)
	marie := elsewhere.mandat(t, 1, "famille")
	start := func(t *testing.T, b *apptest.Browser, repScope ...string) string {
		return startFI(t, b, rp.authorizeURL(rp.authorizeParams(apptest.RandomHex(t), apptest.RandomHex(t), repScope...)))
	}

	t.Run("step 1 lists the usagers with a mandat for the démarche asked", func(t *testing.T) {
		t.Parallel()
		b := w.b.Clone(t)
		id := start(t, b, "famille")
		r := b.Get("/select_usager/?id=" + id)
		if !strings.Contains(r.Body, "Angela Claire Louise MARTIN") || strings.Contains(r.Body, "Carlos") || strings.Contains(r.Body, "Marie") {
			t.Fatalf("step 1 list: %s", r.Body)
		}
		if !strings.Contains(r.Body, "« Famille - Scolarité »") || !strings.Contains(r.Body, `hx-get="/select_usager/resultats/"`) {
			t.Error("step 1 lacks the démarche asked or the live search")
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://fcp-low.integ01.dev-franceconnect.fr;") {
			t.Errorf("CSP %q: the cancel form cannot reach the client", csp)
		}
		all := b.Get("/select_usager/?id=" + id[:10]) // a wrong id
		if all.Status != http.StatusNotFound {
			t.Errorf("unknown flow: %d", all.Status)
		}
	})
	t.Run("search ignores case and accents, needs 2 characters", func(t *testing.T) {
		t.Parallel()
		b := w.b.Clone(t)
		id := start(t, b)
		for q, want := range map[string]string{"garcia": "Carlos GARCÍA LÓPEZ", "GARCÍA lópez": "Carlos GARCÍA LÓPEZ",
			"angela martin": "Angela Claire Louise MARTIN", "dubois": "Angela Claire Louise MARTIN", "x": "au moins 2 caractères",
			"dupont": "Aucune personne ne correspond", "marie": "Aucune personne ne correspond"} {
			r := b.Get("/select_usager/resultats/?" + url.Values{"id": {id}, "q": {q}}.Encode())
			if r.Status != http.StatusOK || !strings.Contains(r.Body, want) || strings.Contains(r.Body, "<html") ||
				!strings.Contains(r.Body, `hx-swap-oob="innerHTML"`) {
				t.Errorf("search %q: %d, %q missing: %s", q, r.Status, want, r.Body)
			}
		}
		full := b.Get("/select_usager/?" + url.Values{"id": {id}, "q": {"lopez"}}.Encode()) // without JavaScript
		if full.Status != http.StatusOK || !strings.Contains(full.Body, "<html") || !strings.Contains(full.Body, "Carlos") || strings.Contains(full.Body, "Angela") {
			t.Errorf("search page without JS: %d", full.Status)
		}
	})
	t.Run("usager without active mandat posted by hand", func(t *testing.T) {
		t.Parallel()
		b := w.b.Clone(t)
		id := start(t, b, "famille")
		for _, u := range []string{itoa(w.carlos.ID), itoa(marie.ID), "999999", "abc"} {
			r := b.Post("/select_usager/", url.Values{"id": {id}, "usager": {u}})
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "pas de mandat actif") {
				t.Errorf("usager %s: %d", u, r.Status)
			}
		}
		if r := b.Get("/select_demarche/?id=" + id); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/select_usager/") {
			t.Errorf("step 2 without a usager: %d %q", r.Status, r.Location)
		}
	})
	t.Run("démarche without autorisation posted by hand", func(t *testing.T) {
		t.Parallel()
		b := w.b.Clone(t)
		id := start(t, b, "famille", "argent")
		b.Post("/select_usager/", url.Values{"id": {id}, "usager": {itoa(w.angela.ID)}})
		step2 := b.Get("/select_demarche/?id=" + id)
		if !strings.Contains(step2.Body, `value="famille"`) || !strings.Contains(step2.Body, `value="argent"`) ||
			!strings.Contains(step2.Body, "périmètre « Argent »") || strings.Contains(step2.Body, `value="papiers"`) {
			t.Fatalf("step 2 tiles: %s", step2.Body)
		}
		for _, d := range []string{"papiers", "social", "", "famille'"} {
			r := b.Post("/select_demarche/", url.Values{"id": {id}, "demarche": {d}})
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "pas couverte par un mandat actif") {
				t.Errorf("démarche %q: %d", d, r.Status)
			}
		}
	})
	t.Run("démarche outside the rep_scope asked", func(t *testing.T) {
		t.Parallel()
		b := w.b.Clone(t)
		id := start(t, b, "famille")
		b.Post("/select_usager/", url.Values{"id": {id}, "usager": {itoa(w.angela.ID)}})
		if r := b.Post("/select_demarche/", url.Values{"id": {id}, "demarche": {"argent"}}); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("argent when famille was asked: %d", r.Status)
		}
	})
	for _, step := range []int{1, 2} {
		t.Run("cancel at step "+strconvItoa(step), func(t *testing.T) {
			t.Parallel()
			b := w.b.Clone(t)
			state := apptest.RandomHex(t)
			id := startFI(t, b, rp.authorizeURL(rp.authorizeParams(state, apptest.RandomHex(t))))
			if step == 2 {
				b.Post("/select_usager/", url.Values{"id": {id}, "usager": {itoa(w.carlos.ID)}})
			}
			r := b.Post("/annuler_connexion/", url.Values{"id": {id}})
			u, _ := url.Parse(r.Location)
			if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, fcCallback+"?") ||
				u.Query().Get("error") != "access_denied" || u.Query().Get("state") != state || u.Query().Has("code") {
				t.Fatalf("cancel: %d %q", r.Status, r.Location)
			}
			if r := b.Get("/select_usager/?id=" + id); r.Status != http.StatusNotFound {
				t.Errorf("the cancelled flow still opens: %d", r.Status)
			}
		})
	}
	t.Run("cancel with htmx is a full navigation to the client", func(t *testing.T) {
		t.Parallel()
		b := w.b.Clone(t)
		id := start(t, b)
		b.HTMX = true
		r := b.Post("/annuler_connexion/", url.Values{"id": {id}})
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("HX-Redirect"), fcCallback+"?error=access_denied") {
			t.Fatalf("htmx cancel: %d %v", r.Status, r.Header)
		}
	})
	t.Run("a colleague's mandat serves any aidant of the organisation", func(t *testing.T) {
		t.Parallel()
		cb := fiLogin(t, colleague.Clone(t), rp.authorizeURL(rp.authorizeParams(apptest.RandomHex(t), apptest.RandomHex(t), "famille")), w.angela, "famille")
		if status, tok := rp.token(t, cb.Get("code")); status != http.StatusOK {
			t.Fatalf("token: %d %v", status, tok)
		}
	})
	t.Run("another aidant cannot take over a flow", func(t *testing.T) {
		t.Parallel()
		id := start(t, w.b.Clone(t))
		for _, b := range []*apptest.Browser{colleague.Clone(t), elsewhere.b.Clone(t)} {
			if r := b.Get("/select_usager/?id=" + id); r.Status != http.StatusNotFound {
				t.Errorf("someone else's flow: %d", r.Status)
			}
			if r := b.Post("/annuler_connexion/", url.Values{"id": {id}}); r.Status != http.StatusNotFound {
				t.Errorf("cancelling someone else's flow: %d", r.Status)
			}
		}
	})
	t.Run("forms need the CSRF token", func(t *testing.T) {
		t.Parallel()
		b := w.b.Clone(t)
		id := start(t, b)
		r := b.PostRaw("/select_usager/", url.Values{"id": {id}, "usager": {itoa(w.angela.ID)}, "csrf_token": {"forged"}})
		if r.Status != http.StatusForbidden {
			t.Errorf("forged form: %d", r.Status)
		}
	})
}

// code runs a whole aidant flow for Angela and famille and returns the code and the nonce.
