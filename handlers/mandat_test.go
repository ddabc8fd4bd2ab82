package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

// startMandat starts a mandat for the browser's aidant (step 1 posted) and returns the
// simulator's authorize URL the aidant's browser is sent to.
func startMandat(t *testing.T, b *apptest.Browser, form url.Values) string {
	t.Helper()
	r := b.Post("/espace-aidant/creation_mandat/", form)
	if r.Status != http.StatusSeeOther || r.Location != "/fc_authorize/" {
		t.Fatalf("step 1: %d %q", r.Status, r.Location)
	}
	r = b.Get("/fc_authorize/")
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "/fcsim/authorize?") {
		t.Fatalf("fc_authorize: %d %q", r.Status, r.Location)
	}
	return r.Location
}

var simField = regexp.MustCompile(`name="(id|csrf_token)" value="([^"]+)"`)

// franceConnect plays the usager at the simulator: picks identity n (or cancels) and returns
// the callback URL the simulator redirects to.
func franceConnect(t *testing.T, b *apptest.Browser, authURL string, action string, identity int) string {
	t.Helper()
	// The simulator's authorize redirects to its login page.
	r := b.Get(authURL)
	for r.Status == http.StatusFound || r.Status == http.StatusSeeOther {
		r = b.Get(r.Location)
	}
	if r.Status != http.StatusOK {
		t.Fatalf("simulator login page: %d %s", r.Status, r.Body)
	}
	form := url.Values{"action": {action}, "identity": {strconv.Itoa(identity)}}
	for _, m := range simField.FindAllStringSubmatch(r.Body, -1) {
		form.Set(m[1], m[2])
	}
	r = b.PostRaw("/fcsim/login", form)
	for r.Status == http.StatusFound && strings.Contains(r.Location, "/fcsim/") {
		r = b.Get(r.Location)
	}
	if r.Status != http.StatusFound && r.Status != http.StatusSeeOther {
		t.Fatalf("simulator login: %d %s", r.Status, r.Body)
	}
	return r.Location
}

// callback follows the FranceConnect callback, the FranceConnect logout, and returns the page reached.
func callback(t *testing.T, b *apptest.Browser, callbackURL string) apptest.Page {
	t.Helper()
	r := b.Get(callbackURL)
	for i := 0; i < 5 && (r.Status == http.StatusFound || r.Status == http.StatusSeeOther); i++ {
		r = b.Get(r.Location)
	}
	return r
}

func mandatForm(duree string, demarches ...string) url.Values {
	return url.Values{"duree": {duree}, "demarche": demarches}
}

const recapPath = "/espace-aidant/creation_mandat/recapitulatif/"

func TestMandatWizard(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	org := e.Org("MFS")
	p := e.Aidant("jean@example.fr", org, true)
	b := e.Login(p)

	if r := b.Get("/espace-aidant/creation_mandat/"); r.Status != http.StatusOK || strings.Count(r.Body, `name="demarche"`) != 10 {
		t.Fatalf("step 1: %d, %d démarches", r.Status, strings.Count(r.Body, `name="demarche"`))
	}
	auth := startMandat(t, b, mandatForm("SHORT", "papiers", "argent"))
	recap := callback(t, b, franceConnect(t, b, auth, "login", 0))
	if recap.Status != http.StatusOK || !strings.Contains(recap.Body, "Récapitulatif du mandat") {
		t.Fatalf("recap: %d", recap.Status)
	}
	for _, want := range []string{"Angela Claire Louise", "autorise <strong>MFS</strong>", "Papiers - Citoyenneté - Élections", "Argent - Impôts - Consommation", "périmètre « Argent »", "pour une durée de 1 jour"} {
		if !strings.Contains(recap.Body, want) {
			t.Errorf("recap lacks %q", want)
		}
	}
	// Consent missing and a malformed code: 422, messages next to the fields, nothing saved.
	r := b.Post(recapPath, url.Values{"otp_token": {"12"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Cochez cette case") || !strings.Contains(r.Body, `id="otp_token-error"`) {
		t.Fatalf("invalid recap: %d", r.Status)
	}
	if e.Count("mandats") != 0 {
		t.Fatal("a mandat was saved from an invalid recap")
	}
	r = b.Post(recapPath, url.Values{"personal_data": {"on"}, "otp_token": {e.Code(p)}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/espace-aidant/mandats/") {
		t.Fatalf("sign: %d %q", r.Status, r.Location)
	}
	att := b.Get(r.Location)
	if att.Status != http.StatusOK || !strings.Contains(att.Body, "Fait le") || !strings.Contains(att.Body, `role="img"`) || !strings.Contains(att.Body, "Le mandat a été créé") {
		t.Fatalf("attestation: %d %s", att.Status, att.Body)
	}
	verify := regexp.MustCompile(`/mandats/verifier/[A-Za-z0-9_-]{22}`).FindString(att.Body)
	pdf := b.Get(strings.TrimSuffix(strings.SplitN(r.Location, "?", 2)[0], "attestation/") + "attestation.pdf")
	if pdf.Status != http.StatusOK || !strings.HasPrefix(pdf.Body, "%PDF-") || pdf.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("pdf: %d %q", pdf.Status, pdf.Header.Get("Content-Type"))
	}
	v := e.Browser().Get(verify)
	if v.Status != http.StatusOK || !strings.Contains(v.Body, "MFS") || strings.Contains(v.Body, "Angela") || strings.Contains(v.Body, "Dubois") {
		t.Fatalf("verification page: %d", v.Status)
	}
	js := e.Journal(org.ID)
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
		run     func(t *testing.T, e *apptest.Env, b *apptest.Browser) apptest.Page
		message string
	}{
		{"usager cancels", func(t *testing.T, e *apptest.Env, b *apptest.Browser) apptest.Page {
			return callback(t, b, franceConnect(t, b, startMandat(t, b, mandatForm("LONG", "papiers")), "cancel", 0))
		}, "L'usager a annulé la connexion FranceConnect"},
		{"unknown state", func(t *testing.T, e *apptest.Env, b *apptest.Browser) apptest.Page {
			cb := franceConnect(t, b, startMandat(t, b, mandatForm("LONG", "papiers")), "login", 1)
			return callback(t, b, regexp.MustCompile(`state=[0-9a-f]+`).ReplaceAllString(cb, "state="+strings.Repeat("ab", 32)))
		}, "La connexion avec FranceConnect n'a pas abouti"},
		{"replayed callback", func(t *testing.T, e *apptest.Env, b *apptest.Browser) apptest.Page {
			cb := franceConnect(t, b, startMandat(t, b, mandatForm("LONG", "papiers")), "login", 1)
			if r := callback(t, b, cb); r.Status != http.StatusOK || !strings.Contains(r.Body, "Récapitulatif") {
				t.Fatalf("first callback: %d", r.Status)
			}
			return callback(t, b, cb)
		}, "La connexion avec FranceConnect n'a pas abouti"},
		{"expired flow", func(t *testing.T, e *apptest.Env, b *apptest.Browser) apptest.Page {
			cb := franceConnect(t, b, startMandat(t, b, mandatForm("LONG", "papiers")), "login", 1)
			e.Clock.Advance(11 * time.Minute)
			return callback(t, b, cb)
		}, "La création du mandat a pris trop de temps"},
		{"identity missing a required field", func(t *testing.T, e *apptest.Env, b *apptest.Browser) apptest.Page {
			return callback(t, b, franceConnect(t, b, startMandat(t, b, mandatForm("LONG", "papiers")), "login", 5))
		}, "FranceConnect n'a pas transmis toutes les informations nécessaires"},
		{"nonce mismatch", func(t *testing.T, e *apptest.Env, b *apptest.Browser) apptest.Page {
			auth := startMandat(t, b, mandatForm("LONG", "papiers"))
			forged := regexp.MustCompile(`nonce=[0-9a-f]+`).ReplaceAllString(auth, "nonce="+strings.Repeat("cd", 32))
			return callback(t, b, franceConnect(t, b, forged, "login", 1))
		}, "La connexion avec FranceConnect n'a pas abouti"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := apptest.Start(t)
			org := e.Org("MFS")
			b := e.Login(e.Aidant("jean@example.fr", org, true))
			r := tc.run(t, e, b)
			if r.Status != http.StatusOK || !strings.Contains(r.Body, "Créer un mandat") || !strings.Contains(strings.ReplaceAll(r.Body, "&#39;", "'"), tc.message) {
				t.Fatalf("expected step 1 with %q; got %d %s", tc.message, r.Status, r.Body)
			}
			if tc.name != "replayed callback" && e.Count("usagers") != 0 {
				t.Fatal("a usager was saved")
			}
			if e.Count("mandats") != 0 || e.Count("mandat_flows") != 0 {
				t.Fatal("something of the run was kept")
			}
		})
	}
}

func TestMandatStep1Validation(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	org := &store.Organisation{Name: "MFS restreinte", AllowedDemarches: []string{"papiers", "famille"}}
	if err := e.App.Store.CreateOrganisation(context.Background(), org); err != nil {
		t.Fatal(err)
	}
	b := e.Login(e.Aidant("jean@example.fr", org, true))
	if r := b.Get("/espace-aidant/creation_mandat/"); strings.Count(r.Body, `name="demarche"`) != 2 || strings.Contains(r.Body, `value="argent"`) {
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
		r := b.Post("/espace-aidant/creation_mandat/", tc.form)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, tc.msg) {
			t.Errorf("%v: %d, %q missing", tc.form, r.Status, tc.msg)
		}
	}
	if e.Count("mandat_flows") != 0 {
		t.Fatal("an invalid step 1 was saved")
	}
}

func TestRecapCodeReuseRefused(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	org := e.Org("MFS")
	p := e.Aidant("jean@example.fr", org, true)
	b := e.Login(p)
	auth := startMandat(t, b, mandatForm("LONG", "papiers"))
	callback(t, b, franceConnect(t, b, auth, "login", 2))
	// The code is used once (an activity check), then offered again at the recap.
	e.Clock.Advance(16 * time.Minute)
	code := e.Code(p)
	if r := b.Post("/activity_check/", url.Values{"otp_token": {code}, "next": {recapPath}}); r.Status != http.StatusSeeOther {
		t.Fatalf("activity check: %d", r.Status)
	}
	r := b.Post(recapPath, url.Values{"personal_data": {"on"}, "otp_token": {code}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Ce code n&#39;est pas valide") {
		t.Fatalf("reused code at recap: %d", r.Status)
	}
	if e.Count("mandats") != 0 {
		t.Fatal("a mandat was created with a reused code")
	}
}

func TestForeignMandatPagesAreNotFound(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	org, other := e.Org("MFS"), e.Org("Autre")
	p := e.Aidant("jean@example.fr", org, true)
	b := e.Login(p)
	auth := startMandat(t, b, mandatForm("LONG", "papiers"))
	callback(t, b, franceConnect(t, b, auth, "login", 0))
	r := b.Post(recapPath, url.Values{"personal_data": {"on"}, "otp_token": {e.Code(p)}})
	m, err := e.App.Store.GetMandat(context.Background(), org.ID, mandatIDIn(t, r.Location))
	if err != nil {
		t.Fatal(err)
	}
	stranger := e.Login(e.Aidant("autre@example.fr", other, true))
	for _, path := range []string{
		paths.MandatAttestation(m.ID),
		paths.MandatAttestationPDF(m.ID),
		paths.MandatRenew(m.UsagerID),
		paths.MandatAttestation(999999),
	} {
		r := stranger.Get(path)
		if r.Status != http.StatusNotFound || !strings.Contains(r.Body, "introuvable ou inaccessible") || strings.Contains(r.Body, "Angela") {
			t.Errorf("%s: %d", path, r.Status)
		}
	}
	if r := stranger.Post("/espace-aidant/renew_mandat/"+strconv.FormatInt(m.UsagerID, 10), mandatForm("LONG", "papiers")); r.Status != http.StatusNotFound {
		t.Errorf("foreign renewal POST: %d", r.Status)
	}
	// The owner can renew: no FranceConnect, straight to the recap, journaled.
	r = b.Post("/espace-aidant/renew_mandat/"+strconv.FormatInt(m.UsagerID, 10), mandatForm("MONTH", "papiers", "famille"))
	if r.Status != http.StatusSeeOther || r.Location != recapPath {
		t.Fatalf("renewal: %d %q", r.Status, r.Location)
	}
	e.Clock.Advance(30 * time.Second)
	if r := b.Post(recapPath, url.Values{"personal_data": {"on"}, "otp_token": {e.Code(p)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("renewal sign: %d %s", r.Status, r.Body)
	}
	got, _ := e.App.Store.GetMandat(context.Background(), org.ID, m.ID)
	if got.Status(e.Clock.Now()) != store.StatusRevoked {
		t.Fatalf("the renewed mandat's papiers autorisation should be revoked: %s", got.Status(e.Clock.Now()))
	}
	if js := e.Journal(org.ID); js[len(js)-1].Action == "" || !hasAction(js, store.ActionInitRenewMandat) {
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

func TestVerificationPageOfRevokedMandat(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	org := e.Org("MFS")
	p := e.Aidant("jean@example.fr", org, true)
	b := e.Login(p)
	sign := func() string {
		auth := startMandat(t, b, mandatForm("LONG", "papiers"))
		callback(t, b, franceConnect(t, b, auth, "login", 0))
		e.Clock.Advance(30 * time.Second)
		r := b.Post(recapPath, url.Values{"personal_data": {"on"}, "otp_token": {e.Code(p)}})
		att := b.Get(r.Location)
		return regexp.MustCompile(`/mandats/verifier/[A-Za-z0-9_-]{22}`).FindString(att.Body)
	}
	first := sign()
	if v := e.Browser().Get(first); !strings.Contains(v.Body, "Mandat valide") {
		t.Fatal("first mandat should be valid")
	}
	sign() // same usager, same démarche: the first mandat's only autorisation is revoked
	v := e.Browser().Get(first)
	if v.Status != http.StatusOK || !strings.Contains(v.Body, "Mandat révoqué") || strings.Contains(v.Body, "Mandat valide") {
		t.Fatalf("revoked mandat's verification page: %d", v.Status)
	}
	if r := e.Browser().Get("/mandats/verifier/AAAAAAAAAAAAAAAAAAAAAA"); r.Status != http.StatusNotFound {
		t.Fatalf("unknown token: %d", r.Status)
	}
}

// TestMandatFlowStaysInItsOrganisation: a wizard run belongs to the organisation it started
// in. After a switch, the FranceConnect callback records nothing, and the recap says the run
// belongs to the other organisation and offers to start again; nothing can be signed.
func TestMandatFlowStaysInItsOrganisation(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	nord, sud := e.Org("MFS Nord"), e.Org("CCAS Sud")
	p := e.Aidant("jean@example.fr", nord, true)
	if err := e.App.Store.AddMembership(context.Background(), p.Aidant.ID, sud.ID, false); err != nil {
		t.Fatal(err)
	}
	switchTo := func(b *apptest.Browser, org *store.Organisation) {
		t.Helper()
		if r := b.Post("/espace-aidant/organisations/switch_main", url.Values{"organisation": {itoa(org.ID)}}); r.Status != http.StatusSeeOther {
			t.Fatalf("switch to %s: %d", org.Name, r.Status)
		}
	}
	wantOtherOrganisation := func(t *testing.T, r apptest.Page) {
		t.Helper()
		d := parseHTML(t, r.Body)
		main := words(d.Find("main"))
		if r.Status != http.StatusConflict || !strings.Contains(main, "commencé pour MFS Nord") || !strings.Contains(main, "CCAS Sud") ||
			d.Find(`main a[href="/espace-aidant/creation_mandat/"]`).Length() != 1 || strings.Contains(r.Body, "Angela") ||
			d.Find(`input[name="otp_token"]`).Length() != 0 {
			t.Fatalf("recap after a switch: %d %s", r.Status, r.Body)
		}
	}

	t.Run("switch before the FranceConnect callback", func(t *testing.T) {
		b := e.Login(p)
		auth := startMandat(t, b, mandatForm("SHORT", "papiers"))
		cb := franceConnect(t, b, auth, "login", 0)
		switchTo(b, sud)
		r := b.Get(cb)
		if r.Status != http.StatusSeeOther || r.Location != recapPath {
			t.Fatalf("callback after a switch: %d %q", r.Status, r.Location)
		}
		wantOtherOrganisation(t, b.Get(recapPath))
		if n := e.Count("usagers"); n != 0 {
			t.Errorf("%d usagers recorded", n)
		}
		for _, org := range []*store.Organisation{nord, sud} {
			for _, j := range e.Journal(org.ID) {
				if j.Action == store.ActionFranceConnectUsager {
					t.Errorf("franceconnect_usager journaled under %s", org.Name)
				}
			}
		}
		switchTo(b, nord)
	})
	t.Run("switch at the recap", func(t *testing.T) {
		b := e.Login(p)
		auth := startMandat(t, b, mandatForm("SHORT", "papiers"))
		if r := callback(t, b, franceConnect(t, b, auth, "login", 0)); r.Status != http.StatusOK {
			t.Fatalf("recap: %d", r.Status)
		}
		switchTo(b, sud)
		wantOtherOrganisation(t, b.Get(recapPath))
		wantOtherOrganisation(t, b.Post(recapPath, url.Values{"personal_data": {"on"}, "otp_token": {e.Code(p)}}))
		if n := e.Count("mandats"); n != 0 {
			t.Fatalf("%d mandats signed", n)
		}
		// Starting again, for the organisation of the moment.
		if r := b.Get("/espace-aidant/creation_mandat/"); r.Status != http.StatusOK || !strings.Contains(r.Body, "CCAS Sud") {
			t.Fatalf("start again: %d", r.Status)
		}
		if r := b.Get(recapPath); r.Status != http.StatusSeeOther || r.Location != "/espace-aidant/creation_mandat/" {
			t.Fatalf("the old run is gone: %d %q", r.Status, r.Location)
		}
		switchTo(b, nord)
	})
}

// TestMandatIdentityControlCharacters: the simulator's identity 6 has names laced with control
// and bidirectional characters; the recap, the attestation and the stored usager show them
// without, and the journal keeps what FranceConnect sent, escaped.
func TestMandatIdentityControlCharacters(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	org := e.Org("MFS")
	p := e.Aidant("jean@example.fr", org, true)
	b := e.Login(p)
	recap := callback(t, b, franceConnect(t, b, startMandat(t, b, mandatForm("LONG", "papiers")), "login", 6))
	if recap.Status != http.StatusOK || !strings.Contains(recap.Body, "Nadia KHALIL") || strings.ContainsAny(recap.Body, "\u202e\u202c\u200f\x01") {
		t.Fatalf("recap: %d %q", recap.Status, recap.Body)
	}
	r := b.Post(recapPath, url.Values{"personal_data": {"on"}, "otp_token": {e.Code(p)}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("sign: %d", r.Status)
	}
	if att := b.Get(r.Location); !strings.Contains(att.Body, "Nadia KHALIL") || strings.ContainsAny(att.Body, "\u202e\u202c\u200f\x01") {
		t.Fatalf("attestation: %q", att.Body)
	}
	u := new(store.Usager)
	if err := e.App.DB.NewSelect().Model(u).Limit(1).Scan(context.Background()); err != nil || u.GivenName != "Nadia" || u.FamilyName != "Khalil" {
		t.Fatalf("stored %q %q (%v)", u.GivenName, u.FamilyName, err)
	}
	var info string
	for _, j := range e.Journal(org.ID) {
		if j.Action == store.ActionFranceConnectUsager {
			info = j.Info
		}
	}
	if !strings.Contains(info, `given_name="Nadia\u200f"`) || !strings.Contains(info, `family_name="\u202eKhalil\u202c\x01"`) {
		t.Fatalf("journal info %q", info)
	}
}

// TestMandatSignTwiceConcurrently: a double click sends the signature twice at once. One
// mandat is created, nothing of it is revoked by a duplicate, and the second answer says the
// truth: the mandat exists, with a link to its attestation.
func TestMandatSignTwiceConcurrently(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	org := e.Org("MFS")
	p := e.Aidant("jean@example.fr", org, true)
	b := e.Login(p)
	callback(t, b, franceConnect(t, b, startMandat(t, b, mandatForm("LONG", "papiers", "social")), "login", 0))
	form := url.Values{"personal_data": {"on"}, "otp_token": {e.Code(p)}}
	var pages [2]apptest.Page
	var wg sync.WaitGroup
	for i := range pages {
		bi := b.Clone(t)
		wg.Go(func() { pages[i] = bi.Post(recapPath, form) })
	}
	wg.Wait()
	if n := e.Count("mandats"); n != 1 {
		t.Fatalf("%d mandats after a double submission, want 1", n)
	}
	var m store.Mandat
	if err := e.App.DB.NewSelect().Model(&m).Relation("Autorisations").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, a := range m.Autorisations {
		if a.RevokedAt != nil {
			t.Errorf("autorisation %s revoked by the duplicate submission", a.Demarche)
		}
	}
	if hasAction(e.Journal(org.ID), store.ActionCancelAutorisation) {
		t.Error("cancel_autorisation journaled by the duplicate submission")
	}
	attestation := "/espace-aidant/mandats/" + strconv.FormatInt(m.ID, 10) + "/attestation/"
	var created, told int
	for _, r := range pages {
		switch {
		case r.Status == http.StatusSeeOther && strings.HasPrefix(r.Location, attestation):
			created++
		case r.Status == http.StatusOK && strings.Contains(r.Body, "Ce mandat a déjà été créé") && strings.Contains(r.Body, `href="`+attestation+`"`):
			told++
		default:
			t.Errorf("answer: %d %q %s", r.Status, r.Location, r.Body)
		}
		if strings.Contains(r.Body, "Rien n&#39;a été enregistré") {
			t.Errorf("an answer says nothing was saved")
		}
	}
	if created != 1 || told != 1 {
		t.Fatalf("%d answers lead to the new mandat, %d say it exists; want 1 and 1", created, told)
	}
}

// TestMandatSignAgainAfterBack: Back from the attestation to the recap, and the form sent
// again, say that the mandat exists; nothing more is created.
func TestMandatSignAgainAfterBack(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	org := e.Org("MFS")
	p := e.Aidant("jean@example.fr", org, true)
	b := e.Login(p)
	callback(t, b, franceConnect(t, b, startMandat(t, b, mandatForm("LONG", "papiers")), "login", 0))
	r := b.Post(recapPath, url.Values{"personal_data": {"on"}, "otp_token": {e.Code(p)}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("sign: %d", r.Status)
	}
	attestation := strings.SplitN(r.Location, "?", 2)[0]
	for _, htmx := range []bool{false, true} {
		b.HTMX = htmx
		back := b.Get(recapPath)
		if back.Status != http.StatusOK || !strings.Contains(back.Body, "Ce mandat a déjà été créé") || !strings.Contains(back.Body, `href="`+attestation+`"`) {
			t.Fatalf("recap after signing (htmx %t): %d %q %s", htmx, back.Status, back.Location, back.Body)
		}
		e.Clock.Advance(30 * time.Second)
		again := b.Post(recapPath, url.Values{"personal_data": {"on"}, "otp_token": {e.Code(p)}})
		if again.Status != http.StatusOK || !strings.Contains(again.Body, "Ce mandat a déjà été créé") || !strings.Contains(again.Body, `href="`+attestation+`"`) {
			t.Fatalf("sign again (htmx %t): %d %q", htmx, again.Status, again.Location)
		}
	}
	if n := e.Count("mandats"); n != 1 {
		t.Fatalf("%d mandats, want 1", n)
	}
	// Starting a new mandat forgets the signed run.
	b.HTMX = false
	if r := b.Get("/espace-aidant/creation_mandat/"); r.Status != http.StatusOK {
		t.Fatalf("step 1: %d", r.Status)
	}
	if r := b.Get(recapPath); r.Status != http.StatusSeeOther || r.Location != "/espace-aidant/creation_mandat/" {
		t.Fatalf("recap after a new start: %d %q", r.Status, r.Location)
	}
}

// TestMandatStep1KeepsChoicesAfterFranceConnect: when the usager cancels at FranceConnect, or
// FranceConnect sends an incomplete identity, step 1 comes back with the démarches and the
// duration chosen (once: a new start is empty again).
func TestMandatStep1KeepsChoicesAfterFranceConnect(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	org := e.Org("MFS")
	b := e.Login(e.Aidant("jean@example.fr", org, true))
	checked := func(body, value string) bool {
		return regexp.MustCompile(`value="` + value + `" checked`).MatchString(body)
	}
	for _, tc := range []struct {
		name     string
		action   string
		identity int
	}{{"cancelled", "cancel", 0}, {"incomplete", "login", 5}} {
		r := callback(t, b, franceConnect(t, b, startMandat(t, b, mandatForm("SEMESTER", "papiers", "argent")), tc.action, tc.identity))
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "Créer un mandat") {
			t.Fatalf("%s: %d", tc.name, r.Status)
		}
		for _, v := range []string{"papiers", "argent", "SEMESTER"} {
			if !checked(r.Body, v) {
				t.Errorf("%s: %s not ticked on step 1", tc.name, v)
			}
		}
		if checked(r.Body, "social") || checked(r.Body, "LONG") {
			t.Errorf("%s: a choice not made is ticked", tc.name)
		}
		if again := b.Get("/espace-aidant/creation_mandat/"); checked(again.Body, "papiers") || checked(again.Body, "SEMESTER") {
			t.Errorf("%s: a new start still shows the old choices", tc.name)
		}
	}
	if e.Count("mandat_flows") != 0 {
		t.Fatal("a failed run was kept")
	}
}

// TestMandatRenewalSaysWhatChanges: the renewal form starts from the démarches in force; the
// recap names the usager fully, says which démarches are replaced and which stay, and can
// change the démarches without FranceConnect; the new mandat's page offers the revocation
// attestation of what it replaced; « Annuler » forgets the run.
func TestMandatRenewalSaysWhatChanges(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	org := e.Org("MFS")
	p := e.Aidant("jean@example.fr", org, true)
	b := e.Login(p)
	callback(t, b, franceConnect(t, b, startMandat(t, b, mandatForm("LONG", "papiers", "social")), "login", 0))
	r := b.Post(recapPath, url.Values{"personal_data": {"on"}, "otp_token": {e.Code(p)}})
	first := mandatIDIn(t, r.Location)
	old, err := e.App.Store.GetMandat(context.Background(), org.ID, first)
	if err != nil {
		t.Fatal(err)
	}
	renew := "/espace-aidant/renew_mandat/" + strconv.FormatInt(old.UsagerID, 10)
	checked := func(body, value string) bool { return strings.Contains(body, `value="`+value+`" checked`) }
	form := b.Get(renew)
	if !checked(form.Body, "papiers") || !checked(form.Body, "social") || checked(form.Body, "famille") {
		t.Fatalf("renewal form does not start from the démarches in force")
	}
	if r := b.Post(renew, mandatForm("MONTH", "papiers", "famille")); r.Status != http.StatusSeeOther || r.Location != recapPath {
		t.Fatalf("renewal: %d %q", r.Status, r.Location)
	}
	section := func(body, id string) string {
		m := regexp.MustCompile(`(?s)<ul id="` + id + `">(.*?)</ul>`).FindStringSubmatch(body)
		if m == nil {
			return ""
		}
		return m[1]
	}
	recap := b.Get(recapPath)
	if !strings.Contains(recap.Body, "née le 24 août 1962, commune de naissance 75107 (code INSEE)") {
		t.Errorf("recap lacks the birth date and place: %s", recap.Body)
	}
	if got := section(recap.Body, "recap-replaced"); !strings.Contains(got, "Papiers") || strings.Contains(got, "Social") {
		t.Errorf("replaced = %q", got)
	}
	if got := section(recap.Body, "recap-kept"); !strings.Contains(got, "Social") || strings.Contains(got, "Papiers") {
		t.Errorf("kept = %q", got)
	}
	for _, want := range []string{`href="/espace-aidant/creation_mandat/recapitulatif/modifier/"`, `action="/espace-aidant/creation_mandat/annuler/"`, "Modifier les démarches", ">Annuler<"} {
		if !strings.Contains(recap.Body, want) {
			t.Errorf("recap lacks %q", want)
		}
	}

	// « Modifier les démarches »: the run's choices, changed in place.
	const edit = "/espace-aidant/creation_mandat/recapitulatif/modifier/"
	if r := b.Get(edit); r.Status != http.StatusOK || !checked(r.Body, "famille") || !checked(r.Body, "MONTH") || checked(r.Body, "social") {
		t.Fatalf("edit page: %d", r.Status)
	}
	if r := b.Post(edit, mandatForm("MONTH")); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Sélectionnez au moins une démarche.") {
		t.Fatalf("edit with no démarche: %d", r.Status)
	}
	if r := b.Post(edit, mandatForm("LONG", "famille")); r.Status != http.StatusSeeOther || r.Location != recapPath {
		t.Fatalf("edit: %d %q", r.Status, r.Location)
	}
	recap = b.Get(recapPath)
	if section(recap.Body, "recap-replaced") != "" || !strings.Contains(section(recap.Body, "recap-kept"), "Papiers") || !strings.Contains(recap.Body, "pour une durée de 1 an") {
		t.Fatalf("recap after the edit: %s", recap.Body)
	}
	b.Post(edit, mandatForm("LONG", "papiers", "famille"))

	// Signed: the page offers the revocation attestation of the replaced démarche.
	e.Clock.Advance(30 * time.Second)
	r = b.Post(recapPath, url.Values{"personal_data": {"on"}, "otp_token": {e.Code(p)}})
	att := b.Get(r.Location)
	papiers := old.Autorisations[0]
	if papiers.Demarche != "papiers" {
		papiers = old.Autorisations[1]
	}
	revocation := "/espace-aidant/mandats/" + strconv.FormatInt(old.ID, 10) + "/autorisations/" + strconv.FormatInt(papiers.ID, 10) + "/revocation/"
	if !strings.Contains(att.Body, "Démarches remplacées") || !strings.Contains(att.Body, `href="`+revocation+`"`) || strings.Count(att.Body, "Attestation de révocation :") != 1 {
		t.Fatalf("the new mandat's page does not offer the replaced démarche's attestation: %s", att.Body)
	}
	if r := b.Get(revocation); r.Status != http.StatusOK || !strings.Contains(r.Body, "Papiers") {
		t.Fatalf("replaced démarche's attestation: %d", r.Status)
	}

	// « Annuler » forgets the run, and says so.
	b.Post(renew, mandatForm("MONTH", "papiers"))
	if r := b.Post("/espace-aidant/creation_mandat/annuler/", nil); r.Status != http.StatusSeeOther || r.Location != "/espace-aidant/" {
		t.Fatalf("cancel: %d %q", r.Status, r.Location)
	}
	if n := e.Count("mandat_flows"); n != 0 {
		t.Fatalf("%d runs left after « Annuler »", n)
	}
	if home := b.Get("/espace-aidant/"); !strings.Contains(home.Body, "Le mandat n&#39;a pas été créé") {
		t.Fatal("no message after « Annuler »")
	}
	if n := e.Count("mandats"); n != 2 {
		t.Fatalf("%d mandats, want 2", n)
	}
}
