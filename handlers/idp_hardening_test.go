package handlers_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/store"
)

// The identity provider's answers once what a code or a token stands for has changed, and its
// back channel held to what discovery advertises.

// famille is the id of Angela's autorisation for famille and of its mandat.
func (w *fiWorld) famille(t *testing.T) (mandatID, autorisationID int64) {
	t.Helper()
	var row struct {
		MandatID int64 `bun:"mandat_id"`
		ID       int64 `bun:"id"`
	}
	err := w.e.App.DB.NewSelect().Table("autorisations").ColumnExpr("autorisations.id, autorisations.mandat_id").
		Join("JOIN mandats AS m ON m.id = autorisations.mandat_id").
		Where("m.usager_id = ? AND autorisations.demarche = 'famille'", w.angela.ID).Scan(context.Background(), &row)
	if err != nil {
		t.Fatal(err)
	}
	return row.MandatID, row.ID
}

func (w *fiWorld) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if _, err := w.e.App.DB.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatal(err)
	}
}

// TestFIRevocationIsImmediate: a code issued before the autorisation was revoked, the mandat
// expired, the aidant or the organisation deactivated is refused at /token; a token issued
// before is refused at /userinfo, and nothing is journaled as used.
func TestFIRevocationIsImmediate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		event func(t *testing.T, w *fiWorld)
	}{
		{"autorisation revoked", func(t *testing.T, w *fiWorld) {
			m, a := w.famille(t)
			if _, _, err := w.e.App.Store.RevokeAutorisation(context.Background(), w.org.ID, w.aidant.Aidant.ID, m, a); err != nil {
				t.Fatal(err)
			}
		}},
		{"mandat expired", func(t *testing.T, w *fiWorld) {
			m, _ := w.famille(t)
			w.exec(t, "UPDATE mandats SET expires_at = ? WHERE id = ?", w.e.Clock.Now(), m)
		}},
		{"aidant deactivated", func(t *testing.T, w *fiWorld) {
			if err := w.e.App.Store.SetAidantActive(context.Background(), w.aidant.Aidant.ID, false); err != nil {
				t.Fatal(err)
			}
		}},
		{"organisation deactivated", func(t *testing.T, w *fiWorld) {
			w.exec(t, "UPDATE organisations SET is_active = false WHERE id = ?", w.org.ID)
		}},
		{"aidant no longer a member", func(t *testing.T, w *fiWorld) {
			w.exec(t, "DELETE FROM aidant_organisations WHERE aidant_id = ? AND organisation_id = ?", w.aidant.Aidant.ID, w.org.ID)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newFIWorld(t)
			rp := fcClient(t, w.e, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
			unexchanged, _ := w.code(t, w.b, rp)
			code, _ := w.code(t, w.b, rp)
			status, tok := rp.token(t, code)
			if status != http.StatusOK {
				t.Fatalf("token before the change: %d %v", status, tok)
			}
			tc.event(t, w)
			status, body := rp.token(t, unexchanged)
			wantOIDCError(t, status, body, http.StatusBadRequest, "invalid_grant")
			resp, info := rp.userinfo(t, "Bearer "+tok["access_token"].(string))
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) ||
				strings.Contains(string(info), w.angela.FamilyName) {
				t.Fatalf("userinfo after the change: %d %s", resp.StatusCode, info)
			}
			if n := len(useAutorisations(t, w.e, w.org.ID)); n != 0 {
				t.Fatalf("use_autorisation journaled %d times after the change", n)
			}
		})
	}
}

// TestFIBackChannelMatchesDiscovery: /token takes POST only, with the client authentication
// discovery advertises (client_secret_post, in the body); discovery lists only endpoints that
// exist; the back channel sends no CORS headers.
func TestFIBackChannelMatchesDiscovery(t *testing.T) {
	t.Parallel()
	w := newFIWorld(t)
	rp := fcClient(t, w.e, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	form := func(code string) url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rp.redirectURI},
			"client_id": {rp.id}, "client_secret": {rp.secret}}
	}
	send := func(t *testing.T, req *http.Request) (*http.Response, map[string]any) {
		t.Helper()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		return resp, body
	}
	refusals := []struct {
		name    string
		request func(code string) *http.Request
		status  int
		err     string
	}{
		{"GET with the secret in the query", func(code string) *http.Request {
			req, _ := http.NewRequest(http.MethodGet, w.e.URL+"/token/?"+form(code).Encode(), nil)
			return req
		}, http.StatusMethodNotAllowed, "invalid_request"},
		{"PUT", func(code string) *http.Request {
			req, _ := http.NewRequest(http.MethodPut, w.e.URL+"/token/", strings.NewReader(form(code).Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return req
		}, http.StatusMethodNotAllowed, "invalid_request"},
		{"client_secret_basic", func(code string) *http.Request {
			f := form(code)
			f.Del("client_id")
			f.Del("client_secret")
			req, _ := http.NewRequest(http.MethodPost, w.e.URL+"/token/", strings.NewReader(f.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(url.QueryEscape(rp.id), url.QueryEscape(rp.secret))
			return req
		}, http.StatusBadRequest, "invalid_client"},
		{"POST with the secret in the query", func(code string) *http.Request {
			f := form(code)
			secret := url.Values{"client_secret": {f.Get("client_secret")}}
			f.Del("client_secret")
			req, _ := http.NewRequest(http.MethodPost, w.e.URL+"/token/?"+secret.Encode(), strings.NewReader(f.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return req
		}, http.StatusBadRequest, "invalid_request"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _ := w.code(t, w.b.Clone(t), rp)
			resp, body := send(t, tc.request(code))
			if resp.StatusCode != tc.status || body["error"] != tc.err || body["access_token"] != nil {
				t.Fatalf("got %d %v, want %d %s", resp.StatusCode, body, tc.status, tc.err)
			}
			if tc.status == http.StatusMethodNotAllowed && resp.Header.Get("Allow") != http.MethodPost {
				t.Errorf("Allow = %q", resp.Header.Get("Allow"))
			}
			// Refused before the client was authenticated: the code is still good.
			if status, body := rp.token(t, code); status != http.StatusOK {
				t.Fatalf("the right exchange afterwards: %d %v", status, body)
			}
		})
	}

	t.Run("discovery lists only what exists", func(t *testing.T) {
		t.Parallel()
		resp, err := http.Get(w.e.URL + "/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var d map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
			t.Fatal(err)
		}
		endpoints := map[string]bool{}
		for k, v := range d {
			if !strings.HasSuffix(k, "_endpoint") && k != "jwks_uri" {
				continue
			}
			endpoints[strings.TrimSuffix(k, "_endpoint")] = true
			u, _ := v.(string)
			r, err := http.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if r.StatusCode == http.StatusNotFound {
				t.Errorf("%s %s answers 404", k, u)
			}
		}
		for k := range d {
			for _, prefix := range []string{"revocation_", "introspection_", "device_authorization_", "token_endpoint_auth_signing",
				"request_object_", "check_session"} {
				if strings.HasPrefix(k, prefix) {
					t.Errorf("discovery lists %s = %v, for something we do not do", k, d[k])
				}
			}
			if before, _, ok := strings.Cut(k, "_endpoint_"); ok && !endpoints[before] {
				t.Errorf("discovery lists %s for an endpoint it does not list", k)
			}
		}
		if got := mustJSON(d["token_endpoint_auth_methods_supported"]); got != `["client_secret_post"]` {
			t.Errorf("token_endpoint_auth_methods_supported = %s", got)
		}
	})

	t.Run("no CORS on the back channel", func(t *testing.T) {
		t.Parallel()
		for _, path := range []string{"/token/", "/userinfo/", "/jwks", "/.well-known/openid-configuration"} {
			for _, method := range []string{http.MethodOptions, http.MethodPost, http.MethodGet} {
				req, _ := http.NewRequest(method, w.e.URL+path, strings.NewReader("grant_type=authorization_code"))
				req.Header.Set("Origin", "https://evil.example")
				req.Header.Set("Access-Control-Request-Method", http.MethodPost)
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, _ := send(t, req)
				for k := range resp.Header {
					if strings.HasPrefix(strings.ToLower(k), "access-control-") {
						t.Errorf("%s %s: %s: %s", method, path, k, resp.Header.Get(k))
					}
				}
			}
		}
	})
}

// TestFIPKCE: only S256, with a challenge of 43 to 128 characters (RFC 7636 §4.2).
func TestFIPKCE(t *testing.T) {
	t.Parallel()
	w := newFIWorld(t)
	rp := fcClient(t, w.e, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	verifier := apptest.RandomHex(t)
	sum := sha256.Sum256([]byte(verifier))
	s256 := base64.RawURLEncoding.EncodeToString(sum[:])
	refused := []struct {
		name              string
		method, challenge string
	}{
		{"plain", "plain", strings.Repeat("p", 43)},
		{"no method (plain by default)", "", strings.Repeat("p", 43)},
		{"5-character challenge", "S256", "abcde"},
		{"42-character challenge", "S256", strings.Repeat("c", 42)},
		{"129-character challenge", "S256", strings.Repeat("c", 129)},
		{"challenge outside the unreserved characters", "S256", strings.Repeat("c", 42) + "+"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := rp.authorizeParams(apptest.RandomHex(t), apptest.RandomHex(t), "famille")
			q.Set("code_challenge", tc.challenge)
			if tc.method != "" {
				q.Set("code_challenge_method", tc.method)
			}
			got := authorizeError(t, w.b.Clone(t), rp.authorizeURL(q))
			if got.Get("error") != "invalid_request" || got.Get("code") != "" {
				t.Fatalf("callback %v, want invalid_request", got)
			}
		})
	}
	t.Run("S256 with a 43-character challenge", func(t *testing.T) {
		t.Parallel()
		code, _ := w.code(t, w.b.Clone(t), rp, func(q url.Values) {
			q.Set("code_challenge", s256)
			q.Set("code_challenge_method", "S256")
		})
		if status, body := rp.token(t, code, func(f url.Values) { f.Set("code_verifier", verifier) }); status != http.StatusOK {
			t.Fatalf("right verifier: %d %v", status, body)
		}
	})
	t.Run("discovery says S256 only", func(t *testing.T) {
		t.Parallel()
		resp, err := http.Get(w.e.URL + "/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var d map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
			t.Fatal(err)
		}
		if got := mustJSON(d["code_challenge_methods_supported"]); got != `["S256"]` {
			t.Errorf("code_challenge_methods_supported = %s", got)
		}
	})
}

// TestFIRepScopeVocabulary: FranceConnect's labels match whatever their case and accents, the
// ID token says the démarche as the request spelt it, values that name no démarche are
// ignored; when none names one, the aidant is told and returns to the service, which gets
// access_denied.
func TestFIRepScopeVocabulary(t *testing.T) {
	t.Parallel()
	w := newFIWorld(t)
	rp := fcClient(t, w.e, "franceconnect", store.AlgES256, store.UserinfoJSON, store.RepScopeLabels())
	t.Run("spellings of FranceConnect's scenarios", func(t *testing.T) {
		t.Parallel()
		b := w.b.Clone(t)
		nonce := apptest.RandomHex(t)
		q := rp.authorizeParams(apptest.RandomHex(t), nonce, "FAMILLE-SCOLARITE", "Etranger-Europe", "Démarche-Inconnue")
		id := startFI(t, b, rp.authorizeURL(q))
		step1 := b.Get("/select_usager/?id=" + id)
		if !strings.Contains(step1.Body, "« Famille - Scolarité »") || !strings.Contains(step1.Body, "« Étranger - Europe »") ||
			!strings.Contains(step1.Body, "Angela") || strings.Contains(step1.Body, "Carlos") {
			t.Fatalf("step 1: %s", step1.Body)
		}
		b.Post("/select_usager/", url.Values{"id": {id}, "usager": {itoa(w.angela.ID)}})
		cb := chooseDemarche(t, b, id, "famille")
		status, tok := rp.token(t, cb.Get("code"))
		if status != http.StatusOK {
			t.Fatalf("token: %d %v", status, tok)
		}
		rp.checkIDToken(t, tok, nonce, []string{"FAMILLE-SCOLARITE"})
	})
	t.Run("no value names a démarche", func(t *testing.T) {
		t.Parallel()
		b := w.b.Clone(t)
		state := apptest.RandomHex(t)
		r := b.Get(rp.authorizeURL(rp.authorizeParams(state, apptest.RandomHex(t), "Démarche-Inconnue", "famille")))
		if r.Status != http.StatusFound || !strings.HasPrefix(r.Location, "/select_usager/?id=") {
			t.Fatalf("authorize: %d %q", r.Status, r.Location)
		}
		id := flowID.FindStringSubmatch(r.Location)[1]
		page := b.Get(r.Location)
		d := parseHTML(t, page.Body)
		if page.Status != http.StatusOK || !strings.Contains(words(d.Find("main")), "Aucune démarche de ce site n'est couverte") ||
			d.Find(`form[action="/select_usager/"]`).Length() != 0 || strings.Contains(page.Body, "Angela") {
			t.Fatalf("page: %d %s", page.Status, page.Body)
		}
		back := d.Find(`form[action="/annuler_connexion/"]`)
		if back.Length() != 1 || !strings.Contains(back.Text(), "Revenir au service en ligne") {
			t.Fatalf("no way back to the service: %s", page.Body)
		}
		// A forged post cannot choose anyone all the same.
		if r := b.Post("/select_usager/", url.Values{"id": {id}, "usager": {itoa(w.angela.ID)}}); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("usager chosen for a rep_scope naming no démarche: %d", r.Status)
		}
		r = b.Post("/annuler_connexion/", url.Values{"id": {id}})
		u, _ := url.Parse(r.Location)
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, fcCallback+"?") || u.Query().Get("error") != "access_denied" ||
			u.Query().Get("state") != state || u.Query().Get("code") != "" {
			t.Fatalf("back to the service: %d %q", r.Status, r.Location)
		}
	})
}
