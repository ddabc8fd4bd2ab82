package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/idp"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/handlers"
	"github.com/aidantsconnect/ac/store"
)

// namedClient registers a relying party with a name, as a public service's registration has.
func namedClient(t *testing.T, e *apptest.Env, id, name string) *fcRP {
	t.Helper()
	secret, err := idp.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Store.CreateIdPClient(context.Background(), store.IdPClientInput{ID: id, Name: name, Secret: secret,
		RedirectURIs: []string{fcCallback}, PostLogoutURIs: []string{fcLogoutCallback}, IDTokenAlg: store.AlgES256,
		UserinfoFormat: store.UserinfoJSON, Source: "cli"}); err != nil {
		t.Fatal(err)
	}
	return &fcRP{e: e, id: id, secret: secret, redirectURI: fcCallback, alg: store.AlgES256, format: store.UserinfoJSON}
}

// useAt has the world's aidant use the usager's démarche at the relying party: the whole FI
// login, the code exchange and userinfo (which journals use_autorisation).
func useAt(t *testing.T, w *fiWorld, rp *fcRP, u *store.Usager, demarche string) {
	t.Helper()
	q := fiLogin(t, w.b, rp.authorizeURL(rp.authorizeParams(apptest.RandomHex(t), apptest.RandomHex(t))), u, demarche)
	status, tok := rp.token(t, q.Get("code"))
	if status != http.StatusOK {
		t.Fatalf("token: %d %v", status, tok)
	}
	if resp, body := rp.userinfo(t, "Bearer "+tok["access_token"].(string)); resp.StatusCode != http.StatusOK {
		t.Fatalf("userinfo: %d %s", resp.StatusCode, body)
	}
}

func TestEspaceUsagerSignInShowsMandatsAndUses(t *testing.T) {
	t.Parallel()
	w := newFIWorld(t) // Angela (identity 0): famille and argent; Carlos (identity 3): papiers
	caf := namedClient(t, w.e, "caf", "Caisse d'allocations familiales")
	useAt(t, w, caf, w.angela, "famille")
	usedAt := w.e.Clock.Now().In(paris)
	w.e.Clock.Advance(time.Minute)

	b := w.e.LoginUsager(0)
	if _, ok := b.Jar[handlers.SessionCookie]; ok {
		t.Fatal("signing in to the espace usager opened an aidant session")
	}
	home := b.Get(paths.MonEspace)
	if home.Status != http.StatusOK {
		t.Fatalf("home: %d", home.Status)
	}
	d := parseHTML(t, home.Body)
	cards := d.Find("#mes-mandats article")
	if cards.Length() != 1 {
		t.Fatalf("%d mandats shown", cards.Length())
	}
	card := words(cards)
	for _, want := range []string{"Mandat donné à Maison France Services le " + usedAt.Format("02/01/2006"), "En cours",
		"Établi par : Jean T. , aidant de Maison France Services", "Mandat long"} {
		if !strings.Contains(card, want) {
			t.Errorf("the mandat card lacks %q: %s", want, card)
		}
	}
	rows, links := cells(d, "#mes-mandats")
	if len(rows) != 2 || rows[0][0] != "Famille - Scolarité" || rows[0][1] != "En cours" || rows[1][0] != "Argent - Impôts - Consommation" || len(links[0]) != 1 {
		t.Fatalf("démarches: %v %v", rows, links)
	}
	if strings.Contains(home.Body, "Carlos") || strings.Contains(home.Body, "papiers") {
		t.Fatal("someone else's mandat shows")
	}
	if h := words(d.Find("header")); !strings.Contains(h, "Mon espace") || !strings.Contains(h, "Se déconnecter") || strings.Contains(h, "Espace aidant") {
		t.Errorf("header: %q", h)
	}

	uses := b.Get(paths.MonEspaceUses)
	rows, _ = cells(parseHTML(t, uses.Body), "#mes-demarches")
	want := []string{usedAt.Format("02/01/2006") + " à " + usedAt.Format("15h04"), "Famille - Scolarité", "Maison France Services", "Jean T.", "Caisse d'allocations familiales"}
	if uses.Status != http.StatusOK || len(rows) != 1 || strings.Join(rows[0], "|") != strings.Join(want, "|") {
		t.Fatalf("uses: %d %q, want %q", uses.Status, rows, want)
	}

	// The mandate as a PDF; someone else's mandat is introuvable, and so are the aidants' pages.
	m, err := w.e.App.Store.ListUsagerMandats(context.Background(), w.angela.ID)
	if err != nil {
		t.Fatal(err)
	}
	pdf := b.Get(paths.MonEspaceMandatPDF(m.Mandats[0].ID))
	if pdf.Status != http.StatusOK || !strings.HasPrefix(pdf.Body, "%PDF-") || pdf.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("pdf: %d %q", pdf.Status, pdf.Header.Get("Content-Type"))
	}
	carlos, err := w.e.App.Store.ListUsagerMandats(context.Background(), w.carlos.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := b.Get(paths.MonEspaceMandatPDF(carlos.Mandats[0].ID)); r.Status != http.StatusNotFound || !strings.Contains(r.Body, "introuvable ou inaccessible") {
		t.Errorf("someone else's PDF: %d", r.Status)
	}
	if r := b.Get(paths.MandatAttestationPDF(m.Mandats[0].ID)); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, paths.Login) {
		t.Errorf("the aidant's PDF with a usager session: %d %q", r.Status, r.Location)
	}
	// The aidant's session opens nothing of the space.
	if r := w.b.Get(paths.MonEspace); r.Status != http.StatusSeeOther || r.Location != paths.MonEspaceLogin {
		t.Errorf("the space with an aidant session: %d %q", r.Status, r.Location)
	}

	// Thirty minutes after signing in, however active, the session is over.
	w.e.Clock.Advance(handlers.UsagerSessionTTL - 2*time.Minute)
	if r := b.Get(paths.MonEspace); r.Status != http.StatusOK {
		t.Fatalf("within 30 minutes: %d", r.Status)
	}
	w.e.Clock.Advance(2 * time.Minute)
	if r := b.Get(paths.MonEspace); r.Status != http.StatusSeeOther || r.Location != paths.MonEspaceLogin {
		t.Fatalf("after 30 minutes: %d %q", r.Status, r.Location)
	}
}

func TestEspaceUsagerRevokesOneDemarche(t *testing.T) {
	t.Parallel()
	w := newFIWorld(t)
	ctx := context.Background()
	b := w.e.LoginUsager(0)
	ms, err := w.e.App.Store.ListUsagerMandats(ctx, w.angela.ID)
	if err != nil {
		t.Fatal(err)
	}
	m := ms.Mandats[0]
	famille := m.Autorisations[0]
	if famille.Demarche != "famille" {
		t.Fatalf("first autorisation: %s", famille.Demarche)
	}
	carlos, _ := w.e.App.Store.ListUsagerMandats(ctx, w.carlos.ID)
	other := carlos.Mandats[0]

	// Someone else's mandat or autorisation: introuvable, whatever the method; nothing changes.
	journal := len(w.e.Journal(w.org.ID))
	for _, p := range []string{paths.MonEspaceMandatRevoke(other.ID), paths.MonEspaceAutorisationRevoke(other.ID, other.Autorisations[0].ID),
		paths.MonEspaceAutorisationRevoke(m.ID, other.Autorisations[0].ID)} {
		if r := b.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d", p, r.Status)
		}
		if r := b.Post(p, nil); r.Status != http.StatusNotFound {
			t.Errorf("POST %s: %d", p, r.Status)
		}
	}
	if n := len(w.e.Journal(w.org.ID)); n != journal {
		t.Fatalf("refused revocations journaled %d entries", n-journal)
	}
	// Without the CSRF token: refused.
	if r := b.PostRaw(paths.MonEspaceAutorisationRevoke(m.ID, famille.ID), url.Values{}); r.Status != http.StatusForbidden {
		t.Errorf("revocation without CSRF token: %d", r.Status)
	}

	confirm := b.Get(paths.MonEspaceAutorisationRevoke(m.ID, famille.ID))
	if confirm.Status != http.StatusOK || words(parseHTML(t, confirm.Body).Find("#demarches-concernees")) != "Famille - Scolarité" {
		t.Fatalf("confirmation: %d", confirm.Status)
	}
	w.e.Clock.Advance(time.Minute)
	r := b.Post(paths.MonEspaceAutorisationRevoke(m.ID, famille.ID), nil)
	if r.Status != http.StatusSeeOther || r.Location != paths.MonEspaceAutorisationRevoked(m.ID, famille.ID) {
		t.Fatalf("revoke: %d %q", r.Status, r.Location)
	}
	done := b.Get(r.Location)
	page := words(parseHTML(t, done.Body).Find("main"))
	for _, want := range []string{"La démarche est révoquée.", "Le mandat reste valable pour ses autres démarches.", "révoque l'autorisation donnée à", "Famille - Scolarité"} {
		if done.Status != http.StatusOK || !strings.Contains(page, want) {
			t.Errorf("revocation page lacks %q: %d %s", want, done.Status, page)
		}
	}
	// Its attestation as a PDF too, for this person only.
	pdf := paths.MonEspaceAutorisationRevocationPDF(m.ID, famille.ID)
	if !strings.Contains(done.Body, `href="`+pdf+`"`) {
		t.Errorf("the revocation page does not offer its PDF")
	}
	if r := b.Get(pdf); r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(r.Body, "%PDF-") {
		t.Errorf("revocation PDF: %d %q", r.Status, r.Header.Get("Content-Type"))
	}
	j := w.e.Journal(w.org.ID)[0]
	if j.Action != store.ActionCancelAutorisation || j.AidantID != nil || j.Info != store.InfoByUsager || *j.UsagerID != w.angela.ID ||
		*j.AutorisationID != famille.ID || j.Demarche != "famille" {
		t.Fatalf("journal: %+v", j)
	}
	w.e.UsagerWithMandat(1, w.org, "LONG", "papiers")
	if r := w.e.LoginUsager(1).Get(pdf); r.Status != http.StatusNotFound {
		t.Errorf("another person's revocation PDF: %d, want 404", r.Status)
	}
	home := b.Get(paths.MonEspace)
	rows, links := cells(parseHTML(t, home.Body), "#mes-mandats")
	revokedOn := w.e.Clock.Now().In(paris).Format("02/01/2006")
	if rows[0][1] != "Révoquée par vous le "+revokedOn || len(links[0]) != 1 || links[0][0] != paths.MonEspaceAutorisationRevocation(m.ID, famille.ID) {
		t.Errorf("home after the revocation: %v %v", rows, links)
	}

	// The organisation's aidants see it as revoked by the usager.
	aidantView := w.b.Get(paths.Usager(w.angela.ID))
	if !strings.Contains(words(parseHTML(t, aidantView.Body).Find("main")), "Révoquée par l'usager le "+revokedOn) {
		t.Errorf("the aidant's usager page: %s", aidantView.Body)
	}

	// The FI no longer offers famille for her, nor accepts it posted by hand; argent remains.
	rp := fcClient(t, w.e, "franceconnect", store.AlgES256, store.UserinfoJSON, nil)
	id := startFI(t, w.b, rp.authorizeURL(rp.authorizeParams(apptest.RandomHex(t), apptest.RandomHex(t))))
	w.b.Post("/select_usager/", url.Values{"id": {id}, "usager": {itoa(w.angela.ID)}})
	step2 := w.b.Get("/select_demarche/?id=" + id)
	if strings.Contains(step2.Body, `value="famille"`) || !strings.Contains(step2.Body, `value="argent"`) {
		t.Errorf("step 2 after the usager's revocation: %s", step2.Body)
	}
	if r := w.b.Post("/select_demarche/", url.Values{"id": {id}, "demarche": {"famille"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("famille posted by hand: %d", r.Status)
	}

	// Then the whole mandat: its attestation, offered from the home page.
	r = b.Post(paths.MonEspaceMandatRevoke(m.ID), nil)
	if r.Status != http.StatusSeeOther || r.Location != paths.MonEspaceMandatRevoked(m.ID) {
		t.Fatalf("revoke the mandat: %d %q", r.Status, r.Location)
	}
	if p := b.Get(r.Location); !strings.Contains(p.Body, "Le mandat est révoqué.") || !strings.Contains(p.Body, "révoque le mandat donné à") {
		t.Errorf("mandat revocation page: %s", p.Body)
	}
	if r := b.Get(paths.MonEspaceMandatRevocationPDF(m.ID)); r.Status != http.StatusOK || !strings.HasPrefix(r.Body, "%PDF-") {
		t.Errorf("mandat revocation PDF: %d", r.Status)
	}
	home = b.Get(paths.MonEspace)
	if !strings.Contains(home.Body, paths.MonEspaceMandatRevocation(m.ID)) || !strings.Contains(home.Body, "Révoqué par vous le") {
		t.Errorf("home after the mandat's revocation lacks its attestation")
	}
	if r := b.Get(paths.MonEspaceMandatRevoke(m.ID)); r.Status != http.StatusNotFound {
		t.Errorf("revoking a revoked mandat: %d", r.Status)
	}
}

func TestEspaceUsagerUnknownPersonAndLogout(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	e.UsagerWithMandat(0, e.Org("MFS"), "LONG", "papiers")

	// Someone with no mandat in their name: logged out of FranceConnect, then told so.
	b := e.Browser()
	r := b.SimFranceConnect(paths.MonEspaceFCAuthorize, 2)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, e.URL+paths.FCSim+paths.FCSimEndSession+"?") {
		t.Fatalf("unknown person: %d %q", r.Status, r.Location)
	}
	out := b.Get(r.Location) // the simulator's end_session
	if out.Status != http.StatusFound && out.Status != http.StatusSeeOther || !strings.HasPrefix(out.Location, e.URL+paths.MonEspaceLoggedOut) {
		t.Fatalf("simulator logout: %d %q", out.Status, out.Location)
	}
	page := b.Get(out.Location)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "Aucun mandat à votre nom") {
		t.Fatalf("unknown page: %d", page.Status)
	}
	if r := b.Get(paths.MonEspace); r.Status != http.StatusSeeOther || r.Location != paths.MonEspaceLogin {
		t.Errorf("after the unknown page: %d %q", r.Status, r.Location)
	}

	// A known person logs out: our session ends, then FranceConnect's, with the sign-in's ID token.
	b = e.LoginUsager(0)
	r = b.Post(paths.MonEspaceLogout, nil)
	u, _ := url.Parse(r.Location)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, e.URL+paths.FCSim+paths.FCSimEndSession+"?") ||
		u.Query().Get("id_token_hint") == "" || u.Query().Get("post_logout_redirect_uri") != e.URL+paths.MonEspaceLoggedOut {
		t.Fatalf("logout: %d %q", r.Status, r.Location)
	}
	if r := b.Get(paths.MonEspace); r.Status != http.StatusSeeOther {
		t.Fatalf("the session outlived the logout: %d", r.Status)
	}
	out = b.Get(r.Location)
	if page := b.Get(out.Location); page.Status != http.StatusOK || !strings.Contains(page.Body, "Vous êtes déconnecté") {
		t.Fatalf("logged out page: %d %s", page.Status, page.Body)
	}
}

func TestEspaceUsagerSignInFailures(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	e.UsagerWithMandat(0, e.Org("MFS"), "LONG", "papiers")
	problem := func(key string) string { return paths.MonEspaceLoginProblem(key) }

	t.Run("cancelled at FranceConnect", func(t *testing.T) {
		b := e.Browser()
		r := b.Get(paths.MonEspaceFCAuthorize)
		for r.Status == http.StatusFound || r.Status == http.StatusSeeOther {
			if strings.HasPrefix(r.Location, e.URL+paths.MonEspaceFCCallback) || strings.HasPrefix(r.Location, paths.MonEspaceLogin) {
				break
			}
			r = b.Get(r.Location)
		}
		form := url.Values{"action": {"cancel"}}
		for _, m := range simField.FindAllStringSubmatch(r.Body, -1) {
			form.Set(m[1], m[2])
		}
		r = b.PostRaw("/fcsim/login", form)
		for r.Status == http.StatusFound && strings.Contains(r.Location, "/fcsim/") {
			r = b.Get(r.Location)
		}
		if r = b.Get(r.Location); r.Location != problem("annule") {
			t.Fatalf("cancel: %d %q", r.Status, r.Location)
		}
		if p := b.Get(r.Location); !strings.Contains(p.Body, "Vous avez annulé la connexion avec FranceConnect") {
			t.Errorf("sign-in page after a cancel: %s", p.Body)
		}
	})
	t.Run("incomplete identity", func(t *testing.T) {
		if r := e.Browser().SimFranceConnect(paths.MonEspaceFCAuthorize, 5); r.Location != problem("incomplet") {
			t.Fatalf("incomplete: %d %q", r.Status, r.Location)
		}
	})
	t.Run("a callback is used once", func(t *testing.T) {
		b := e.Browser()
		// Stop at our callback, to send it twice.
		var callbackURL string
		r := b.Get(paths.MonEspaceFCAuthorize)
		for r.Status == http.StatusFound || r.Status == http.StatusSeeOther {
			r = b.Get(r.Location)
		}
		form := url.Values{"action": {"login"}, "identity": {"0"}}
		for _, m := range simField.FindAllStringSubmatch(r.Body, -1) {
			form.Set(m[1], m[2])
		}
		r = b.PostRaw("/fcsim/login", form)
		for r.Status == http.StatusFound && strings.Contains(r.Location, "/fcsim/") {
			r = b.Get(r.Location)
		}
		callbackURL = r.Location
		replay := b.Clone(t)
		if r := b.Get(callbackURL); r.Location != paths.MonEspace {
			t.Fatalf("first callback: %d %q", r.Status, r.Location)
		}
		if r := replay.Get(callbackURL); r.Location != problem("expire") {
			t.Errorf("replayed callback: %d %q", r.Status, r.Location)
		}
		// A state of someone else's sign-in: refused.
		other := e.Browser()
		other.Get(paths.MonEspaceFCAuthorize)
		if r := other.Get(callbackURL); r.Location != problem("echec") {
			t.Errorf("another session's callback: %d %q", r.Status, r.Location)
		}
	})
	t.Run("a sign-in older than ten minutes", func(t *testing.T) {
		b := e.Browser()
		r := b.Get(paths.MonEspaceFCAuthorize)
		for r.Status == http.StatusFound || r.Status == http.StatusSeeOther {
			r = b.Get(r.Location)
		}
		form := url.Values{"action": {"login"}, "identity": {"0"}}
		for _, m := range simField.FindAllStringSubmatch(r.Body, -1) {
			form.Set(m[1], m[2])
		}
		r = b.PostRaw("/fcsim/login", form)
		for r.Status == http.StatusFound && strings.Contains(r.Location, "/fcsim/") {
			r = b.Get(r.Location)
		}
		e.Clock.Advance(11 * time.Minute)
		if r := b.Get(r.Location); r.Location != problem("expire") {
			t.Errorf("late callback: %d %q", r.Status, r.Location)
		}
	})
}
