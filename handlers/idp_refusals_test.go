package handlers_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/store"
)

func (w *fiWorld) code(t *testing.T, b *apptest.Browser, rp *fcRP, tweak ...func(url.Values)) (string, string) {
	t.Helper()
	nonce := apptest.RandomHex(t)
	q := rp.authorizeParams(apptest.RandomHex(t), nonce, "famille")
	for _, f := range tweak {
		f(q)
	}
	return fiLogin(t, b, rp.authorizeURL(q), w.angela, "famille").Get("code"), nonce
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
	rp := fcClient(t, w.e, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	other := fcClient(t, w.e, "autre-fs", store.AlgHS256, store.UserinfoJSON, nil)
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
			code, _ := w.code(t, w.b.Clone(t), rp)
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
		code, _ := w.code(t, w.b.Clone(t), rp)
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
		verifier := apptest.RandomHex(t)
		sum := sha256.Sum256([]byte(verifier))
		challenge := func(q url.Values) {
			q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
			q.Set("code_challenge_method", "S256")
		}
		b := w.b.Clone(t)
		code, _ := w.code(t, b, rp, challenge)
		status, body := rp.token(t, code, func(f url.Values) { f.Set("code_verifier", apptest.RandomHex(t)) })
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
	rp := fcClient(t, w.e, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
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
		rp := fcClient(t, w.e, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
		id := startFI(t, w.b, rp.authorizeURL(rp.authorizeParams(apptest.RandomHex(t), apptest.RandomHex(t))))
		w.b.Post("/select_usager/", url.Values{"id": {id}, "usager": {itoa(w.angela.ID)}})
		w.e.Clock.Advance(store.IdPFlowTTL)
		for _, r := range []apptest.Page{w.b.Get("/select_usager/?id=" + id), w.b.Get("/select_demarche/?id=" + id),
			w.b.Post("/select_demarche/", url.Values{"id": {id}, "demarche": {"famille"}})} {
			if r.Status != http.StatusGone || !strings.Contains(r.Body, "La connexion a expiré") {
				t.Errorf("after 5 minutes: %d", r.Status)
			}
		}
		if r := w.b.Get("/select_usager/resultats/?id=" + id + "&q=an"); r.Status != http.StatusGone ||
			!strings.Contains(r.Body, "La connexion a expiré") || strings.Contains(r.Body, "<html") {
			t.Errorf("search after 5 minutes: %d %s", r.Status, r.Body)
		}
	})
	t.Run("expired code", func(t *testing.T) {
		t.Parallel()
		w := newFIWorld(t)
		rp := fcClient(t, w.e, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
		code, _ := w.code(t, w.b, rp)
		w.e.Clock.Advance(store.IdPCodeTTL)
		status, body := rp.token(t, code)
		wantOIDCError(t, status, body, http.StatusBadRequest, "invalid_grant")
	})
	t.Run("expired bearer", func(t *testing.T) {
		t.Parallel()
		w := newFIWorld(t)
		rp := fcClient(t, w.e, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
		code, _ := w.code(t, w.b, rp)
		_, tok := rp.token(t, code)
		w.e.Clock.Advance(time.Duration(num(t, tok, "expires_in")) * time.Second)
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
	rp := fcClient(t, w.e, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	state := apptest.RandomHex(t)
	authURL := rp.authorizeURL(rp.authorizeParams(state, apptest.RandomHex(t), "famille"))
	// Active all along (pages every few minutes), but no code proved for 16 minutes.
	for i := 0; i < 4; i++ {
		w.e.Clock.Advance(4 * time.Minute)
		if r := w.b.Get("/espace-aidant/"); r.Status != http.StatusOK {
			t.Fatalf("espace aidant: %d", r.Status)
		}
	}
	r := w.b.Get(authURL)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/activity_check/?next=") {
		t.Fatalf("prompt=login without a recent code: %d %q", r.Status, r.Location)
	}
	next, _ := url.QueryUnescape(strings.TrimPrefix(r.Location, "/activity_check/?next="))
	if r := w.b.Post("/activity_check/", url.Values{"otp_token": {w.e.Code(w.aidant)}, "next": {next}}); r.Status != http.StatusSeeOther ||
		w.e.URL+r.Location != authURL {
		t.Fatalf("activity check: %d %q, want back to %s", r.Status, r.Location, authURL)
	}
	cb := chooseDemarche(t, w.b, func() string {
		id := startFI(t, w.b, authURL)
		w.b.Post("/select_usager/", url.Values{"id": {id}, "usager": {itoa(w.angela.ID)}})
		return id
	}(), "famille")
	if cb.Get("state") != state {
		t.Fatalf("callback %v", cb)
	}
	if n := w.e.Count("idp_flows"); n != 1 {
		t.Errorf("%d flows: the detour must not create one", n)
	}
}

// TestFILoginFirst: an aidant not logged in logs in, then comes back to the same request.
func TestFILoginFirst(t *testing.T) {
	t.Parallel()
	w := newFIWorld(t)
	rp := fcClient(t, w.e, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	authURL := rp.authorizeURL(rp.authorizeParams(apptest.RandomHex(t), apptest.RandomHex(t)))
	b := w.e.Browser()
	r := b.Get(authURL)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/accounts/login/?next=") {
		t.Fatalf("anonymous: %d %q", r.Status, r.Location)
	}
	next, _ := url.QueryUnescape(strings.TrimPrefix(r.Location, "/accounts/login/?next="))
	r = b.Post("/accounts/login/", url.Values{"email": {w.aidant.Aidant.Email}, "otp_token": {w.e.Code(w.aidant)}, "next": {next}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("login: %d", r.Status)
	}
	token := strings.TrimSuffix(strings.TrimPrefix(w.e.LastLoginLink(), "/chargement/code/"), "/")
	r = b.Post("/code/"+token+"/", nil)
	if r.Status != http.StatusSeeOther || w.e.URL+r.Location != authURL {
		t.Fatalf("after login: %d %q, want %s", r.Status, r.Location, authURL)
	}
	startFI(t, b, authURL)
	if n := w.e.Count("idp_flows"); n != 1 {
		t.Errorf("%d flows, want 1", n)
	}
}

// TestFIRepScopeOutsideOrganisation: a rep_scope naming only démarches the organisation does
// not offer goes back to the client as access_denied.
func TestFIRepScopeOutsideOrganisation(t *testing.T) {
	t.Parallel()
	w := newFIWorld(t)
	rp := fcClient(t, w.e, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	if _, err := w.e.App.DB.NewUpdate().Table("organisations").Set("allowed_demarches = ARRAY['famille','papiers','argent']").
		Where("id = ?", w.org.ID).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	state := apptest.RandomHex(t)
	r := w.b.Get(rp.authorizeURL(rp.authorizeParams(state, apptest.RandomHex(t), "justice", "loisirs")))
	r = w.b.Get(r.Location)
	u, _ := url.Parse(r.Location)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, fcCallback+"?") || u.Query().Get("error") != "access_denied" ||
		u.Query().Get("state") != state {
		t.Fatalf("rep_scope outside the organisation: %d %q", r.Status, r.Location)
	}
	// Partly outside: only what the organisation offers is proposed.
	id := startFI(t, w.b, rp.authorizeURL(rp.authorizeParams(apptest.RandomHex(t), apptest.RandomHex(t), "justice", "famille")))
	if r := w.b.Get("/select_usager/?id=" + id); !strings.Contains(r.Body, "« Famille - Scolarité »") || strings.Contains(r.Body, "Justice") {
		t.Errorf("step 1 offers: %s", r.Body)
	}
}

// TestFIAidantWithoutMandatRight: an aidant who may not act for usagers is refused at once.
func TestFIAidantWithoutMandatRight(t *testing.T) {
	t.Parallel()
	w := newFIWorld(t)
	rp := fcClient(t, w.e, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	if _, err := w.e.App.DB.NewUpdate().Table("aidants").Set("can_create_mandats = false").
		Where("id = ?", w.aidant.Aidant.ID).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := w.b.Get(rp.authorizeURL(rp.authorizeParams(apptest.RandomHex(t), apptest.RandomHex(t))))
	if r.Status != http.StatusForbidden || r.Location != "" || !strings.Contains(r.Body, "ne permet pas d&#39;agir") {
		t.Fatalf("aidant without the right: %d %q", r.Status, r.Location)
	}
}

// TestFILogout is FranceConnect's end_session call.
func TestFILogout(t *testing.T) {
	t.Parallel()
	w := newFIWorld(t)
	es := fcClient(t, w.e, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	hs := fcClient(t, w.e, "fc-hs256", store.AlgHS256, store.UserinfoJSON, nil)
	hint := func(rp *fcRP) string {
		code, _ := w.code(t, w.b, rp)
		_, tok := rp.token(t, code)
		return tok["id_token"].(string)
	}
	esHint, hsHint := hint(es), hint(hs)
	w.e.Clock.Advance(time.Hour) // hints are usually expired: still fine
	state := apptest.RandomHex(t)
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
				r := w.e.Browser().Get(path + "?" + tc.q.Encode())
				switch {
				case tc.ok && (r.Status != http.StatusFound || r.Location != fcLogoutCallback+"?state="+state):
					t.Errorf("%s: %d %q", path, r.Status, r.Location)
				case !tc.ok && (r.Status != http.StatusBadRequest || r.Location != "" || !strings.Contains(r.Body, "Déconnexion impossible")):
					t.Errorf("%s: want the local page; got %d %q", path, r.Status, r.Location)
				}
			}
		})
	}
}

// TestFILoad measures full FI logins — FranceConnect's redirect, step 1, the usager, step 2,
// the démarche, the code, /token, /userinfo — with many aidants at once, each with their own
// session, over real HTTP on 127.0.0.1. It is a bounded load script, not a check: it runs
// only when AC_FI_LOAD gives the number of logins per concurrency level (BENCHMARKS.md).
