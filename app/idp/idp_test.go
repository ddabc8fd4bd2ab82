package idp

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func newStore(t *testing.T) *store.Store {
	t.Helper()
	sealer, err := store.NewSealer([]byte("idp-test-secret-key-0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return store.New(storetest.New(t), storetest.NewClock(t).Now, sealer)
}

func testClient() *store.IdPClient {
	return &store.IdPClient{ID: "fc", RedirectURIs: []string{"https://fc.example/cb"}, RepScopeValues: store.RepScopeLabels()}
}

// TestParseRepScope: rep_scope values name démarches in the client's vocabulary, ignoring case
// and accents (FranceConnect's scenarios send "Etranger-Europe" for "Étranger-Europe"); each
// démarche keeps the spelling the request used; values that name none are ignored.
func TestParseRepScope(t *testing.T) {
	t.Parallel()
	c := testClient()
	cases := []struct {
		claims    string
		requested bool
		keys      string // démarche=spelling, in the request's order
		unknown   string
		err       bool
	}{
		{"", false, "", "", false},
		{`{"userinfo":{"email":null}}`, false, "", "", false},
		{`{"id_token":{"rep_scope":null}}`, true, "", "", false},
		{`{"id_token":{"rep_scope":{"essential":true}}}`, true, "", "", false},
		{`{"id_token":{"rep_scope":{"essential":true,"values":[]}}}`, true, "", "", false},
		{`{"id_token":{"rep_scope":{"essential":true,"values":["Famille-Scolarité","Argent-Impôts-Consommation","Famille-Scolarité"]}}}`, true,
			"famille=Famille-Scolarité,argent=Argent-Impôts-Consommation", "", false},
		{`{"id_token":{"rep_scope":{"value":"Justice"}}}`, true, "justice=Justice", "", false},
		{`{"id_token":{"rep_scope":{"values":["Etranger-Europe"]}}}`, true, "etranger=Etranger-Europe", "", false},
		{`{"id_token":{"rep_scope":{"values":["ÉTRANGER-EUROPE"]}}}`, true, "etranger=ÉTRANGER-EUROPE", "", false},
		{`{"id_token":{"rep_scope":{"values":["famille-scolarite","Famille-Scolarité"]}}}`, true, "famille=famille-scolarite", "", false},
		{`{"id_token":{"rep_scope":{"values":["papiers-citoyennete-elections"]}}}`, true, "papiers=papiers-citoyennete-elections", "", false},
		{`{"id_token":{"rep_scope":{"values":["famille"]}}}`, true, "", "famille", false}, // a key, not this client's label
		{`{"id_token":{"rep_scope":{"values":["Inconnue","Justice"]}}}`, true, "justice=Justice", "Inconnue", false},
		{`{"id_token":{"rep_scope":{"values":["Famille - Scolarité"]}}}`, true, "", "Famille - Scolarité", false}, // the title, not the label
		{`{"id_token":{"rep_scope":{"values":"Justice"}}}`, false, "", "", true},
		{`{"id_token":{"rep_scope":true}}`, false, "", "", true},
		{`{"id_token":`, false, "", "", true},
		{`{} {}`, false, "", "", true},
		{`[]`, false, "", "", true},
	}
	for _, tc := range cases {
		rs, err := parseRepScope(tc.claims, c)
		var keys []string
		for _, k := range rs.Keys {
			keys = append(keys, k+"="+rs.Spelling[k])
		}
		if rs.Requested != tc.requested || strings.Join(keys, ",") != tc.keys || strings.Join(rs.Unknown, ",") != tc.unknown || (err != nil) != tc.err {
			t.Errorf("%s: %+v %v", tc.claims, rs, err)
		}
		if err != nil && err.ErrorType != oidc.InvalidRequest {
			t.Errorf("%s: error type %s", tc.claims, err.ErrorType)
		}
		if rs.Unmatched() != (tc.keys == "" && tc.unknown != "") {
			t.Errorf("%s: unmatched %v", tc.claims, rs.Unmatched())
		}
	}
}

func TestCheckAuthorize(t *testing.T) {
	t.Parallel()
	c := testClient()
	valid := func() (url.Values, *oidc.AuthRequest) {
		d := &oidc.AuthRequest{ResponseType: "code", ClientID: "fc", RedirectURI: "https://fc.example/cb",
			Scopes: []string{"openid", "profile", "email", "birth"}, State: strings.Repeat("a1", 32), Nonce: strings.Repeat("b2", 32),
			ACRValues: []string{"eidas1"}, Prompt: []string{"login"}}
		return url.Values{"state": {d.State}, "nonce": {d.Nonce}, "claims": {`{"id_token":{"rep_scope":{"values":["Justice"]}}}`}}, d
	}
	form, d := valid()
	in, err := checkAuthorize(form, d, c)
	if err != nil || in.State != d.State || in.Nonce != d.Nonce || !in.RepScopeRequested || strings.Join(in.RepScope, ",") != "justice" ||
		in.ClientID != "fc" || in.RedirectURI != d.RedirectURI || len(in.Scopes) != 4 {
		t.Fatalf("valid request: %+v %v", in, err)
	}
	bad := map[string]func(url.Values, *oidc.AuthRequest){
		"state ~ 15 chars":   func(_ url.Values, d *oidc.AuthRequest) { d.State = strings.Repeat("a", 15) },
		"nonce with a slash": func(_ url.Values, d *oidc.AuthRequest) { d.Nonce = strings.Repeat("a", 20) + "/" },
		"acr eidas2 only":    func(_ url.Values, d *oidc.AuthRequest) { d.ACRValues = []string{"eidas2"} },
		"prompt none":        func(_ url.Values, d *oidc.AuthRequest) { d.Prompt = []string{"none"} },
		"response_mode jwt":  func(_ url.Values, d *oidc.AuthRequest) { d.ResponseMode = "query.jwt" },
		"plain implicit":     func(_ url.Values, d *oidc.AuthRequest) { d.ResponseType = "id_token" },
		"PKCE method S512":   func(_ url.Values, d *oidc.AuthRequest) { d.CodeChallenge, d.CodeChallengeMethod = "x", "S512" },
		"PKCE plain": func(_ url.Values, d *oidc.AuthRequest) {
			d.CodeChallenge, d.CodeChallengeMethod = strings.Repeat("p", 43), "plain"
		},
		"PKCE without a method": func(_ url.Values, d *oidc.AuthRequest) { d.CodeChallenge = strings.Repeat("p", 43) },
		"PKCE 5-char challenge": func(_ url.Values, d *oidc.AuthRequest) { d.CodeChallenge, d.CodeChallengeMethod = "abcde", "S256" },
		"PKCE 129-char challenge": func(_ url.Values, d *oidc.AuthRequest) {
			d.CodeChallenge, d.CodeChallengeMethod = strings.Repeat("c", 129), "S256"
		},
		"request_uri":         func(f url.Values, _ *oidc.AuthRequest) { f.Set("request_uri", "https://x") },
		"nonce given twice":   func(f url.Values, _ *oidc.AuthRequest) { f.Add("nonce", "x") },
		"no openid scope":     func(_ url.Values, d *oidc.AuthRequest) { d.Scopes = []string{"profile"} },
		"nonce over 512":      func(_ url.Values, d *oidc.AuthRequest) { d.Nonce = strings.Repeat("n", 513) },
		"state with a quote":  func(_ url.Values, d *oidc.AuthRequest) { d.State = strings.Repeat("s", 20) + `"` },
		"non-ASCII nonce":     func(_ url.Values, d *oidc.AuthRequest) { d.Nonce = strings.Repeat("é", 20) },
		"empty acr_values":    func(_ url.Values, d *oidc.AuthRequest) { d.ACRValues = nil },
		"missing state value": func(_ url.Values, d *oidc.AuthRequest) { d.State = "" },
	}
	for name, f := range bad {
		form, d := valid()
		f(form, d)
		if _, err := checkAuthorize(form, d, c); err == nil || !isASCII(err.Description) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// A rep_scope naming no démarche is no error here: the aidant is told, and the client gets
	// access_denied from there.
	form, d = valid()
	form.Set("claims", `{"id_token":{"rep_scope":{"values":["X","Inconnue"]}}}`)
	if in, err := checkAuthorize(form, d, c); err != nil || !in.RepScopeUnmatched || len(in.RepScope) != 0 || !in.RepScopeRequested {
		t.Errorf("rep_scope naming no démarche: %+v %v", in, err)
	}
	form, d = valid()
	form.Set("claims", `{"id_token":{"rep_scope":{"values":["etranger-europe","X"]}}}`)
	if in, err := checkAuthorize(form, d, c); err != nil || in.RepScopeUnmatched || strings.Join(in.RepScope, ",") != "etranger" ||
		in.RepScopeSpelling["etranger"] != "etranger-europe" {
		t.Errorf("rep_scope with one known démarche: %+v %v", in, err)
	}
	form, d = valid()
	form.Set("idp_hint", "x") // unknown: ignored
	d.Prompt = []string{"login", "consent"}
	if _, err := checkAuthorize(form, d, c); err != nil {
		t.Errorf("unknown parameter or extra prompt refused: %v", err)
	}
}

// isASCII: RFC 6749 §4.1.2.1 allows only printable ASCII in error_description.
func isASCII(s string) bool {
	for _, r := range s {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return false
		}
	}
	return true
}

func TestIdentityClaims(t *testing.T) {
	t.Parallel()
	abroad := &store.Usager{GivenName: "Carlos", FamilyName: "García López", Gender: "male",
		Birthdate: time.Date(1979, 1, 17, 0, 0, 0, 0, time.UTC), Birthcountry: "99134", Email: "c@example.com"}
	got := identityClaims(abroad, []string{"openid", "birth"})
	if got["birthplace"] != "" || got["birthcountry"] != "99134" || got["birthdate"] != "1979-01-17" || got["email"] != "c@example.com" {
		t.Errorf("born abroad: %v", got)
	}
	if _, ok := got["preferred_username"]; ok {
		t.Error("an empty usage name is sent")
	}
	abroad.PreferredUsername = "Lopez"
	if got := identityClaims(abroad, []string{"openid", "given_name"}); got["preferred_username"] != "Lopez" || len(got) != 8 {
		t.Errorf("usage name: %v", got)
	}
	if got := identityClaims(abroad, []string{"openid"}); len(got) != 0 {
		t.Errorf("openid alone releases %v", got)
	}
}

func TestBearer(t *testing.T) {
	t.Parallel()
	for h, want := range map[string]string{"Bearer abc-_.~+/=": "abc-_.~+/=", "bearer x": "x", "Bearer": "", "Bearer  x": "",
		"Basic x": "", "Bearer a b": "", "Bearer é": "", "": ""} {
		if got, ok := bearer(h); got != want || ok != (want != "") {
			t.Errorf("%q: %q %v", h, got, ok)
		}
	}
}

func TestParseClients(t *testing.T) {
	t.Parallel()
	specs, err := ParseClients(`[{"id":"fc","secret":"s","redirect_uris":["https://x/cb"],"id_token_alg":"hs256","userinfo":"JWT","rep_scope":"labels","rep_scope_values":{"famille":"Famille"}}]`)
	if err != nil || len(specs) != 1 {
		t.Fatal(err)
	}
	in := specs[0].input("config")
	if in.IDTokenAlg != "HS256" || in.UserinfoFormat != "jwt" || in.RepScopeValues["famille"] != "Famille" ||
		in.RepScopeValues["justice"] != "Justice" || in.Source != "config" {
		t.Errorf("input %+v", in)
	}
	for _, raw := range []string{`[{"id":"fc","secrett":"x"}]`, `{"id":"fc"}`, `[{"id":"fc","rep_scope":"fc"}]`} {
		if _, err := ParseClients(raw); err == nil {
			t.Errorf("%s accepted", raw)
		}
	}
	if specs, err := ParseClients("  "); err != nil || specs != nil {
		t.Errorf("empty: %v %v", specs, err)
	}
}

func TestClientCommand(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	var out bytes.Buffer
	err := ClientCommand(ctx, st, []string{"add", "franceconnect", "--redirect-uri", "https://fc.example/cb", "--redirect-uri",
		"https://fc.example/cb2", "--post-logout-uri", "https://fc.example/out", "--alg", "HS256", "--userinfo", "jwt",
		"--rep-scope", "labels", "--rep-scope-value", "famille=Famille"}, strings.NewReader(""), &out)
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSpace(out.String()[strings.LastIndex(strings.TrimSpace(out.String()), "\n")+1:])
	if len(secret) != 43 || !strings.Contains(out.String(), "affiché une seule fois") {
		t.Fatalf("output %q", out.String())
	}
	c, err := st.AuthenticateIdPClient(ctx, "franceconnect", secret)
	if err != nil || c.IDTokenAlg != "HS256" || c.UserinfoFormat != "jwt" || len(c.RedirectURIs) != 2 || c.Source != "cli" ||
		c.RepScopeValue("famille") != "Famille" || c.RepScopeValue("justice") != "Justice" {
		t.Fatalf("client %+v %v", c, err)
	}
	if err := ClientCommand(ctx, st, []string{"add", "franceconnect", "--redirect-uri", "https://fc.example/cb"}, nil, &out); !errors.Is(err, store.ErrIdPClientExists) {
		t.Errorf("same id: %v", err)
	}
	given := strings.Repeat("k", 40)
	out.Reset()
	if err := ClientCommand(ctx, st, []string{"rotate-secret", "franceconnect", "--secret-stdin"}, strings.NewReader(given+"\n"), &out); err != nil ||
		strings.Contains(out.String(), given) {
		t.Fatalf("rotate: %v %q", err, out.String())
	}
	if _, err := st.AuthenticateIdPClient(ctx, "franceconnect", given); err != nil {
		t.Fatal("the given secret does not work")
	}
	out.Reset()
	if err := ClientCommand(ctx, st, []string{"list"}, nil, &out); err != nil || !strings.Contains(out.String(), "franceconnect  HS256  jwt") {
		t.Fatalf("list: %v\n%s", err, out.String())
	}
	for _, args := range [][]string{nil, {"remove"}, {"add"}, {"add", "--redirect-uri", "x"}, {"add", "x", "extra"},
		{"add", "x", "--redirect-uri", "http://fc.example/cb"}, {"add", "y", "--redirect-uri", "https://a/b", "--rep-scope-value", "famille"},
		{"rotate-secret", "nobody"}} {
		if err := ClientCommand(ctx, st, args, strings.NewReader(""), &out); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	for _, issuer := range []string{"", "http://x/", "ftp://x", "https://x?a=b", "/relative"} {
		if _, err := New(ctx, Config{Issuer: issuer, Store: st}); err == nil {
			t.Errorf("issuer %q accepted", issuer)
		}
	}
	if _, err := New(ctx, Config{Issuer: "https://ac.example", Store: st, TokenTTL: 10 * time.Minute}); err == nil {
		t.Error("a 10-minute token accepted")
	}
	if _, err := New(ctx, Config{Issuer: "https://ac.example", Store: st, Clients: `[{"id":"fc","secret":"short","redirect_uris":["https://x/cb"]}]`}); !errors.Is(err, store.ErrIdPClientInvalid) {
		t.Errorf("bad configured client: %v", err)
	}
	p, err := New(ctx, Config{Issuer: "https://ac.example", Store: st,
		Clients: `[{"id":"fc","secret":"` + strings.Repeat("s", 32) + `","redirect_uris":["https://x/cb"],"id_token_alg":"RS256"}]`})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := st.GetIdPClient(ctx, "fc"); err != nil || c.Source != "config" || c.IDTokenAlg != "RS256" {
		t.Fatalf("configured client: %+v %v", c, err)
	}
	again, err := New(ctx, Config{Issuer: "https://ac.example", Store: st})
	if err != nil {
		t.Fatal(err)
	}
	k1, _ := p.keys.get(ctx, "ES256")
	k2, _ := again.keys.get(ctx, "ES256")
	if k1.kid != k2.kid {
		t.Error("two instances sign with different keys")
	}
}
