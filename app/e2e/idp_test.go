package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/idp"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/store/storetest"
)

// The aidant's side of a FranceConnect login for a usager, in a real browser: log in from
// FranceConnect's redirect, step 1 (live search, full list), step 2 (démarche tiles), the
// code back at the service; cancel at both steps; with and without JavaScript; axe on each page.

// fiSetup is a server with the demo aidant's organisation holding three mandats, and a
// relying party playing FranceConnect, whose callback is a local page.
type fiSetup struct {
	srv            *apptest.Env
	rp             *httptest.Server
	clientID       string
	secret         string
	angela, carlos *store.Usager
}

func newFISetup(t *testing.T) *fiSetup {
	t.Helper()
	s := &fiSetup{srv: startServer(t), clientID: "franceconnect"}
	s.register(t)
	return s
}

// register starts the relying party, registers it as a client and gives the demo aidant's
// organisation the three mandats.
func (s *fiSetup) register(t *testing.T) {
	t.Helper()
	s.rp = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="fr"><head><title>FranceConnect (test)</title></head><body><main>
<h1 id="rp-done">Retour chez FranceConnect</h1><p id="rp-query">%s</p></main></body></html>`, html.EscapeString(r.URL.RawQuery))
	}))
	t.Cleanup(s.rp.Close)
	ctx := context.Background()
	st := s.srv.App.Store
	secret, err := idp.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	s.secret = secret
	if _, err := st.CreateIdPClient(ctx, store.IdPClientInput{ID: s.clientID, Secret: secret, RedirectURIs: []string{s.rp.URL + "/callback"},
		Source: "cli"}); err != nil {
		t.Fatal(err)
	}
	aidant, err := st.FindAidantByEmail(ctx, app.DemoAidantEmail)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(id store.FCIdentity, demarches ...string) *store.Usager {
		_, u := storetest.Mandat(t, st, aidant, id, "LONG", demarches...)
		return u
	}
	s.angela = mk(store.FCIdentity{Sub: "angela", GivenName: "Angela Claire Louise", FamilyName: "Dubois", PreferredUsername: "Martin",
		Birthdate: "1962-08-24", Gender: "female", Birthplace: "75107", Birthcountry: "99100", Email: "angela@example.com"}, "famille", "argent")
	s.carlos = mk(store.FCIdentity{Sub: "carlos", GivenName: "Carlos", FamilyName: "García López", Birthdate: "1979-01-17",
		Gender: "male", Birthcountry: "99134", Email: "carlos@example.com"}, "papiers", "famille")
	mk(store.FCIdentity{Sub: "lea", GivenName: "Léa", FamilyName: "Lefèvre-Nguyen", Birthdate: "1991-06-30", Gender: "female",
		Birthplace: "13055", Birthcountry: "99100", Email: "lea@example.com"}, "social")
}

// authorizeURL is FranceConnect v2's request, rep_scope famille.
func (s *fiSetup) authorizeURL(t *testing.T, state string) string {
	return s.authorizeURLFor(t, state, "famille")
}

// authorizeURLFor is FranceConnect v2's request for the démarches given (rep_scope).
func (s *fiSetup) authorizeURLFor(t *testing.T, state string, demarches ...string) string {
	values, _ := json.Marshal(demarches)
	q := url.Values{"response_type": {"code"}, "client_id": {s.clientID}, "redirect_uri": {s.rp.URL + "/callback"},
		"scope": {"openid profile email birth"}, "acr_values": {"eidas1"}, "state": {state}, "nonce": {apptest.RandomHex(t)},
		"prompt": {"login"}, "claims": {`{"id_token":{"rep_scope":{"essential":true,"values":` + string(values) + `}}}`}}
	return s.srv.URL + "/authorize/?" + q.Encode()
}

// loginFrom logs the demo aidant in from the login page FranceConnect's redirect led to.
func (s *fiSetup) loginFrom(t *testing.T, ctx context.Context, noJS bool) {
	t.Helper()
	if u := currentURL(t, ctx); !strings.Contains(u, "/accounts/login/?next=%2Fauthorize%2F%3F") {
		t.Fatalf("not sent to log in first: %s", u)
	}
	submitDemoLogin(t, ctx, s.srv, noJS)
}

// back reads the query FranceConnect's callback page received.
func back(t *testing.T, ctx context.Context) url.Values {
	t.Helper()
	waitVisible(t, ctx, "#rp-done")
	q, err := url.ParseQuery(textOf(t, ctx, "#rp-query"))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func (s *fiSetup) exchange(t *testing.T, code string) {
	t.Helper()
	resp, err := http.PostForm(s.srv.URL+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {s.rp.URL + "/callback"}, "client_id": {s.clientID}, "client_secret": {s.secret}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	if resp.StatusCode != http.StatusOK || tok["id_token"] == nil {
		t.Fatalf("token: %d %v", resp.StatusCode, tok)
	}
}

func TestFIAidantSteps(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		s := newFISetup(t)
		state := apptest.RandomHex(t)

		// Not logged in: the login first, then back to the same request.
		navigate(t, ctx, s.authorizeURL(t, state))
		s.loginFrom(t, ctx, noJS)
		waitVisible(t, ctx, "#idp-search")
		if got := textOf(t, ctx, ".fr-stepper__state"); got != "Étape 1 sur 2" {
			t.Fatalf("stepper: %q", got)
		}
		assertAxe(t, ctx, "étape 1, liste complète")
		// The full list holds the two people with a famille mandat, not Léa (social only).
		list := textOf(t, ctx, "#idp-results")
		if !strings.Contains(list, "Angela Claire Louise MARTIN (née DUBOIS)") || !strings.Contains(list, "Carlos GARCÍA LÓPEZ") || strings.Contains(list, "Léa") {
			t.Fatalf("full list: %q", list)
		}

		// Search, accents ignored.
		if noJS {
			typeInto(t, ctx, "#idp-search", "garcia")
			clickNavigate(t, ctx, "form[role=search] button[type=submit]")
		} else {
			typeInto(t, ctx, "#idp-search", "garcia")
			waitJS(t, ctx, `!document.querySelector('#idp-results').textContent.includes('MARTIN')`)
			if got := textOf(t, ctx, "#idp-search-status"); got != "1 personne." {
				t.Errorf("status line: %q", got)
			}
		}
		if got := textOf(t, ctx, "#idp-results"); !strings.Contains(got, "Carlos GARCÍA LÓPEZ") || strings.Contains(got, "MARTIN") {
			t.Fatalf("search results: %q", got)
		}
		assertAxe(t, ctx, "étape 1, recherche")
		if !noJS { // one character: a hint, no query
			typeInto(t, ctx, "#idp-search", "g")
			waitJS(t, ctx, `document.querySelector('#idp-results').textContent.includes('au moins 2 caractères')`)
			typeInto(t, ctx, "#idp-search", "")
			waitJS(t, ctx, `document.querySelector('#idp-results').textContent.includes('MARTIN')`)
		} else {
			navigate(t, ctx, s.srv.URL+"/select_usager/?id="+url.QueryEscape(flowOf(t, ctx)))
		}

		// Step 2 for Angela, from the full list.
		clickOrSwap(t, ctx, noJS, fmt.Sprintf("button[name=usager][value='%d']", s.angela.ID), ".fr-tile")
		if got := textOf(t, ctx, ".fr-stepper__state"); got != "Étape 2 sur 2" {
			t.Fatalf("stepper: %q", got)
		}
		if tiles := textOf(t, ctx, "#demarche"); !strings.Contains(tiles, "Famille - Scolarité") || strings.Contains(tiles, "Argent") {
			t.Fatalf("tiles (famille asked): %q", tiles)
		}
		assertAxe(t, ctx, "étape 2")
		// "Changer de personne" goes back to step 1 of the same flow.
		clickOrSwap(t, ctx, noJS, "a.fr-icon-arrow-left-line", "#idp-search")
		clickOrSwap(t, ctx, noJS, fmt.Sprintf("button[name=usager][value='%d']", s.angela.ID), ".fr-tile")

		// The démarche ends the flow at FranceConnect, with the code and the state. Without
		// JavaScript this is a form POST redirected to another origin: the page's
		// form-action names it, or Chrome would block it.
		click(t, ctx, "button[name=demarche][value=famille]")
		q := back(t, ctx)
		if q.Get("state") != state || q.Get("code") == "" || q.Has("error") {
			t.Fatalf("back at FranceConnect with %v", q)
		}
		s.exchange(t, q.Get("code"))

		// Cancel at step 1, then at step 2: access_denied with the state.
		for step := 1; step <= 2; step++ {
			state := apptest.RandomHex(t)
			navigate(t, ctx, s.authorizeURL(t, state))
			waitVisible(t, ctx, "#idp-search")
			if step == 2 {
				clickOrSwap(t, ctx, noJS, fmt.Sprintf("button[name=usager][value='%d']", s.carlos.ID), ".fr-tile")
			}
			click(t, ctx, "form[action='/annuler_connexion/'] button[type=submit]")
			if q := back(t, ctx); q.Get("error") != "access_denied" || q.Get("state") != state || q.Has("code") {
				t.Fatalf("cancel at step %d: %v", step, q)
			}
		}
	})
}

// clickOrSwap clicks and waits for what the next page (or the swapped content) shows.
func clickOrSwap(t *testing.T, ctx context.Context, noJS bool, sel, then string) {
	t.Helper()
	if noJS {
		if status := clickNavigate(t, ctx, sel); status != http.StatusOK {
			t.Fatalf("after %s: status %d", sel, status)
		}
	} else {
		click(t, ctx, sel)
	}
	waitVisible(t, ctx, then)
}

// flowOf reads the flow id from the page's hidden field.
func flowOf(t *testing.T, ctx context.Context) string {
	t.Helper()
	u, err := url.Parse(currentURL(t, ctx))
	if err != nil || u.Query().Get("id") == "" {
		t.Fatalf("no flow id in %s", currentURL(t, ctx))
	}
	return u.Query().Get("id")
}
