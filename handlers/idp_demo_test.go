package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
)

// The demo service site of the bac à sable: the simulator, as FranceConnect's broker, logs in
// through our own FI, the aidant going through the real pages.

// demoStart opens the demo site, follows its FranceConnect button to our FI and returns the
// FI flow id and the state sent.
func demoStart(t *testing.T, b *apptest.Browser) (id, state string) {
	t.Helper()
	home := b.Get("/fcsim/demo/")
	if home.Status != http.StatusOK || !strings.Contains(home.Body, `<html lang="fr">`) || !strings.Contains(home.Body, `<main id="contenu"`) ||
		!strings.Contains(home.Body, "<h1>Démarche en ligne (démonstration)</h1>") ||
		!strings.Contains(home.Body, `<a class="fr-connect" href="/fcsim/demo/connexion"><span class="fr-connect__login">S'identifier avec</span> <span class="fr-connect__brand">FranceConnect</span></a>`) {
		t.Fatalf("demo home: %d %s", home.Status, home.Body)
	}
	if strings.Contains(home.Body, "<script") || strings.Contains(home.Body, "<style") || strings.Contains(home.Body, " style=") {
		t.Errorf("the demo home has inline script or style")
	}
	// FranceConnect's identity-provider choice first: Aidants Connect is the one offered.
	choice := b.Get("/fcsim/demo/connexion")
	if choice.Status != http.StatusOK || !strings.Contains(choice.Body, "Je choisis un compte pour me connecter") ||
		!strings.Contains(choice.Body, `<form method="get" action="/fcsim/demo/connexion">`) ||
		!strings.Contains(choice.Body, `<button class="fr-btn" type="submit" name="fi" value="aidants-connect">Aidants Connect</button>`) {
		t.Fatalf("identity-provider choice: %d %s", choice.Status, choice.Body)
	}
	r := b.Get("/fcsim/demo/connexion?fi=aidants-connect")
	if r.Status != http.StatusFound || !strings.HasPrefix(r.Location, b.Env.URL+"/authorize?") {
		t.Fatalf("demo login: %d %q", r.Status, r.Location)
	}
	u, _ := url.Parse(r.Location)
	q := u.Query()
	want := map[string]string{"response_type": "code", "client_id": app.DemoBrokerID, "redirect_uri": b.Env.URL + "/fcsim/demo/callback",
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
	return startFI(t, b, r.Location), q.Get("state")
}

func TestDemoServiceSite(t *testing.T) {
	w := newFIWorld(t)
	e := w.e
	callback := e.URL + "/fcsim/demo/callback?"

	t.Run("the whole loop", func(t *testing.T) {
		b := w.b.Clone(t)
		id, state := demoStart(t, b)
		r := b.Post("/select_usager/", url.Values{"id": {id}, "usager": {itoa(w.angela.ID)}})
		if r.Status != http.StatusSeeOther || r.Location != "/select_demarche/?id="+id {
			t.Fatalf("usager choice: %d %q %s", r.Status, r.Location, r.Body)
		}
		step2 := b.Get(r.Location)
		if step2.Status != http.StatusOK || !strings.Contains(step2.Body, "Étape 2 sur 2") {
			t.Fatalf("step 2: %d %s", step2.Status, step2.Body)
		}
		// Same origin: form-action 'self' already lets the choice redirect to the broker.
		if csp := step2.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self'") {
			t.Errorf("step 2 CSP: %q", csp)
		}
		r = b.Post("/select_demarche/", url.Values{"id": {id}, "demarche": {"famille"}})
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, callback) {
			t.Fatalf("démarche choice: %d %q %s", r.Status, r.Location, r.Body)
		}
		if u, _ := url.Parse(r.Location); u.Query().Get("state") != state || u.Query().Get("code") == "" {
			t.Fatalf("callback URL %q", r.Location)
		}
		res := b.Get(r.Location)
		name := w.angela.GivenName + " " + w.angela.FamilyName
		if res.Status != http.StatusOK || !strings.Contains(res.Body, "Vous êtes connecté pour le compte de "+name) ||
			!strings.Contains(res.Body, "Démarche autorisée : Famille - Scolarité") || !strings.Contains(res.Body, "<th scope=\"row\"><code>birthdate</code></th>") ||
			!strings.Contains(res.Body, "<td>"+w.angela.Birthdate.Format("2006-01-02")+"</td>") {
			t.Fatalf("demo callback: %d %s", res.Status, res.Body)
		}
		if len(useAutorisations(t, e, w.org.ID)) != 1 {
			t.Errorf("the demo's userinfo call should journal one use_autorisation")
		}
		// A state is spent once: the same callback again is refused.
		if again := b.Get(r.Location); again.Status != http.StatusBadRequest || !strings.Contains(again.Body, "inconnue ou expirée") ||
			!strings.Contains(again.Body, `href="/fcsim/demo/"`) {
			t.Errorf("replayed callback: %d %s", again.Status, again.Body)
		}
	})

	t.Run("the aidant cancels", func(t *testing.T) {
		b := w.b.Clone(t)
		id, _ := demoStart(t, b)
		r := b.Post("/annuler_connexion/", url.Values{"id": {id}})
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, callback) || !strings.Contains(r.Location, "error=access_denied") {
			t.Fatalf("cancel: %d %q", r.Status, r.Location)
		}
		res := b.Get(r.Location)
		if res.Status != http.StatusOK || !strings.Contains(res.Body, "Connexion annulée") ||
			!strings.Contains(res.Body, `<a class="fr-btn fr-btn--secondary" href="/fcsim/demo/">Recommencer la connexion</a>`) {
			t.Fatalf("cancelled callback: %d %s", res.Status, res.Body)
		}
	})

	t.Run("a callback from another browser is refused", func(t *testing.T) {
		b := w.b.Clone(t)
		id, _ := demoStart(t, b)
		b.Post("/select_usager/", url.Values{"id": {id}, "usager": {itoa(w.angela.ID)}})
		r := b.Post("/select_demarche/", url.Values{"id": {id}, "demarche": {"argent"}})
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, callback) {
			t.Fatalf("démarche choice: %d %q", r.Status, r.Location)
		}
		if res := e.Browser().Get(r.Location); res.Status != http.StatusBadRequest || strings.Contains(res.Body, "Vous êtes connecté") {
			t.Errorf("foreign callback: %d %s", res.Status, res.Body)
		}
	})
}

func TestDemoServiceSiteNotInProduction(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t, func(c *app.Config) {
		c.Mode = app.ModeProduction
		c.FCIssuer, c.FCClientID, c.FCClientSecret = "https://franceconnect.invalid/api/v2", "id", "secret"
		c.SMTPURL, c.MailFrom = "smtp://127.0.0.1:9", "a@example.fr"
	})
	for _, path := range []string{"/fcsim/demo/", "/fcsim/demo/connexion", "/fcsim/demo/callback?code=x&state=y"} {
		if r := e.Browser().Get(path); r.Status != http.StatusNotFound {
			t.Errorf("production %s → %d, want 404", path, r.Status)
		}
	}
	if _, err := e.App.Store.GetIdPClient(t.Context(), app.DemoBrokerID); err == nil {
		t.Errorf("production registers the demo broker")
	}
}
