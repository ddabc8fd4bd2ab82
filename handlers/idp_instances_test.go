package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/idp"
	"github.com/aidantsconnect/ac/store"
)

// Two instances of the App on one database, as behind a load balancer: an FI login goes from
// one to the other at every step, a code is spent once across both, and a client's secret
// rotated through one stops working through the other at once.
func TestFITwoInstances(t *testing.T) {
	t.Parallel()
	w := newFIWorld(t) // instance A, with the aidant logged in and the usagers' mandats
	a := w.e
	b := apptest.Start(t, func(c *app.Config) { // instance B: A's database, A's clock
		c.DatabaseURL, c.MigrateDatabaseURL, c.Now = a.App.Cfg.DatabaseURL, a.App.Cfg.MigrateDatabaseURL, a.Clock.Now
	})
	rpA := fcClient(t, a, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	rpB := *rpA // the same client, talking to B
	rpB.e = b
	onB := &apptest.Browser{Env: b, T: t, Jar: w.b.Jar} // the aidant's session, sent to B

	// authorize on A, the choices on B, token on A, userinfo on B.
	state, nonce := apptest.RandomHex(t), apptest.RandomHex(t)
	r := w.b.Get(rpA.authorizeURL(rpA.authorizeParams(state, nonce, "famille")))
	if r.Status != http.StatusFound || !strings.HasPrefix(r.Location, "/select_usager/?id=") {
		t.Fatalf("authorize on A: %d %q", r.Status, r.Location)
	}
	id := flowID.FindStringSubmatch(r.Location)[1]
	if step1 := onB.Get(r.Location); step1.Status != http.StatusOK || !strings.Contains(step1.Body, w.angela.GivenName) {
		t.Fatalf("step 1 on B: %d", step1.Status)
	}
	if r := onB.Post("/select_usager/", url.Values{"id": {id}, "usager": {itoa(w.angela.ID)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("usager choice on B: %d %s", r.Status, r.Body)
	}
	if step2 := onB.Get("/select_demarche/?id=" + id); step2.Status != http.StatusOK || !strings.Contains(step2.Body, "Étape 2 sur 2") {
		t.Fatalf("step 2 on B: %d", step2.Status)
	}
	cb := chooseDemarche(t, onB, id, "famille")
	if cb.Get("state") != state {
		t.Fatalf("callback %v", cb)
	}
	status, tok := rpA.token(t, cb.Get("code"))
	if status != http.StatusOK {
		t.Fatalf("token on A: %d %v", status, tok)
	}
	rpA.checkIDToken(t, tok, nonce, []string{"famille"})
	resp, body := rpB.userinfo(t, "Bearer "+tok["access_token"].(string))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), w.angela.GivenName) {
		t.Fatalf("userinfo on B: %d %s", resp.StatusCode, body)
	}
	if uses := useAutorisations(t, a, w.org.ID); len(uses) != 1 {
		t.Fatalf("%d use_autorisation entries, want 1", len(uses))
	}

	// A code spent on A is refused on B, and the replay revokes what A issued.
	a.Clock.Advance(30 * time.Second)
	code := fiLogin(t, w.b, rpA.authorizeURL(rpA.authorizeParams(apptest.RandomHex(t), apptest.RandomHex(t), "famille")), w.angela, "famille").Get("code")
	status, tok = rpA.token(t, code)
	if status != http.StatusOK {
		t.Fatalf("token on A: %d %v", status, tok)
	}
	if status, replay := rpB.token(t, code); status != http.StatusBadRequest || replay["error"] != "invalid_grant" {
		t.Fatalf("the code again on B: %d %v", status, replay)
	}
	if resp, _ := rpA.userinfo(t, "Bearer "+tok["access_token"].(string)); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("userinfo on A with a token whose code was replayed on B: %d", resp.StatusCode)
	}

	// The same code presented to both at once: one exchange succeeds.
	code = fiLogin(t, onB, rpB.authorizeURL(rpB.authorizeParams(apptest.RandomHex(t), apptest.RandomHex(t), "famille")), w.angela, "famille").Get("code")
	var mu sync.Mutex
	var wins int
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rp := rpA
			if i%2 == 1 {
				rp = &rpB
			}
			resp, err := http.PostForm(rp.e.URL+"/token/", url.Values{"grant_type": {"authorization_code"}, "code": {code},
				"redirect_uri": {rp.redirectURI}, "client_id": {rp.id}, "client_secret": {rp.secret}})
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			switch resp.StatusCode {
			case http.StatusOK:
				wins++
			case http.StatusBadRequest:
			default:
				t.Errorf("token: %d", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d exchanges of one code succeeded across the two instances", wins)
	}
	// The client's secret rotated through A: B, which holds the client in memory, refuses the
	// old secret at /token at once and takes the new one.
	newSecret, err := idp.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.App.Store.RotateIdPClientSecret(t.Context(), rpA.id, newSecret); err != nil {
		t.Fatal(err)
	}
	code = fiLogin(t, onB, rpB.authorizeURL(rpB.authorizeParams(apptest.RandomHex(t), apptest.RandomHex(t), "famille")), w.angela, "famille").Get("code")
	if status, refused := rpB.token(t, code); status != http.StatusBadRequest && status != http.StatusUnauthorized || refused["error"] != "invalid_client" {
		t.Fatalf("the old secret on B after a rotation on A: %d %v", status, refused)
	}
	code = fiLogin(t, onB, rpB.authorizeURL(rpB.authorizeParams(apptest.RandomHex(t), apptest.RandomHex(t), "famille")), w.angela, "famille").Get("code")
	rpB.secret = newSecret
	if status, tok := rpB.token(t, code); status != http.StatusOK {
		t.Fatalf("the new secret on B: %d %v", status, tok)
	}
	if rep, err := b.App.Store.VerifyJournal(t.Context()); err != nil || !rep.Intact() {
		t.Fatalf("journal: %+v %v", rep, err)
	}
}
