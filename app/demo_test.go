package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The demo service site of the bac à sable: the simulator, as FranceConnect's broker, logs in
// through our own FI, the aidant going through the real pages.

// demoStart opens the demo site, follows its FranceConnect button to our FI and returns the
// FI flow id and the state sent.
func demoStart(t *testing.T, b *browser) (id, state string) {
	t.Helper()
	home := b.get("/fcsim/demo/")
	if home.status != http.StatusOK || !strings.Contains(home.body, `<html lang="fr">`) || !strings.Contains(home.body, "<main>") ||
		!strings.Contains(home.body, "<h1>Démarche en ligne (démonstration)</h1>") ||
		!strings.Contains(home.body, `<a href="/fcsim/demo/connexion">S'identifier avec FranceConnect</a>`) {
		t.Fatalf("demo home: %d %s", home.status, home.body)
	}
	if strings.Contains(home.body, "<script") || strings.Contains(home.body, "style") {
		t.Errorf("the demo home has inline script or style")
	}
	r := b.get("/fcsim/demo/connexion")
	if r.status != http.StatusFound || !strings.HasPrefix(r.location, b.e.base+"/authorize?") {
		t.Fatalf("demo login: %d %q", r.status, r.location)
	}
	u, _ := url.Parse(r.location)
	q := u.Query()
	want := map[string]string{"response_type": "code", "client_id": DemoBrokerID, "redirect_uri": b.e.base + "/fcsim/demo/callback",
		"scope": "openid profile email birth", "acr_values": "eidas1", "prompt": "login",
		"claims": `{"id_token":{"rep_scope":{"essential":true}}}`}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("authorize %s = %q, want %q", k, q.Get(k), v)
		}
	}
	if !hex64.MatchString(q.Get("state")) || !hex64.MatchString(q.Get("nonce")) || q.Get("state") == q.Get("nonce") {
		t.Errorf("state %q, nonce %q: want 64 hex digits each", q.Get("state"), q.Get("nonce"))
	}
	return b.startFI(t, r.location), q.Get("state")
}

func TestDemoServiceSite(t *testing.T) {
	w := newFIWorld(t)
	e := w.e
	callback := e.base + "/fcsim/demo/callback?"

	t.Run("the whole loop", func(t *testing.T) {
		b := w.b.clone(t)
		id, state := demoStart(t, b)
		r := b.post("/select_usager/", url.Values{"id": {id}, "usager": {strconvFormat(w.angela.ID)}})
		if r.status != http.StatusSeeOther || r.location != "/select_demarche/?id="+id {
			t.Fatalf("usager choice: %d %q %s", r.status, r.location, r.body)
		}
		step2 := b.get(r.location)
		if step2.status != http.StatusOK || !strings.Contains(step2.body, "Étape 2 sur 2") {
			t.Fatalf("step 2: %d %s", step2.status, step2.body)
		}
		// Same origin: form-action 'self' already lets the choice redirect to the broker.
		if csp := step2.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self'") {
			t.Errorf("step 2 CSP: %q", csp)
		}
		r = b.post("/select_demarche/", url.Values{"id": {id}, "demarche": {"famille"}})
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, callback) {
			t.Fatalf("démarche choice: %d %q %s", r.status, r.location, r.body)
		}
		if u, _ := url.Parse(r.location); u.Query().Get("state") != state || u.Query().Get("code") == "" {
			t.Fatalf("callback URL %q", r.location)
		}
		res := b.get(r.location)
		name := w.angela.GivenName + " " + w.angela.FamilyName
		if res.status != http.StatusOK || !strings.Contains(res.body, "Vous êtes connecté pour le compte de "+name) ||
			!strings.Contains(res.body, "Démarche autorisée : famille") || !strings.Contains(res.body, "<dt>birthdate</dt>") ||
			!strings.Contains(res.body, "<dd>"+w.angela.Birthdate.Format("2006-01-02")+"</dd>") {
			t.Fatalf("demo callback: %d %s", res.status, res.body)
		}
		if len(useAutorisations(t, e, w.org.ID)) != 1 {
			t.Errorf("the demo's userinfo call should journal one use_autorisation")
		}
		// A state is spent once: the same callback again is refused.
		if again := b.get(r.location); again.status != http.StatusBadRequest || !strings.Contains(again.body, "inconnue ou expirée") ||
			!strings.Contains(again.body, `href="/fcsim/demo/"`) {
			t.Errorf("replayed callback: %d %s", again.status, again.body)
		}
	})

	t.Run("the aidant cancels", func(t *testing.T) {
		b := w.b.clone(t)
		id, _ := demoStart(t, b)
		r := b.post("/annuler_connexion/", url.Values{"id": {id}})
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, callback) || !strings.Contains(r.location, "error=access_denied") {
			t.Fatalf("cancel: %d %q", r.status, r.location)
		}
		res := b.get(r.location)
		if res.status != http.StatusOK || !strings.Contains(res.body, "Connexion annulée") ||
			!strings.Contains(res.body, `<a href="/fcsim/demo/">Recommencer la connexion</a>`) {
			t.Fatalf("cancelled callback: %d %s", res.status, res.body)
		}
	})

	t.Run("a callback from another browser is refused", func(t *testing.T) {
		b := w.b.clone(t)
		id, _ := demoStart(t, b)
		b.post("/select_usager/", url.Values{"id": {id}, "usager": {strconvFormat(w.angela.ID)}})
		r := b.post("/select_demarche/", url.Values{"id": {id}, "demarche": {"argent"}})
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, callback) {
			t.Fatalf("démarche choice: %d %q", r.status, r.location)
		}
		if res := e.browser().get(r.location); res.status != http.StatusBadRequest || strings.Contains(res.body, "Vous êtes connecté") {
			t.Errorf("foreign callback: %d %s", res.status, res.body)
		}
	})
}

func TestDemoServiceSiteNotInProduction(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) {
		c.Mode = ModeProduction
		c.FCIssuer, c.FCClientID, c.FCClientSecret = "https://franceconnect.invalid/api/v2", "id", "secret"
		c.SMTPURL, c.MailFrom = "smtp://127.0.0.1:9", "a@example.fr"
	})
	for _, path := range []string{"/fcsim/demo/", "/fcsim/demo/connexion", "/fcsim/demo/callback?code=x&state=y"} {
		if r := e.browser().get(path); r.status != http.StatusNotFound {
			t.Errorf("production %s → %d, want 404", path, r.status)
		}
	}
	if _, err := e.app.Store.GetIdPClient(t.Context(), DemoBrokerID); err == nil {
		t.Errorf("production registers the demo broker")
	}
}
