package store_test

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/store"
)

const testSecret = "s3cret-s3cret-s3cret-s3cret-s3cret-0123"

func fcInput(id string) store.IdPClientInput {
	return store.IdPClientInput{ID: id, Secret: testSecret, RedirectURIs: []string{"https://fc.example/callback"},
		PostLogoutURIs: []string{"https://fc.example/logout"}, Source: "cli"}
}

func TestIdPClientRules(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	bad := map[string]func(*store.IdPClientInput){
		"empty id":                 func(in *store.IdPClientInput) { in.ID = "" },
		"id with a space":          func(in *store.IdPClientInput) { in.ID = "france connect" },
		"short secret":             func(in *store.IdPClientInput) { in.Secret = "short" },
		"no redirect URI":          func(in *store.IdPClientInput) { in.RedirectURIs = nil },
		"http redirect URI":        func(in *store.IdPClientInput) { in.RedirectURIs = []string{"http://fc.example/cb"} },
		"relative redirect URI":    func(in *store.IdPClientInput) { in.RedirectURIs = []string{"/cb"} },
		"redirect URI fragment":    func(in *store.IdPClientInput) { in.RedirectURIs = []string{"https://fc.example/cb#x"} },
		"CSP-breaking URI":         func(in *store.IdPClientInput) { in.RedirectURIs = []string{"https://fc.example/cb;script-src"} },
		"http post-logout URI":     func(in *store.IdPClientInput) { in.PostLogoutURIs = []string{"http://fc.example/out"} },
		"unknown algorithm":        func(in *store.IdPClientInput) { in.IDTokenAlg = "none" },
		"unknown userinfo format":  func(in *store.IdPClientInput) { in.UserinfoFormat = "xml" },
		"unknown démarche":         func(in *store.IdPClientInput) { in.RepScopeValues = map[string]string{"voyage": "Voyage"} },
		"two démarches, one value": func(in *store.IdPClientInput) { in.RepScopeValues = map[string]string{"famille": "papiers"} },
	}
	for name, f := range bad {
		in := fcInput("fc")
		f(&in)
		if _, err := w.st.CreateIdPClient(ctx, in); !errors.Is(err, store.ErrIdPClientInvalid) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	in := fcInput("fc")
	in.RedirectURIs = append(in.RedirectURIs, "http://127.0.0.1:8080/cb", "http://localhost/cb")
	c, err := w.st.CreateIdPClient(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if c.IDTokenAlg != "ES256" || c.UserinfoFormat != "json" || c.SecretEnc != nil || c.RepScopeValue("famille") != "famille" ||
		bytes.Contains(c.SecretHash, []byte(testSecret)) {
		t.Fatalf("defaults: %+v", c)
	}
	if _, err := w.st.CreateIdPClient(ctx, in); !errors.Is(err, store.ErrIdPClientExists) {
		t.Fatalf("same id again: %v", err)
	}
	if _, err := w.st.AuthenticateIdPClient(ctx, "fc", testSecret); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.AuthenticateIdPClient(ctx, "fc", testSecret+"x"); !errors.Is(err, store.ErrIdPSecretRefused) {
		t.Fatalf("wrong secret: %v", err)
	}
	if _, err := w.st.AuthenticateIdPClient(ctx, "nobody", testSecret); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown client: %v", err)
	}
	if err := w.st.RotateIdPClientSecret(ctx, "fc", testSecret+"-rotated"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.AuthenticateIdPClient(ctx, "fc", testSecret); !errors.Is(err, store.ErrIdPSecretRefused) {
		t.Fatal("the old secret still works")
	}

	// HS256: the secret is sealed, since it signs.
	hs := fcInput("fc-hs")
	hs.IDTokenAlg, hs.UserinfoFormat, hs.RepScopeValues = "HS256", "jwt", store.RepScopeLabels()
	c, err = w.st.CreateIdPClient(ctx, hs)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := w.st.IdPClientSecret(c)
	if err != nil || string(secret) != testSecret || bytes.Contains(c.SecretEnc, []byte(testSecret)) {
		t.Fatalf("sealed secret: %q %v", secret, err)
	}
	if k, ok := c.DemarcheFor("Famille-Scolarité"); !ok || k != "famille" || c.RepScopeValue("etranger") != "Étranger-Europe" {
		t.Fatalf("labels vocabulary: %q %v", k, ok)
	}
	// Configured clients are replaced at each start.
	hs.UserinfoFormat, hs.Source = "json", "config"
	if _, err := w.st.UpsertIdPClient(ctx, hs); err != nil {
		t.Fatal(err)
	}
	got, _ := w.st.GetIdPClient(ctx, "fc-hs")
	if got.UserinfoFormat != "json" || got.Source != "config" {
		t.Fatalf("upsert: %+v", got)
	}
	if cs, _ := w.st.ListIdPClients(ctx); len(cs) != 2 || cs[0].ID != "fc" {
		t.Fatalf("list: %+v", cs)
	}
}

func TestIdPSubject(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a, b := w.st.IdPSubject("fc", "usager-1"), w.st.IdPSubject("fc", "usager-1")
	if a != b || len(a) != 64 || a == w.st.IdPSubject("other", "usager-1") || a == w.st.IdPSubject("fc", "usager-2") {
		t.Fatalf("subjects: %s %s", a, b)
	}
}

// idpWorld: clients and an organisation with three usagers: Marie (famille, argent), Paul
// (papiers; revoked), Zoé (social; expired).
type idpWorld struct {
	*world
	marie, paul, zoe *store.Usager
}

func newIdPWorld(t *testing.T) *idpWorld {
	t.Helper()
	w := &idpWorld{world: newWorld(t)}
	ctx := context.Background()
	if _, err := w.st.CreateIdPClient(ctx, fcInput("fc")); err != nil {
		t.Fatal(err)
	}
	mk := func(sub, given, family, duree string, demarches ...string) *store.Usager {
		m := w.mandat(t, w.aidant, sub, duree, demarches...)
		u := new(store.Usager)
		if _, err := w.st.DB().NewUpdate().Model(u).Set("given_name = ?, family_name = ?", given, family).
			Where("id = ?", m.UsagerID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := w.st.DB().NewSelect().Model(u).Where("id = ?", m.UsagerID).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		return u
	}
	w.marie = mk("marie", "Marie-Thérèse", "Lefèvre", "LONG", "famille", "argent")
	w.paul = mk("paul", "Paul", "Dupont", "LONG", "papiers")
	w.zoe = mk("zoe", "Zoé", "Nguyen", "SHORT", "social")
	if _, err := w.st.DB().NewUpdate().Table("autorisations").Set("revoked_at = ?", w.clock.Now()).
		Where("mandat_id IN (SELECT id FROM mandats WHERE usager_id = ?)", w.paul.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(25 * time.Hour) // Zoé's mandat is over
	return w
}

func (w *idpWorld) flow(t *testing.T, repScope ...string) string {
	t.Helper()
	token, err := w.st.CreateIdPFlow(context.Background(), store.IdPFlowInput{ClientID: "fc", RedirectURI: "https://fc.example/callback",
		State: "state-0123456789abcdef", Nonce: "nonce-0123456789abcdef", Scopes: []string{"openid", "profile"},
		RepScopeRequested: repScope != nil, RepScope: repScope})
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func TestIdPUsagerSearch(t *testing.T) {
	t.Parallel()
	w := newIdPWorld(t)
	ctx := context.Background()
	all := store.DemarcheKeys()
	cases := []struct {
		demarches []string
		query     string
		want      []*store.Usager
	}{
		{all, "", []*store.Usager{w.marie}}, // Paul revoked, Zoé expired
		{all, "lefevre", []*store.Usager{w.marie}},
		{all, "THERESE lef", []*store.Usager{w.marie}},
		{all, "marie-therese", []*store.Usager{w.marie}},
		{all, "dupont", nil},
		{all, "zz%", nil}, // no wildcard
		{all, "%", nil},   // % and _ are literal characters: no name holds one
		{all, "lef_vre", nil},
		{all, "marie%", nil},
		{[]string{"papiers", "social"}, "", nil},
		{[]string{"argent"}, "", []*store.Usager{w.marie}},
		{nil, "", nil},
	}
	for _, tc := range cases {
		us, n, err := w.st.ListIdPUsagers(ctx, w.org.ID, tc.demarches, tc.query, 20, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n != len(tc.want) || len(us) != len(tc.want) || (n > 0 && us[0].ID != tc.want[0].ID) {
			t.Errorf("%v %q: %d usagers (total %d), want %d", tc.demarches, tc.query, len(us), n, len(tc.want))
		}
	}
	if us, n, _ := w.st.ListIdPUsagers(ctx, w.other.ID, all, "", 20, 0); n != 0 || len(us) != 0 {
		t.Errorf("another organisation sees %d usagers", n)
	}
}

func TestIdPFlowSteps(t *testing.T) {
	t.Parallel()
	w := newIdPWorld(t)
	ctx := context.Background()
	token := w.flow(t, "famille", "papiers")
	if _, err := w.st.OpenIdPFlow(ctx, token, w.aidant.ID, w.org.ID); err != nil {
		t.Fatal(err)
	}
	for _, who := range []struct{ aidant, org int64 }{{w.colleague.ID, w.org.ID}, {w.foreigner.ID, w.other.ID}, {w.aidant.ID, w.other.ID}} {
		if _, err := w.st.OpenIdPFlow(ctx, token, who.aidant, who.org); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("someone else opens the flow: %v", err)
		}
	}
	f, _ := w.st.OpenIdPFlow(ctx, token, w.aidant.ID, w.org.ID)
	if got := f.Offered(w.org); len(got) != 2 || got[0] != "papiers" || got[1] != "famille" {
		t.Errorf("offered: %v", got)
	}
	if err := w.st.ChooseIdPUsager(ctx, token, w.aidant.ID, w.org.ID, w.paul.ID); !errors.Is(err, store.ErrIdPNoAutorisation) {
		t.Errorf("usager with a revoked mandat: %v", err)
	}
	if err := w.st.ChooseIdPUsager(ctx, token, w.aidant.ID, w.org.ID, w.marie.ID); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"argent", "papiers", "voyage"} { // not asked; not covered; unknown
		if _, _, err := w.st.CompleteIdPFlow(ctx, token, w.aidant.ID, w.org.ID, d); !errors.Is(err, store.ErrIdPNoAutorisation) {
			t.Errorf("démarche %s: %v", d, err)
		}
	}
	code, f, err := w.st.CompleteIdPFlow(ctx, token, w.aidant.ID, w.org.ID, "famille")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(f.ResponseURL(url.Values{"code": {code}, "state": {f.State}}))
	if u.Query().Get("code") != code || u.Query().Get("state") != "state-0123456789abcdef" || f.Autorisation != nil && f.Autorisation.Demarche != "famille" {
		t.Fatalf("response URL %s", u)
	}
	if _, _, err := w.st.CompleteIdPFlow(ctx, token, w.aidant.ID, w.org.ID, "famille"); !errors.Is(err, store.ErrIdPFlowExpired) {
		t.Errorf("a completed flow goes on: %v", err)
	}
	// Expiry.
	late := w.flow(t)
	w.clock.Advance(store.IdPFlowTTL)
	if _, err := w.st.OpenIdPFlow(ctx, late, w.aidant.ID, w.org.ID); !errors.Is(err, store.ErrIdPFlowExpired) {
		t.Errorf("expired flow: %v", err)
	}
	if f, err := w.st.CancelIdPFlow(ctx, late, w.aidant.ID, w.org.ID); err != nil || f.State != "state-0123456789abcdef" {
		t.Errorf("cancel: %v", err)
	}
}

// completed returns a code for Marie and famille.
func (w *idpWorld) completed(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	token := w.flow(t, "famille")
	if _, err := w.st.OpenIdPFlow(ctx, token, w.aidant.ID, w.org.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.st.ChooseIdPUsager(ctx, token, w.aidant.ID, w.org.ID, w.marie.ID); err != nil {
		t.Fatal(err)
	}
	code, _, err := w.st.CompleteIdPFlow(ctx, token, w.aidant.ID, w.org.ID, "famille")
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func exchange(w *idpWorld, code string) (*store.IdPGrant, string, error) {
	return w.st.ExchangeIdPCode(context.Background(), store.IdPExchange{ClientID: "fc", RedirectURI: "https://fc.example/callback",
		Code: code, TokenTTL: time.Minute})
}

func TestIdPCodeIsSpentOnceEvenConcurrently(t *testing.T) {
	t.Parallel()
	w := newIdPWorld(t)
	ctx := context.Background()
	for round := 0; round < 5; round++ {
		code := w.completed(t)
		var mu sync.Mutex
		var wins []string
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, at, err := exchange(w, code)
				if err == nil {
					mu.Lock()
					wins = append(wins, at)
					mu.Unlock()
				} else if !errors.Is(err, store.ErrIdPCodeReplayed) {
					t.Errorf("concurrent exchange: %v", err)
				}
			}()
		}
		wg.Wait()
		if len(wins) != 1 {
			t.Fatalf("round %d: %d exchanges succeeded", round, len(wins))
		}
		// The replays revoked the winner's token.
		if _, err := w.st.UseIdPToken(ctx, wins[0]); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the first token survived a replay: %v", err)
		}
	}
}

func TestIdPCodeRefusals(t *testing.T) {
	t.Parallel()
	w := newIdPWorld(t)
	ctx := context.Background()
	if _, _, err := exchange(w, "nope"); !errors.Is(err, store.ErrIdPCodeUnknown) {
		t.Errorf("unknown: %v", err)
	}
	code := w.completed(t)
	_, _, err := w.st.ExchangeIdPCode(ctx, store.IdPExchange{ClientID: "fc", RedirectURI: "https://fc.example/other", Code: code, TokenTTL: time.Minute})
	if !errors.Is(err, store.ErrIdPCodeMismatch) {
		t.Errorf("redirect URI: %v", err)
	}
	if _, _, err := exchange(w, code); !errors.Is(err, store.ErrIdPCodeReplayed) {
		t.Errorf("a code spent by a mismatch: %v", err)
	}
	code = w.completed(t)
	w.clock.Advance(store.IdPCodeTTL)
	if _, _, err := exchange(w, code); !errors.Is(err, store.ErrIdPCodeExpired) {
		t.Errorf("expired: %v", err)
	}
	code = w.completed(t)
	refused := errors.New("pkce")
	_, _, err = w.st.ExchangeIdPCode(ctx, store.IdPExchange{ClientID: "fc", RedirectURI: "https://fc.example/callback", Code: code,
		TokenTTL: time.Minute, Check: func(*store.IdPFlow) error { return refused }})
	if !errors.Is(err, refused) {
		t.Errorf("check: %v", err)
	}
}

func TestIdPTokenUseIsJournaledOnce(t *testing.T) {
	t.Parallel()
	w := newIdPWorld(t)
	ctx := context.Background()
	g, at, err := exchange(w, w.completed(t))
	if err != nil {
		t.Fatal(err)
	}
	if g.Flow.Usager.ID != w.marie.ID || g.Flow.Client.ID != "fc" || g.Flow.Autorisation.Demarche != "famille" ||
		!g.Token.ExpiresAt.Equal(g.Token.CreatedAt.Add(time.Minute)) {
		t.Fatalf("grant %+v", g)
	}
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := w.st.UseIdPToken(ctx, at); err != nil {
				t.Errorf("use: %v", err)
			}
		}()
	}
	wg.Wait()
	var uses []store.JournalEntry
	js, _ := w.st.ListJournal(ctx, w.org.ID, 100)
	for _, j := range js {
		if j.Action == store.ActionUseAutorisation {
			uses = append(uses, j)
		}
	}
	if len(uses) != 1 || uses[0].Demarche != "famille" || *uses[0].AutorisationID != *g.Flow.AutorisationID ||
		*uses[0].UsagerID != w.marie.ID || *uses[0].AidantID != w.aidant.ID || len(uses[0].AccessTokenHash) != 64 ||
		uses[0].OrganisationID == nil || *uses[0].OrganisationID != w.org.ID || uses[0].MandatID == nil || *uses[0].MandatID != g.Flow.Autorisation.MandatID || uses[0].Info != "client : fc" {
		t.Fatalf("use_autorisation: %+v", uses)
	}
	w.clock.Advance(time.Minute)
	if _, err := w.st.UseIdPToken(ctx, at); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired token: %v", err)
	}
	var stored [][]byte
	if err := w.st.DB().NewSelect().Table("idp_tokens").Column("token_hash").Scan(ctx, &stored); err != nil || len(stored) != 1 ||
		strings.Contains(string(stored[0]), at) {
		t.Fatalf("the token is not stored hashed")
	}
}

func TestIdPSigningKeys(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	calls := 0
	var mu sync.Mutex
	gen := func() (store.NewIdPKey, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return store.NewIdPKey{KID: "k" + string(rune('0'+calls)), Private: []byte("private-der"), Public: []byte("public-der")}, nil
	}
	var wg sync.WaitGroup
	kids := make([]string, 4)
	for i := range kids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, private, err := w.st.ActiveIdPSigningKey(ctx, "ES256", gen)
			if err != nil || string(private) != "private-der" || bytes.Contains(k.PrivateEnc, private) {
				t.Errorf("key: %v", err)
				return
			}
			kids[i] = k.KID
		}()
	}
	wg.Wait()
	if calls != 1 || kids[0] != kids[3] {
		t.Fatalf("instances starting together made %d keys: %v", calls, kids)
	}
	if err := w.st.RetireIdPSigningKeys(ctx, "ES256"); err != nil {
		t.Fatal(err)
	}
	next, _, err := w.st.ActiveIdPSigningKey(ctx, "ES256", gen)
	if err != nil || next.KID == kids[0] {
		t.Fatalf("after retirement: %v %v", next, err)
	}
	if ks, _ := w.st.PublishedIdPSigningKeys(ctx, time.Hour); len(ks) != 2 || ks[0].PrivateEnc != nil {
		t.Fatalf("published: %+v", ks)
	}
	w.clock.Advance(2 * time.Hour)
	if ks, _ := w.st.PublishedIdPSigningKeys(ctx, time.Hour); len(ks) != 1 || ks[0].KID != next.KID {
		t.Fatalf("published later: %+v", ks)
	}
}

func TestLastCodeProof(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	if at, err := w.st.LastCodeProof(ctx, w.aidant.ID); err != nil || !at.IsZero() {
		t.Fatalf("never: %v %v", at, err)
	}
	if _, err := w.st.CheckActivityCode(ctx, w.aidant.ID, "123456", nil, true); err != nil {
		t.Fatal(err)
	}
	if at, _ := w.st.LastCodeProof(ctx, w.aidant.ID); !at.Equal(w.st.Now()) {
		t.Fatalf("after an activity check: %v", at)
	}
	if at, _ := w.st.LastCodeProof(ctx, w.colleague.ID); !at.IsZero() {
		t.Fatal("another aidant's proof counts")
	}
}

// The first use of each token journals in the statement's transaction, the journal's lock and
// head taken midway through the statement (journal_head_locked): with many first uses at once
// (each token used twice at once), the chain stays whole and each token is journaled once.
func TestIdPTokenUsesKeepTheJournalChained(t *testing.T) {
	t.Parallel()
	w := newIdPWorld(t)
	ctx := context.Background()
	var tokens []string
	for range 12 {
		_, at, err := exchange(w, w.completed(t))
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, at)
	}
	var wg sync.WaitGroup
	for _, at := range tokens {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := w.st.UseIdPToken(ctx, at); err != nil {
				t.Errorf("use: %v", err)
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := w.st.UseIdPToken(ctx, at); err != nil {
				t.Errorf("use again: %v", err)
			}
		}()
	}
	wg.Wait()
	if rep, err := w.st.VerifyJournal(ctx); err != nil || !rep.Intact() {
		t.Fatalf("journal: %+v %v", rep, err)
	}
	n, err := w.st.DB().NewSelect().Table("journal").Where("action = ?", store.ActionUseAutorisation).Count(ctx)
	if err != nil || n != int64(len(tokens)) {
		t.Fatalf("%d use_autorisation entries (%v), want %d", n, err, len(tokens))
	}
}

// Step 1 in one statement: the flow and its usagers list, the same as ListIdPUsagers for the
// démarches the flow offers, for its owner only.
func TestIdPFlowListing(t *testing.T) {
	t.Parallel()
	w := newIdPWorld(t)
	ctx := context.Background()
	token := w.flow(t, "famille", "papiers")
	if _, _, err := w.st.OpenIdPFlowListing(ctx, token, w.aidant.ID, w.org, true, "", 20, 0); err != nil {
		t.Fatal(err)
	}
	if _, page, err := w.st.OpenIdPFlowListing(ctx, token, w.colleague.ID, w.org, true, "", 20, 0); !errors.Is(err, store.ErrNotFound) || len(page.Usagers) != 0 {
		t.Fatalf("a colleague opens the flow: %v, %d usagers", err, len(page.Usagers))
	}
	for _, q := range []string{"", "marie", "zzz"} {
		f, page, err := w.st.OpenIdPFlowListing(ctx, token, w.aidant.ID, w.org, true, q, 20, 0)
		if err != nil {
			t.Fatal(err)
		}
		want, n, err := w.st.ListIdPUsagers(ctx, w.org.ID, f.Offered(w.org), q, 20, 0)
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != n || len(page.Usagers) != len(want) {
			t.Fatalf("%q: %d usagers (total %d), ListIdPUsagers %d (total %d)", q, len(page.Usagers), page.Total, len(want), n)
		}
		for i := range want {
			if page.Usagers[i].ID != want[i].ID {
				t.Errorf("%q: usager %d is %d, want %d", q, i, page.Usagers[i].ID, want[i].ID)
			}
		}
	}
	if _, page, err := w.st.OpenIdPFlowListing(ctx, token, w.aidant.ID, w.org, false, "", 20, 0); err != nil || len(page.Usagers) != 0 {
		t.Fatalf("without the list: %v, %d usagers", err, len(page.Usagers))
	}
	if _, page, err := w.st.OpenIdPFlowListing(ctx, token, w.aidant.ID, w.org, true, "", 20, 40); err != nil || len(page.Usagers) != 0 || page.Total == 0 {
		t.Fatalf("past the end: %v, %d usagers, total %d", err, len(page.Usagers), page.Total)
	}
}

// The navigation steps commit asynchronously when each is its own statement; called inside a
// transaction they leave its commit as it was (synchronous here), whatever else it writes.
func TestIdPNavigationInTransactionStaysSynchronous(t *testing.T) {
	t.Parallel()
	w := newIdPWorld(t)
	ctx := context.Background()
	err := w.st.InTx(ctx, func(tx *store.Store) error {
		if _, err := tx.DB().ExecContext(ctx, "SET LOCAL synchronous_commit = on"); err != nil {
			return err
		}
		token, err := tx.CreateIdPFlow(ctx, store.IdPFlowInput{ClientID: "fc", RedirectURI: "https://fc.example/callback",
			State: "state-0123456789abcdef", Nonce: "nonce-0123456789abcdef", Scopes: []string{"openid", "profile"}})
		if err != nil {
			return err
		}
		if _, err := tx.OpenIdPFlow(ctx, token, w.aidant.ID, w.org.ID); err != nil {
			return err
		}
		if err := tx.ChooseIdPUsager(ctx, token, w.aidant.ID, w.org.ID, w.marie.ID); err != nil {
			return err
		}
		var setting string
		if err := tx.DB().NewRaw("SELECT current_setting('synchronous_commit')").Scan(ctx, &setting); err != nil {
			return err
		}
		if setting != "on" {
			t.Errorf("synchronous_commit in the transaction after the navigation steps: %q, want on", setting)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
