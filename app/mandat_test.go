package app

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/store"
)

// fcRound starts a mandat for the browser's aidant (step 1 posted) and returns the
// simulator's authorize URL the aidant's browser is sent to.
func (b *browser) startMandat(t *testing.T, form url.Values) string {
	t.Helper()
	r := b.post("/espace-aidant/creation_mandat/", form)
	if r.status != http.StatusSeeOther || r.location != "/fc_authorize/" {
		t.Fatalf("step 1: %d %q", r.status, r.location)
	}
	r = b.get("/fc_authorize/")
	if r.status != http.StatusSeeOther || !strings.Contains(r.location, "/fcsim/authorize?") {
		t.Fatalf("fc_authorize: %d %q", r.status, r.location)
	}
	return r.location
}

var simField = regexp.MustCompile(`name="(id|csrf_token)" value="([^"]+)"`)

// franceConnect plays the usager at the simulator: picks identity n (or cancels) and returns
// the callback URL the simulator redirects to.
func (b *browser) franceConnect(t *testing.T, authURL string, action string, identity int) string {
	t.Helper()
	// The simulator's authorize redirects to its login page.
	r := b.get(authURL)
	for r.status == http.StatusFound || r.status == http.StatusSeeOther {
		r = b.get(r.location)
	}
	if r.status != http.StatusOK {
		t.Fatalf("simulator login page: %d %s", r.status, r.body)
	}
	form := url.Values{"action": {action}, "identity": {strconv.Itoa(identity)}}
	for _, m := range simField.FindAllStringSubmatch(r.body, -1) {
		form.Set(m[1], m[2])
	}
	r = b.postRaw("/fcsim/login", form)
	for r.status == http.StatusFound && strings.Contains(r.location, "/fcsim/") {
		r = b.get(r.location)
	}
	if r.status != http.StatusFound && r.status != http.StatusSeeOther {
		t.Fatalf("simulator login: %d %s", r.status, r.body)
	}
	return r.location
}

// callback follows the FranceConnect callback, the FranceConnect logout, and returns the page reached.
func (b *browser) callback(t *testing.T, callbackURL string) page {
	t.Helper()
	r := b.get(callbackURL)
	for i := 0; i < 5 && (r.status == http.StatusFound || r.status == http.StatusSeeOther); i++ {
		r = b.get(r.location)
	}
	return r
}

func mandatForm(duree string, demarches ...string) url.Values {
	return url.Values{"duree": {duree}, "demarche": demarches}
}

func (e *env) count(table string) int {
	e.t.Helper()
	n, err := e.app.DB.NewSelect().Table(table).Count(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return int(n)
}

const recapPath = "/espace-aidant/creation_mandat/recapitulatif/"

func TestMandatWizard(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.org("MFS")
	p := e.aidant("jean@example.fr", org, true)
	b := e.login(p)

	if r := b.get("/espace-aidant/creation_mandat/"); r.status != http.StatusOK || strings.Count(r.body, `name="demarche"`) != 10 {
		t.Fatalf("step 1: %d, %d démarches", r.status, strings.Count(r.body, `name="demarche"`))
	}
	auth := b.startMandat(t, mandatForm("SHORT", "papiers", "argent"))
	recap := b.callback(t, b.franceConnect(t, auth, "login", 0))
	if recap.status != http.StatusOK || !strings.Contains(recap.body, "Récapitulatif du mandat") {
		t.Fatalf("recap: %d", recap.status)
	}
	for _, want := range []string{"Angela Claire Louise", "autorise <strong>MFS</strong>", "Papiers - Citoyenneté - Élections", "Argent - Impôts - Consommation", "périmètre « Argent »", "pour une durée de 1 jour"} {
		if !strings.Contains(recap.body, want) {
			t.Errorf("recap lacks %q", want)
		}
	}
	// Consent missing and a malformed code: 422, messages next to the fields, nothing saved.
	r := b.post(recapPath, url.Values{"otp_token": {"12"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Cochez cette case") || !strings.Contains(r.body, `id="otp_token-error"`) {
		t.Fatalf("invalid recap: %d", r.status)
	}
	if e.count("mandats") != 0 {
		t.Fatal("a mandat was saved from an invalid recap")
	}
	r = b.post(recapPath, url.Values{"personal_data": {"on"}, "otp_token": {e.code(p)}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/espace-aidant/mandats/") {
		t.Fatalf("sign: %d %q", r.status, r.location)
	}
	att := b.get(r.location)
	if att.status != http.StatusOK || !strings.Contains(att.body, "Fait le") || !strings.Contains(att.body, `role="img"`) || !strings.Contains(att.body, "Le mandat a été créé") {
		t.Fatalf("attestation: %d %s", att.status, att.body)
	}
	verify := regexp.MustCompile(`/mandats/verifier/[A-Za-z0-9_-]{22}`).FindString(att.body)
	pdf := b.get(strings.TrimSuffix(strings.SplitN(r.location, "?", 2)[0], "attestation/") + "attestation.pdf")
	if pdf.status != http.StatusOK || !strings.HasPrefix(pdf.body, "%PDF-") || pdf.header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("pdf: %d %q", pdf.status, pdf.header.Get("Content-Type"))
	}
	v := e.browser().get(verify)
	if v.status != http.StatusOK || !strings.Contains(v.body, "MFS") || strings.Contains(v.body, "Angela") || strings.Contains(v.body, "Dubois") {
		t.Fatalf("verification page: %d", v.status)
	}
	js := e.journal(org.ID)
	actions := map[string]int{}
	for _, j := range js {
		actions[j.Action]++
	}
	for k, n := range map[string]int{"franceconnect_usager": 1, "create_attestation": 1, "create_autorisation": 2, "connect_aidant": 1} {
		if actions[k] != n {
			t.Errorf("journal %s = %d, want %d", k, actions[k], n)
		}
	}
	if js[len(js)-1].Action != store.ActionConnectAidant {
		t.Errorf("oldest journal row = %s", js[len(js)-1].Action)
	}
}

func TestMandatFranceConnectFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		run     func(t *testing.T, e *env, b *browser) page
		message string
	}{
		{"usager cancels", func(t *testing.T, e *env, b *browser) page {
			return b.callback(t, b.franceConnect(t, b.startMandat(t, mandatForm("LONG", "papiers")), "cancel", 0))
		}, "L'usager a annulé la connexion FranceConnect"},
		{"unknown state", func(t *testing.T, e *env, b *browser) page {
			cb := b.franceConnect(t, b.startMandat(t, mandatForm("LONG", "papiers")), "login", 1)
			return b.callback(t, regexp.MustCompile(`state=[0-9a-f]+`).ReplaceAllString(cb, "state="+strings.Repeat("ab", 32)))
		}, "La connexion avec FranceConnect n'a pas abouti"},
		{"replayed callback", func(t *testing.T, e *env, b *browser) page {
			cb := b.franceConnect(t, b.startMandat(t, mandatForm("LONG", "papiers")), "login", 1)
			if r := b.callback(t, cb); r.status != http.StatusOK || !strings.Contains(r.body, "Récapitulatif") {
				t.Fatalf("first callback: %d", r.status)
			}
			return b.callback(t, cb)
		}, "La connexion avec FranceConnect n'a pas abouti"},
		{"expired flow", func(t *testing.T, e *env, b *browser) page {
			cb := b.franceConnect(t, b.startMandat(t, mandatForm("LONG", "papiers")), "login", 1)
			e.clock.Advance(11 * time.Minute)
			return b.callback(t, cb)
		}, "La création du mandat a pris trop de temps"},
		{"identity missing a required field", func(t *testing.T, e *env, b *browser) page {
			return b.callback(t, b.franceConnect(t, b.startMandat(t, mandatForm("LONG", "papiers")), "login", 5))
		}, "FranceConnect n'a pas transmis toutes les informations nécessaires"},
		{"nonce mismatch", func(t *testing.T, e *env, b *browser) page {
			auth := b.startMandat(t, mandatForm("LONG", "papiers"))
			forged := regexp.MustCompile(`nonce=[0-9a-f]+`).ReplaceAllString(auth, "nonce="+strings.Repeat("cd", 32))
			return b.callback(t, b.franceConnect(t, forged, "login", 1))
		}, "La connexion avec FranceConnect n'a pas abouti"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			org := e.org("MFS")
			b := e.login(e.aidant("jean@example.fr", org, true))
			r := tc.run(t, e, b)
			if r.status != http.StatusOK || !strings.Contains(r.body, "Créer un mandat") || !strings.Contains(strings.ReplaceAll(r.body, "&#39;", "'"), tc.message) {
				t.Fatalf("expected step 1 with %q; got %d %s", tc.message, r.status, r.body)
			}
			if tc.name != "replayed callback" && e.count("usagers") != 0 {
				t.Fatal("a usager was saved")
			}
			if e.count("mandats") != 0 || e.count("mandat_flows") != 0 {
				t.Fatal("something of the run was kept")
			}
		})
	}
}

func TestMandatStep1Validation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := &store.Organisation{Name: "MFS restreinte", AllowedDemarches: []string{"papiers", "famille"}}
	if err := e.app.Store.CreateOrganisation(context.Background(), org); err != nil {
		t.Fatal(err)
	}
	b := e.login(e.aidant("jean@example.fr", org, true))
	if r := b.get("/espace-aidant/creation_mandat/"); strings.Count(r.body, `name="demarche"`) != 2 || strings.Contains(r.body, `value="argent"`) {
		t.Fatal("step 1 offers démarches the organisation does not allow")
	}
	cases := []struct {
		form url.Values
		msg  string
	}{
		{mandatForm("LONG"), "Sélectionnez au moins une démarche."},
		{mandatForm("", "papiers"), "Choisissez la durée du mandat."},
		{mandatForm("FOREVER", "papiers"), "Choisissez la durée du mandat."},
		{mandatForm("LONG", "papiers", "argent"), "n&#39;est pas proposée par votre organisation"}, // posted by hand
	}
	for _, tc := range cases {
		r := b.post("/espace-aidant/creation_mandat/", tc.form)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, tc.msg) {
			t.Errorf("%v: %d, %q missing", tc.form, r.status, tc.msg)
		}
	}
	if e.count("mandat_flows") != 0 {
		t.Fatal("an invalid step 1 was saved")
	}
}

func TestRecapCodeReuseRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.org("MFS")
	p := e.aidant("jean@example.fr", org, true)
	b := e.login(p)
	auth := b.startMandat(t, mandatForm("LONG", "papiers"))
	b.callback(t, b.franceConnect(t, auth, "login", 2))
	// The code is used once (an activity check), then offered again at the recap.
	e.clock.Advance(16 * time.Minute)
	code := e.code(p)
	if r := b.post("/activity_check/", url.Values{"otp_token": {code}, "next": {recapPath}}); r.status != http.StatusSeeOther {
		t.Fatalf("activity check: %d", r.status)
	}
	r := b.post(recapPath, url.Values{"personal_data": {"on"}, "otp_token": {code}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Ce code n&#39;est pas valide") {
		t.Fatalf("reused code at recap: %d", r.status)
	}
	if e.count("mandats") != 0 {
		t.Fatal("a mandat was created with a reused code")
	}
}

func TestForeignMandatPagesAreNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org, other := e.org("MFS"), e.org("Autre")
	p := e.aidant("jean@example.fr", org, true)
	b := e.login(p)
	auth := b.startMandat(t, mandatForm("LONG", "papiers"))
	b.callback(t, b.franceConnect(t, auth, "login", 0))
	r := b.post(recapPath, url.Values{"personal_data": {"on"}, "otp_token": {e.code(p)}})
	id := strings.Split(strings.TrimPrefix(r.location, "/espace-aidant/mandats/"), "/")[0]
	m, err := e.app.Store.GetMandat(context.Background(), org.ID, mustInt(t, id))
	if err != nil {
		t.Fatal(err)
	}
	stranger := e.login(e.aidant("autre@example.fr", other, true))
	for _, path := range []string{
		"/espace-aidant/mandats/" + id + "/attestation/",
		"/espace-aidant/mandats/" + id + "/attestation.pdf",
		"/espace-aidant/renew_mandat/" + strconv.FormatInt(m.UsagerID, 10),
		"/espace-aidant/mandats/999999/attestation/",
	} {
		r := stranger.get(path)
		if r.status != http.StatusNotFound || !strings.Contains(r.body, "introuvable ou inaccessible") || strings.Contains(r.body, "Angela") {
			t.Errorf("%s: %d", path, r.status)
		}
	}
	if r := stranger.post("/espace-aidant/renew_mandat/"+strconv.FormatInt(m.UsagerID, 10), mandatForm("LONG", "papiers")); r.status != http.StatusNotFound {
		t.Errorf("foreign renewal POST: %d", r.status)
	}
	// The owner can renew: no FranceConnect, straight to the recap, journaled.
	r = b.post("/espace-aidant/renew_mandat/"+strconv.FormatInt(m.UsagerID, 10), mandatForm("MONTH", "papiers", "famille"))
	if r.status != http.StatusSeeOther || r.location != recapPath {
		t.Fatalf("renewal: %d %q", r.status, r.location)
	}
	e.clock.Advance(30 * time.Second)
	if r := b.post(recapPath, url.Values{"personal_data": {"on"}, "otp_token": {e.code(p)}}); r.status != http.StatusSeeOther {
		t.Fatalf("renewal sign: %d %s", r.status, r.body)
	}
	got, _ := e.app.Store.GetMandat(context.Background(), org.ID, m.ID)
	if got.Status(e.clock.Now()) != store.StatusRevoked {
		t.Fatalf("the renewed mandat's papiers autorisation should be revoked: %s", got.Status(e.clock.Now()))
	}
	if js := e.journal(org.ID); js[len(js)-1].Action == "" || !hasAction(js, store.ActionInitRenewMandat) {
		t.Fatal("init_renew_mandat not journaled")
	}
}

func hasAction(js []store.JournalEntry, action string) bool {
	for _, j := range js {
		if j.Action == action {
			return true
		}
	}
	return false
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestVerificationPageOfRevokedMandat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	org := e.org("MFS")
	p := e.aidant("jean@example.fr", org, true)
	b := e.login(p)
	sign := func() string {
		auth := b.startMandat(t, mandatForm("LONG", "papiers"))
		b.callback(t, b.franceConnect(t, auth, "login", 0))
		e.clock.Advance(30 * time.Second)
		r := b.post(recapPath, url.Values{"personal_data": {"on"}, "otp_token": {e.code(p)}})
		att := b.get(r.location)
		return regexp.MustCompile(`/mandats/verifier/[A-Za-z0-9_-]{22}`).FindString(att.body)
	}
	first := sign()
	if v := e.browser().get(first); !strings.Contains(v.body, "Mandat valide") {
		t.Fatal("first mandat should be valid")
	}
	sign() // same usager, same démarche: the first mandat's only autorisation is revoked
	v := e.browser().get(first)
	if v.status != http.StatusOK || !strings.Contains(v.body, "Mandat révoqué") || strings.Contains(v.body, "Mandat valide") {
		t.Fatalf("revoked mandat's verification page: %d", v.status)
	}
	if r := e.browser().get("/mandats/verifier/AAAAAAAAAAAAAAAAAAAAAA"); r.status != http.StatusNotFound {
		t.Fatalf("unknown token: %d", r.status)
	}
}
