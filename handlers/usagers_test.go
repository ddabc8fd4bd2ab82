package handlers_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/uptrace/bun"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/store/storetest"
	"github.com/aidantsconnect/ac/views/ui"
)

// creator is a demo aidant of org who creates mandats through the store (demo code), so that
// tests get named usagers without playing FranceConnect each time.
func creator(e *apptest.Env, email string, org *store.Organisation) *store.Aidant {
	e.T.Helper()
	return e.NewPerson(store.Aidant{Email: email, FirstName: "Créa", LastName: "Teur", CanCreateMandats: true, IsDemo: true}, org, false, false).Aidant
}

func fcPerson(sub, given, family, usage, gender, birth string) store.FCIdentity {
	return store.FCIdentity{Sub: sub, GivenName: given, FamilyName: family, PreferredUsername: usage, Birthdate: birth,
		Gender: gender, Birthplace: "75056", Birthcountry: "99100"}
}

// mandatFor creates a mandat through the store's wizard API, at e's clock.
func mandatFor(e *apptest.Env, a *store.Aidant, id store.FCIdentity, duree string, demarches ...string) *store.Mandat {
	e.T.Helper()
	m, _ := storetest.Mandat(e.T, e.App.Store, a, id, duree, demarches...)
	return m
}

// at moves the clock to start+d (mandats created in the past, before anyone logs in).
func at(e *apptest.Env, start time.Time, d time.Duration) {
	e.Clock.Set(start.Add(d))
}

// usagersWorld is one organisation with mandats in every state, and another organisation.
type usagersWorld struct {
	e                              *apptest.Env
	org, other                     *store.Organisation
	me                             *apptest.Person
	active, soon, expired, revoked *store.Mandat
	foreign                        *store.Mandat
	creator, foreignCreator        *store.Aidant
	start                          time.Time
}

func newUsagersWorld(t *testing.T) *usagersWorld {
	e := apptest.Start(t)
	w := &usagersWorld{e: e, org: e.Org("MFS Beaugency"), other: e.Org("CCAS Autreville"), start: e.Clock.Now()}
	w.creator, w.foreignCreator = creator(e, "createur@example.fr", w.org), creator(e, "createur@autre.fr", w.other)
	day := 24 * time.Hour
	at(e, w.start, -10*day)
	w.soon = mandatFor(e, w.creator, fcPerson("2", "Bruno", "Bientôt", "", "male", "1960-02-03"), "MONTH", "argent")
	at(e, w.start, -3*day)
	w.expired = mandatFor(e, w.creator, fcPerson("3", "Chloé", "Expirée", "Épouse", "female", "1970-03-04"), "SHORT", "famille")
	at(e, w.start, -2*day)
	w.revoked = mandatFor(e, w.creator, fcPerson("4", "Emma", "Révoquée", "", "female", "1990-05-06"), "LONG", "famille", "social")
	if _, err := e.App.Store.RevokeMandat(context.Background(), w.org.ID, w.creator.ID, w.revoked.ID); err != nil {
		t.Fatal(err)
	}
	at(e, w.start, 0)
	w.active = mandatFor(e, w.creator, fcPerson("1", "Joséphine", "Dupont", "", "female", "1950-03-02"), "LONG", "social", "papiers")
	w.foreign = mandatFor(e, w.foreignCreator, fcPerson("9", "Jean", "Dupont", "", "male", "1944-09-09"), "LONG", "social")
	w.me = e.Aidant("jean@example.fr", w.org, true)
	return w
}

// day is the date, in Paris, n days from the world's start: what the pages show.
func (w *usagersWorld) day(n int) string { return ui.Date(w.start.AddDate(0, 0, n).In(paris)) }

// usagerCells are the list's rows (their cells' words) and each row's links, name first.
func usagerCells(d *goquery.Document) (rows [][]string, links [][]string) {
	d.Find("#usagers-panel tbody tr").Each(func(_ int, tr *goquery.Selection) {
		var row, ls []string
		tr.Find("th, td").Each(func(_ int, c *goquery.Selection) { row = append(row, words(c)) })
		tr.Find("a").Each(func(_ int, a *goquery.Selection) { ls = append(ls, a.AttrOr("href", "")) })
		rows, links = append(rows, row), append(links, ls)
	})
	return rows, links
}

func TestUsagersListTabsSearchAndFragment(t *testing.T) {
	t.Parallel()
	w := newUsagersWorld(t)
	b := w.e.Login(w.me)

	home := parseHTML(t, b.Get("/espace-aidant/").Body)
	if home.Find(`.fr-tile a[href="/espace-aidant/creation_mandat/"]`).Text() != "Créer un mandat" ||
		home.Find(`.fr-tile a[href="/espace-aidant/usagers/"]`).Text() != "Mes usagers" || !strings.Contains(home.Text(), "MFS Beaugency") {
		t.Fatal("home lacks its tiles or the organisation name")
	}

	r := b.Get("/espace-aidant/usagers/")
	if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Vary"), "HX-Request") {
		t.Fatalf("list: %d, Vary %q", r.Status, r.Header.Get("Vary"))
	}
	d := parseHTML(t, r.Body)
	// The tabs are navigation links, the current one marked; no tab widget without its keys.
	var tabs []string
	d.Find(`nav.ac-tabs a`).Each(func(_ int, s *goquery.Selection) {
		tabs = append(tabs, s.AttrOr("aria-current", "-")+" "+s.Text()+" "+s.AttrOr("href", ""))
	})
	wantTabs := []string{
		"page Mandats actifs (2) /espace-aidant/usagers/?onglet=actifs",
		"- Mandats expirés (1) /espace-aidant/usagers/?onglet=expires",
		"- Mandats révoqués (1) /espace-aidant/usagers/?onglet=revoques",
	}
	if !reflect.DeepEqual(tabs, wantTabs) || d.Find(`[role="tab"], [role="tablist"], [role="tabpanel"]`).Length() != 0 {
		t.Fatalf("tabs:\n%q\nwant\n%q", tabs, wantTabs)
	}
	if got := d.Find("title").Text(); got != "Usagers – mandats actifs - Aidants Connect" {
		t.Errorf("title = %q", got)
	}
	if got := squash(d.Find("#usagers-status").Text()); got != "4 usagers : mandat actif pour 2, expiré pour 1, révoqué pour 1." || d.Find("#usagers-status").AttrOr("role", "") != "status" {
		t.Errorf("status = %q", got)
	}
	rows, links := usagerCells(d)
	wantRows := [][]string{
		{"Bruno BIENTÔT", "03/02/1960", "Jusqu'au " + w.day(-10+31) + " Expire bientôt", "Argent", "Renouveler le mandat de Bruno BIENTÔT"},
		{"Joséphine DUPONT", "02/03/1950", "Jusqu'au " + w.day(365), "Papiers Social", "Renouveler le mandat de Joséphine DUPONT"},
	}
	wantLinks := [][]string{
		{"/espace-aidant/usagers/" + itoa(w.soon.UsagerID) + "/", "/espace-aidant/renew_mandat/" + itoa(w.soon.UsagerID)},
		{"/espace-aidant/usagers/" + itoa(w.active.UsagerID) + "/", "/espace-aidant/renew_mandat/" + itoa(w.active.UsagerID)},
	}
	if !reflect.DeepEqual(rows, wantRows) || !reflect.DeepEqual(links, wantLinks) {
		t.Fatalf("active rows:\n%q\n%q\nwant\n%q\n%q", rows, links, wantRows, wantLinks)
	}
	var heads []string
	d.Find("#usagers-panel thead th").Each(func(_ int, s *goquery.Selection) { heads = append(heads, s.Text()) })
	if !reflect.DeepEqual(heads, []string{"Usager", "Date de naissance", "Mandat actif", "Démarches", "Actions"}) {
		t.Errorf("headers %q", heads)
	}

	// The other tabs: expired mandats can be renewed, revoked ones cannot.
	d = parseHTML(t, b.Get("/espace-aidant/usagers/?onglet=expires").Body)
	rows, links = usagerCells(d)
	if !reflect.DeepEqual(rows, [][]string{{"Chloé ÉPOUSE (née EXPIRÉE)", "04/03/1970", "Expiré le " + w.day(-3+1), "Famille",
		"Renouveler le mandat de Chloé ÉPOUSE (née EXPIRÉE)"}}) || len(links[0]) != 2 ||
		d.Find(`#usagers-tab-expires`).AttrOr("aria-current", "") != "page" || d.Find(`input[name="onglet"]`).AttrOr("value", "") != "expires" ||
		d.Find("title").Text() != "Usagers – mandats expirés - Aidants Connect" {
		t.Fatalf("expired tab: %q %q", rows, links)
	}
	d = parseHTML(t, b.Get("/espace-aidant/usagers/?onglet=revoques").Body)
	rows, links = usagerCells(d)
	if !reflect.DeepEqual(rows, [][]string{{"Emma RÉVOQUÉE", "06/05/1990", "Révoqué le " + w.day(-2), "Famille Social"}}) ||
		!reflect.DeepEqual(links[0], []string{"/espace-aidant/usagers/" + itoa(w.revoked.UsagerID) + "/"}) {
		t.Fatalf("revoked tab: %q %q", rows, links)
	}

	// Search: the whole page without JavaScript, the results region for htmx.
	r = b.Get("/espace-aidant/usagers/?onglet=actifs&q=DUPONT+jose")
	d = parseHTML(t, r.Body)
	rows, _ = usagerCells(d)
	if r.Status != http.StatusOK || len(rows) != 1 || rows[0][0] != "Joséphine DUPONT" || d.Find("#usagers-q").AttrOr("value", "") != "DUPONT jose" ||
		squash(d.Find("#usagers-status").Text()) != "1 usager trouvé pour « DUPONT jose » : mandat actif pour 1, expiré pour 0, révoqué pour 0." ||
		d.Find(`#usagers-tab-expires`).AttrOr("href", "") != "/espace-aidant/usagers/?onglet=expires&q=DUPONT+jose" {
		t.Fatalf("search page: %d %q", r.Status, rows)
	}
	in := d.Find("#usagers-q")
	for attr, want := range map[string]string{"hx-get": "/espace-aidant/usagers/", "hx-trigger": "input changed delay:300ms, search",
		"hx-target": "#usagers-results", "hx-push-url": "true", "hx-include": "closest form", "type": "search"} {
		if got := in.AttrOr(attr, ""); got != want {
			t.Errorf("search box %s = %q, want %q", attr, got, want)
		}
	}
	if f := d.Find(`form[role="search"]`); f.AttrOr("method", "") != "get" || f.AttrOr("action", "") != "/espace-aidant/usagers/" || d.Find(`label[for="usagers-q"]`).Length() != 1 {
		t.Error("the search is not a labelled GET form")
	}
	req := httptest.NewRequest(http.MethodGet, w.e.URL+"/espace-aidant/usagers/?onglet=actifs&q=dupont", nil)
	req.Header.Set("HX-Request", "true")
	frag := b.Do(req)
	if frag.Status != http.StatusOK || !strings.HasPrefix(frag.Body, `<div id="usagers-results">`) || strings.Contains(frag.Body, "<html") ||
		!strings.Contains(frag.Body, `<p id="usagers-status" hx-swap-oob="innerHTML">1 usager trouvé pour « dupont »`) ||
		!strings.Contains(frag.Header.Get("Vary"), "HX-Request") || strings.Contains(frag.Body, "1944") {
		t.Fatalf("fragment: %d %s", frag.Status, frag.Body)
	}
	b.HTMX = true // boosted navigation and history restore get the whole page
	if r := b.Get("/espace-aidant/usagers/?q=dupont"); !strings.Contains(r.Body, "<html") {
		t.Fatal("a boosted request got a fragment")
	}
	b.HTMX = false

	// Too long: 422, the message next to the box, nothing listed.
	r = b.Get("/espace-aidant/usagers/?q=" + strings.Repeat("é", 101))
	d = parseHTML(t, r.Body)
	if r.Status != http.StatusUnprocessableEntity || d.Find("#usagers-q-error").Text() == "" || d.Find("#usagers-q").AttrOr("aria-invalid", "") != "true" ||
		d.Find("#usagers-panel").Length() != 0 || !strings.Contains(d.Find("#usagers-q").AttrOr("aria-describedby", ""), "usagers-q-error") {
		t.Fatalf("too long a search: %d", r.Status)
	}
}

func TestUsagersNeverShowAnotherOrganisation(t *testing.T) {
	t.Parallel()
	w := newUsagersWorld(t)
	stranger := w.e.Aidant("autre@example.fr", w.other, true)
	b := w.e.Login(stranger)
	leaks := []string{"Joséphine", "Bruno", "Chloé", "Emma", "1950", "Beaugency"}
	noLeak := func(where, body string) {
		t.Helper()
		for _, l := range leaks {
			if strings.Contains(body, l) {
				t.Errorf("%s shows %q", where, l)
			}
		}
	}
	for _, path := range []string{"/espace-aidant/usagers/", "/espace-aidant/usagers/?q=dupont", "/espace-aidant/usagers/?q=jos",
		"/espace-aidant/usagers/?onglet=revoques", "/espace-aidant/usagers/?onglet=expires&q=e"} {
		r := b.Get(path)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d", path, r.Status)
		}
		noLeak(path, r.Body)
	}
	if rows, _ := cells(parseHTML(t, b.Get("/espace-aidant/usagers/?q=dupont").Body), "#usagers-panel"); len(rows) != 1 || rows[0][0] != "Jean DUPONT" {
		t.Fatalf("the stranger's own Dupont: %q", rows)
	}
	snapshot := func() string {
		var s []string
		if err := w.e.App.DB.NewRaw("SELECT concat_ws('|', a.id, a.revoked_at, a.revoked_by_aidant_id, m.revoked_at) FROM autorisations a JOIN mandats m ON m.id = a.mandat_id ORDER BY a.id").
			Scan(context.Background(), &s); err != nil {
			t.Fatal(err)
		}
		return strings.Join(s, ";") + "/" + itoa(int64(w.e.Count("journal")))
	}
	before := snapshot()
	a := w.active.Autorisations[0].ID
	for _, path := range []string{
		"/espace-aidant/usagers/" + itoa(w.active.UsagerID) + "/",
		"/espace-aidant/usagers/" + itoa(w.revoked.UsagerID) + "/",
		"/espace-aidant/usagers/999999/",
		"/espace-aidant/usagers/abc/",
		"/espace-aidant/mandats/" + itoa(w.active.ID) + "/revoquer/",
		"/espace-aidant/mandats/" + itoa(w.active.ID) + "/autorisations/" + itoa(a) + "/revoquer/",
		"/espace-aidant/mandats/" + itoa(w.revoked.ID) + "/revoquer/succes/",
		"/espace-aidant/mandats/" + itoa(w.revoked.ID) + "/revocation/",
		"/espace-aidant/mandats/" + itoa(w.revoked.ID) + "/autorisations/" + itoa(w.revoked.Autorisations[0].ID) + "/revocation/",
		"/espace-aidant/mandats/" + itoa(w.foreign.ID) + "/autorisations/" + itoa(a) + "/revoquer/", // own mandat, foreign autorisation
	} {
		r := b.Get(path)
		if r.Status != http.StatusNotFound || !strings.Contains(r.Body, "introuvable ou inaccessible") {
			t.Errorf("GET %s: %d", path, r.Status)
		}
		noLeak(path, r.Body)
	}
	for _, path := range []string{
		"/espace-aidant/mandats/" + itoa(w.active.ID) + "/revoquer/",
		"/espace-aidant/mandats/" + itoa(w.active.ID) + "/autorisations/" + itoa(a) + "/revoquer/",
		"/espace-aidant/mandats/" + itoa(w.foreign.ID) + "/autorisations/" + itoa(a) + "/revoquer/",
	} {
		if r := b.Post(path, nil); r.Status != http.StatusNotFound {
			t.Errorf("POST %s: %d", path, r.Status)
		}
	}
	if after := snapshot(); after != before {
		t.Fatalf("foreign revocation attempts changed the database:\n%s\n%s", before, after)
	}

	// An aidant of both organisations sees only the current one's usagers.
	both := w.e.Aidant("deux@example.fr", w.other, true)
	if err := w.e.App.Store.AddMembership(context.Background(), both.Aidant.ID, w.org.ID, false); err != nil {
		t.Fatal(err)
	}
	b2 := w.e.Login(both)
	noLeak("two organisations, current CCAS", b2.Get("/espace-aidant/usagers/?q=e").Body)
	if r := b2.Post("/espace-aidant/organisations/switch_main", url.Values{"organisation": {itoa(w.org.ID)}, "next": {"/espace-aidant/usagers/"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("switch: %d", r.Status)
	}
	r := b2.Get("/espace-aidant/usagers/?q=dupont")
	if rows, _ := cells(parseHTML(t, r.Body), "#usagers-panel"); len(rows) != 1 || rows[0][0] != "Joséphine DUPONT" {
		t.Fatalf("after the switch: %q", rows)
	}
	if r := b2.Get("/espace-aidant/usagers/" + itoa(w.foreign.UsagerID) + "/"); r.Status != http.StatusNotFound {
		t.Fatalf("the CCAS usager after switching to MFS: %d", r.Status)
	}
}

func TestRevocationPages(t *testing.T) {
	t.Parallel()
	w := newUsagersWorld(t)
	b := w.e.Login(w.me)
	e, m := w.e, w.active
	usagerPath := "/espace-aidant/usagers/" + itoa(m.UsagerID) + "/"

	d := parseHTML(t, b.Get(usagerPath).Body)
	if d.Find("h1").Text() != "Joséphine DUPONT" || !strings.Contains(d.Find(".fr-tag").First().Text(), "02/03/1950") {
		t.Fatal("usager page identity")
	}
	var groups []string
	d.Find("section h2").Each(func(_ int, s *goquery.Selection) { groups = append(groups, s.Text()) })
	if !reflect.DeepEqual(groups, []string{"Mandats actifs (1)", "Mandats expirés (0)", "Mandats révoqués (0)"}) {
		t.Fatalf("groups %q", groups)
	}
	rows, links := cells(d, "article")
	papiers := m.Autorisations[1] // autorisations in catalogue order: papiers, social
	social := m.Autorisations[0]
	if papiers.Demarche != "papiers" {
		papiers, social = social, papiers
	}
	revokeSocial := "/espace-aidant/mandats/" + itoa(m.ID) + "/autorisations/" + itoa(social.ID) + "/revoquer/"
	if !reflect.DeepEqual(rows, [][]string{
		{"Papiers - Citoyenneté - Élections", "En cours", "Révoquer la démarche Papiers - Citoyenneté - Élections"},
		{"Social - Santé", "En cours", "Révoquer la démarche Social - Santé"},
	}) || links[1][0] != revokeSocial {
		t.Fatalf("autorisations %q %q", rows, links)
	}
	for _, href := range []string{"/espace-aidant/mandats/" + itoa(m.ID) + "/attestation/", "/espace-aidant/renew_mandat/" + itoa(m.UsagerID),
		"/espace-aidant/mandats/" + itoa(m.ID) + "/revoquer/"} {
		if d.Find(`article a[href="`+href+`"]`).Length() != 1 {
			t.Errorf("no action %s", href)
		}
	}

	// One autorisation: confirmation, CSRF, POST, success, attestation.
	conf := parseHTML(t, b.Get(revokeSocial).Body)
	if conf.Find("h1").Text() != "Révoquer une démarche" || words(conf.Find("#demarches-concernees")) != "Social - Santé" ||
		conf.Find(`form[action="`+revokeSocial+`"] input[name="csrf_token"]`).Length() != 1 {
		t.Fatalf("confirmation page: %s", conf.Find("main").Text())
	}
	if r := b.PostRaw(revokeSocial, url.Values{}); r.Status != http.StatusForbidden {
		t.Fatalf("POST without CSRF: %d", r.Status)
	}
	e.Clock.Advance(time.Minute)
	revokedAt := e.Clock.Now().In(paris)
	r := b.Post(revokeSocial, nil)
	if r.Status != http.StatusSeeOther || r.Location != revokeSocial+"succes/" {
		t.Fatalf("revoke autorisation: %d %q", r.Status, r.Location)
	}
	done := parseHTML(t, b.Get(r.Location).Body)
	attAut := "/espace-aidant/mandats/" + itoa(m.ID) + "/autorisations/" + itoa(social.ID) + "/revocation/"
	if !strings.Contains(done.Find(".fr-alert--success").Text(), "La démarche « Social - Santé » est révoquée.") ||
		!strings.Contains(done.Find(".fr-alert--success").Text(), "reste valable") || done.Find(`a[href="`+attAut+`"]`).Length() != 1 {
		t.Fatalf("success page: %s", done.Find("main").Text())
	}
	att := parseHTML(t, b.Get(attAut).Body)
	text := squash(att.Find(".ac-attestation-document").Text())
	for _, want := range []string{"Révocation d'une autorisation", "Joséphine DUPONT", "révoque l'autorisation donnée à MFS Beaugency",
		"le " + ui.LongDateTime(w.start.In(paris)), "Social - Santé", "Fait le " + ui.LongDate(revokedAt), "Le mandant"} {
		if !strings.Contains(text, want) {
			t.Errorf("autorisation attestation lacks %q: %s", want, text)
		}
	}
	if r := b.Post(revokeSocial, nil); r.Status != http.StatusConflict || !strings.Contains(r.Body, "Cette démarche est déjà révoquée") {
		t.Fatalf("revoking it again: %d", r.Status)
	}

	// The whole mandat, through htmx this time: HX-Location on a 200.
	d = parseHTML(t, b.Get(usagerPath).Body)
	if got := words(d.Find(`tr[data-autorisation="` + itoa(social.ID) + `"]`)); got != "Social - Santé Révoquée le "+ui.Date(revokedAt)+" Voir la révocation de la démarche Social - Santé" {
		t.Fatalf("revoked autorisation row: %q", got)
	}
	revokeMandat := "/espace-aidant/mandats/" + itoa(m.ID) + "/revoquer/"
	conf = parseHTML(t, b.Get(revokeMandat).Body)
	if words(conf.Find("#demarches-concernees")) != "Papiers - Citoyenneté - Élections" {
		t.Fatalf("mandat confirmation lists %q", conf.Find("main ul li").Text())
	}
	e.Clock.Advance(time.Minute)
	b.HTMX = true
	r = b.Post(revokeMandat, nil)
	b.HTMX = false
	if r.Status != http.StatusOK || r.Header.Get("HX-Location") != revokeMandat+"succes/" {
		t.Fatalf("revoke mandat (htmx): %d %q", r.Status, r.Header.Get("HX-Location"))
	}
	done = parseHTML(t, b.Get(revokeMandat+"succes/").Body)
	attMandat := "/espace-aidant/mandats/" + itoa(m.ID) + "/revocation/"
	if !strings.Contains(done.Text(), "Le mandat de Joséphine DUPONT est révoqué.") || done.Find(`a[href="`+attMandat+`"]`).Length() != 1 {
		t.Fatalf("mandat success page: %s", done.Find("main").Text())
	}
	text = squash(parseHTML(t, b.Get(attMandat).Body).Find(".ac-attestation-document").Text())
	for _, want := range []string{"Révocation d'un mandat", "révoque le mandat donné à MFS Beaugency", "Papiers - Citoyenneté - Élections", "Le mandant"} {
		if !strings.Contains(text, want) {
			t.Errorf("mandat attestation lacks %q: %s", want, text)
		}
	}
	if strings.Contains(text, "Social - Santé") {
		t.Error("the mandat attestation lists the démarche revoked earlier on its own")
	}
	for _, r := range []apptest.Page{b.Post(revokeMandat, nil), b.Get(revokeMandat)} {
		if r.Status != http.StatusConflict || !strings.Contains(r.Body, "Ce mandat est déjà révoqué") || !strings.Contains(r.Body, `href="`+attMandat+`"`) {
			t.Fatalf("revoking the mandat again: %d", r.Status)
		}
	}
	d = parseHTML(t, b.Get(usagerPath).Body)
	groups = nil
	d.Find("section h2").Each(func(_ int, s *goquery.Selection) { groups = append(groups, s.Text()) })
	if !reflect.DeepEqual(groups, []string{"Mandats actifs (0)", "Mandats expirés (0)", "Mandats révoqués (1)"}) ||
		d.Find(`a[href="`+attMandat+`"]`).Length() != 1 || d.Find(`a[href="`+revokeMandat+`"]`).Length() != 0 {
		t.Fatalf("after revocation: %q", groups)
	}
	js := e.Journal(w.org.ID)
	var actions []string
	for _, j := range js[:3] {
		actions = append(actions, j.Action+" "+j.Demarche)
	}
	if !reflect.DeepEqual(actions, []string{"cancel_mandat papiers", "cancel_autorisation papiers", "cancel_autorisation social"}) || *js[2].AidantID != w.me.Aidant.ID {
		t.Fatalf("journal %q", actions)
	}
	// The expired mandat cannot be revoked, and the page says why.
	if r := b.Get("/espace-aidant/mandats/" + itoa(w.expired.ID) + "/revoquer/"); r.Status != http.StatusConflict || !strings.Contains(r.Body, "Ce mandat a expiré") {
		t.Fatalf("expired mandat confirmation: %d", r.Status)
	}
}

func TestUsagersForAidantsWhoCannotCreateMandats(t *testing.T) {
	t.Parallel()
	w := newUsagersWorld(t)
	_, b := w.e.LoginAidantWithoutMandats("lecteur@example.fr", w.org)
	if home := parseHTML(t, b.Get("/espace-aidant/").Body); home.Find(".fr-tile").Length() != 0 || !strings.Contains(home.Text(), "ne permet pas de créer de mandats") {
		t.Fatal("home shows tiles to an aidant who cannot create mandats")
	}
	usager := itoa(w.active.UsagerID)
	for _, path := range []string{"/espace-aidant/usagers/", "/espace-aidant/usagers/?q=dupont", "/espace-aidant/usagers/" + usager + "/",
		"/espace-aidant/mandats/" + itoa(w.active.ID) + "/revoquer/", "/espace-aidant/mandats/" + itoa(w.revoked.ID) + "/revocation/"} {
		if r := b.Get(path); r.Status != http.StatusForbidden || strings.Contains(r.Body, "Joséphine") || strings.Contains(r.Body, "Emma") {
			t.Errorf("GET %s: %d", path, r.Status)
		}
	}
	before := w.e.Count("journal")
	if r := b.Post("/espace-aidant/mandats/"+itoa(w.active.ID)+"/revoquer/", nil); r.Status != http.StatusForbidden || w.e.Count("journal") != before {
		t.Fatalf("revocation POST: %d", r.Status)
	}
	if m, _ := w.e.App.Store.GetMandat(context.Background(), w.org.ID, w.active.ID); m.Status(w.e.Clock.Now()) != store.StatusActive {
		t.Fatal("a refused revocation changed the mandat")
	}
}

// TestUsagersSearchScale measures the usagers search on a database filled by
// `ac seed --scale N` (see BENCHMARKS.md): the live-search request through the whole HTTP
// stack (loopback TCP, middleware, session, store, templ, compression) against the bare SQL
// statements of the same searches, in the same run, with the EXPLAIN plans and the bytes of
// each answer. It only runs when AC_BENCH_DATABASE_URL names such a database; it reports and
// asserts no timing.
//
//	AC_BENCH_DATABASE_URL=postgres://… go test ./handlers -run TestUsagersSearchScale -count=1 -v
func TestUsagersSearchScale(t *testing.T) {
	dsn := os.Getenv("AC_BENCH_DATABASE_URL")
	if dsn == "" {
		t.Skip("AC_BENCH_DATABASE_URL not set: no seeded database to measure")
	}
	// The seeded database keeps secrets sealed with the key `ac seed` ran with (AC_SECRET_KEY,
	// or the dev default): use the same.
	seeded, err := app.Load(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	e := apptest.Start(t, func(c *app.Config) { c.DatabaseURL, c.SecretKey = dsn, seeded.SecretKey })
	ctx := context.Background()
	db := e.App.DB

	// Organisations drawn in proportion to their mandats (a larger structure has more aidants
	// searching), plus the largest and a median one, each with a logged-in aidant.
	type orgSize struct {
		ID int64 `bun:"organisation_id"`
		N  int   `bun:"n"`
	}
	var sizes []orgSize
	if err := db.NewRaw("SELECT organisation_id, count(*) AS n FROM mandats GROUP BY 1 ORDER BY 2 DESC").Scan(ctx, &sizes); err != nil {
		t.Fatal(err)
	}
	var usagers, mandats int
	_ = db.NewRaw("SELECT (SELECT count(*) FROM usagers), (SELECT count(*) FROM mandats)").Scan(ctx, &usagers, &mandats)
	t.Logf("database: %d usagers, %d mandats, %d organisations; largest %d mandats, median %d", usagers, mandats, len(sizes), sizes[0].N, sizes[len(sizes)/2].N)
	rnd := rand.New(rand.NewPCG(1, 2))
	total := 0
	for _, s := range sizes {
		total += s.N
	}
	picked := []orgSize{sizes[0], sizes[len(sizes)/2]}
	for len(picked) < 20 {
		x := rnd.IntN(total)
		for _, s := range sizes {
			if x -= s.N; x < 0 {
				picked = append(picked, s)
				break
			}
		}
	}
	type client struct {
		org     orgSize
		cookies string
	}
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	var clients []client
	for i, o := range picked {
		org := &store.Organisation{ID: o.ID}
		if err := db.NewSelect().Model(org).WherePK().Scan(ctx); err != nil {
			t.Fatal(err)
		}
		b := e.Login(e.Aidant(fmt.Sprintf("bench%d.%s@example.fr", i, run), org, true))
		var cs []string
		for k, v := range b.Jar {
			cs = append(cs, k+"="+v)
		}
		clients = append(clients, client{o, strings.Join(cs, "; ")})
	}

	// What an aidant types, keystroke by keystroke, and a few whole queries.
	var queries []string
	for _, word := range []string{"dupont jean", "martin", "n'diaye", "lefèvre", "josé", "le gall", "çelik", "œuvrard", "marie-claire"} {
		for i := range utf8.RuneCountInString(word) {
			queries = append(queries, string([]rune(word)[:i+1]))
		}
	}
	queries = append(queries, "", "thomas marie", "moreau michel", "diallo", "traoré fatoumata", "nguyen", "saint-jean")

	// The bare SQL: the statements ListUsagers sends, captured once, replayed as is.
	hook := &captureHook{}
	db.AddQueryHook(hook)
	statements := func(orgID int64, q string) []string {
		hook.start()
		if _, err := e.App.Store.ListUsagers(context.WithValue(ctx, captureKey{}, true), orgID, store.UsagerSearch{Query: q, Tab: store.TabActifs}); err != nil {
			t.Fatal(err)
		}
		return hook.stop()
	}
	bare := func(sqls []string) time.Duration {
		start := time.Now()
		for _, s := range sqls {
			rows, err := db.QueryContext(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}
		}
		return time.Since(start)
	}
	httpc := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4}}
	get := func(c client, q string, fragment bool) (time.Duration, int) {
		u := e.URL + "/espace-aidant/usagers/?" + url.Values{"onglet": {"actifs"}, "q": {q}}.Encode()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Cookie", c.cookies)
		req.Header.Set("Accept-Encoding", "gzip, deflate, br")
		if fragment {
			req.Header.Set("HX-Request", "true")
		}
		start := time.Now()
		resp, err := httpc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", u, resp.StatusCode, err)
		}
		return d, len(body)
	}

	type sample struct {
		q               string
		http, sql, page time.Duration
	}
	var samples []sample
	var fragBytes []int
	byOrg := map[string][]sample{}
	for round := range 3 {
		for _, c := range clients {
			for _, q := range queries {
				sqls := statements(c.org.ID, q)
				s := sample{q: q}
				if round%2 == 0 { // alternate which goes first, so neither always finds a warmer cache
					s.sql = bare(sqls)
					s.http, _ = get(c, q, true)
				} else {
					var n int
					s.http, n = get(c, q, true)
					s.sql = bare(sqls)
					fragBytes = append(fragBytes, n)
				}
				if q == "" || q == "dupont jean" {
					s.page, _ = get(c, q, false)
				}
				samples = append(samples, s)
				class := "tirées au sort"
				switch c.org {
				case picked[0]:
					class = "la plus grande"
				case picked[1]:
					class = "médiane"
				}
				byOrg[class] = append(byOrg[class], s)
			}
		}
	}
	pct := func(ds []time.Duration, p float64) time.Duration {
		slices.Sort(ds)
		return ds[min(len(ds)-1, int(float64(len(ds))*p))]
	}
	report := func(name string, ss []sample) {
		var h, s, pg []time.Duration
		for _, x := range ss {
			h, s = append(h, x.http), append(s, x.sql)
			if x.page > 0 {
				pg = append(pg, x.page)
			}
		}
		t.Logf("%-22s n=%4d  HTTP fragment p50 %6.2f ms p95 %6.2f ms p99 %6.2f ms | bare SQL p50 %6.2f ms p95 %6.2f ms | ratio p95 %.1f× | full page p50 %6.2f ms p95 %6.2f ms",
			name, len(ss), ms(pct(h, .5)), ms(pct(h, .95)), ms(pct(h, .99)), ms(pct(s, .5)), ms(pct(s, .95)),
			float64(pct(h, .95))/float64(pct(s, .95)), ms(pct(pg, .5)), ms(pct(pg, .95)))
	}
	report("toutes", samples)
	for _, k := range []string{"la plus grande", "médiane", "tirées au sort"} {
		report("organisation "+k, byOrg[k])
	}
	slowest := slices.Clone(byOrg["la plus grande"])
	slices.SortFunc(slowest, func(a, b sample) int { return int(b.http - a.http) })
	for _, s := range slowest[:min(10, len(slowest))] {
		t.Logf("slowest in the largest organisation: q=%-16q HTTP %6.2f ms, bare SQL %6.2f ms", s.q, ms(s.http), ms(s.sql))
	}
	slices.Sort(fragBytes)
	t.Logf("bytes per keystroke (compressed fragment): p50 %d B, p95 %d B, max %d B", fragBytes[len(fragBytes)/2], fragBytes[len(fragBytes)*95/100], fragBytes[len(fragBytes)-1])

	for _, tc := range []struct {
		org orgSize
		q   string
	}{{picked[0], "dupont jean"}, {picked[0], "du"}, {picked[0], ""}, {picked[1], "martin"}} {
		for _, s := range statements(tc.org.ID, tc.q) {
			var plan []string
			if err := db.NewRaw("EXPLAIN (ANALYZE, BUFFERS) "+s).Scan(ctx, &plan); err != nil {
				t.Fatal(err)
			}
			t.Logf("EXPLAIN (ANALYZE, BUFFERS), organisation of %d mandats, q=%q:\n%s\n%s", tc.org.N, tc.q, s, strings.Join(plan, "\n"))
		}
	}
	// Across organisations (the shape of the FI's usager search): the trigram index on usagers.
	var plan []string
	global := "SELECT u.id, u.given_name, u.family_name FROM usagers AS u WHERE u.search_name LIKE '%' || public.f_search_text('dupont') || '%' " +
		"AND u.search_name LIKE '%' || public.f_search_text('jean') || '%' ORDER BY u.sort_name, u.id LIMIT 20"
	if err := db.NewRaw("EXPLAIN (ANALYZE, BUFFERS) "+global).Scan(ctx, &plan); err != nil {
		t.Fatal(err)
	}
	t.Logf("EXPLAIN (ANALYZE, BUFFERS), all usagers:\n%s\n%s", global, strings.Join(plan, "\n"))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

type captureKey struct{}

// captureHook records the SQL of the queries run with captureKey in their context.
type captureHook struct {
	mu   sync.Mutex
	on   bool
	sqls []string
}

func (h *captureHook) start() { h.mu.Lock(); h.on, h.sqls = true, nil; h.mu.Unlock() }

func (h *captureHook) stop() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.on = false
	return h.sqls
}

func (h *captureHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (h *captureHook) AfterQuery(ctx context.Context, ev *bun.QueryEvent) {
	if ctx.Value(captureKey{}) == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.on {
		h.sqls = append(h.sqls, ev.Query)
	}
}

// TestClearAnswersWhereTheAidantCanAct: revoking what is already revoked says so, with the
// revocation attestation (409); an expired mandat has nothing left to revoke; a mandat or usager
// of another organisation of the same aidant names it and offers the switch (404); another
// organisation's shows nothing of it (404).
func TestClearAnswersWhereTheAidantCanAct(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	ctx := context.Background()
	orgA, orgB, orgC := e.Org("Maison France Services A"), e.Org("CCAS de Bévillers"), e.Org("Mairie de Cézy")
	p := e.Aidant("jean@example.fr", orgA, true)
	if err := e.App.Store.AddMembership(ctx, p.Aidant.ID, orgB.ID, false); err != nil {
		t.Fatal(err)
	}
	inA, inB, inC := creator(e, "a@example.fr", orgA), creator(e, "b@example.fr", orgB), creator(e, "c@example.fr", orgC)
	id := func(sub, given string) store.FCIdentity {
		return store.FCIdentity{Sub: sub, GivenName: given, FamilyName: "Usager", Birthdate: "1950-01-01", Gender: "female", Birthplace: "45028", Birthcountry: "99100"}
	}
	whole := mandatFor(e, inA, id("a-1", "Alice"), "LONG", "papiers", "social")
	part := mandatFor(e, inA, id("a-2", "Anne"), "LONG", "papiers", "social")
	ended := mandatFor(e, inA, id("a-3", "Agathe"), "SHORT", "famille")
	inOrgB := mandatFor(e, inB, id("b-1", "Bérénice"), "LONG", "papiers")
	inOrgC := mandatFor(e, inC, id("c-1", "Camille"), "LONG", "papiers")
	b := e.Login(p)
	mandat := func(m *store.Mandat) string { return "/espace-aidant/mandats/" + strconv.FormatInt(m.ID, 10) + "/" }

	// Already revoked: the whole mandat, then one démarche.
	if r := b.Post(mandat(whole)+"revoquer/", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.Status)
	}
	for _, r := range []apptest.Page{b.Post(mandat(whole)+"revoquer/", nil), b.Get(mandat(whole) + "revoquer/")} {
		if r.Status != http.StatusConflict || !strings.Contains(r.Body, "Ce mandat est déjà révoqué") || !strings.Contains(r.Body, `href="`+mandat(whole)+`revocation/"`) {
			t.Fatalf("revoking a revoked mandat: %d %s", r.Status, r.Body)
		}
	}
	social := part.Autorisations[1]
	autorisation := mandat(part) + "autorisations/" + strconv.FormatInt(social.ID, 10) + "/"
	if r := b.Post(autorisation+"revoquer/", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke one démarche: %d", r.Status)
	}
	if r := b.Post(autorisation+"revoquer/", nil); r.Status != http.StatusConflict || !strings.Contains(r.Body, "Cette démarche est déjà révoquée") || !strings.Contains(r.Body, `href="`+autorisation+`revocation/"`) {
		t.Fatalf("revoking a revoked démarche: %d %s", r.Status, r.Body)
	}
	if n := len(e.Journal(orgA.ID)); n == 0 || strings.Count(fmt.Sprint(e.Journal(orgA.ID)), store.ActionCancelAutorisation) > 3 {
		t.Fatal("a repeated revocation was journaled")
	}
	if _, err := e.App.DB.ExecContext(ctx, "UPDATE mandats SET created_at = created_at - interval '2 days', expires_at = expires_at - interval '2 days' WHERE id = ?", ended.ID); err != nil {
		t.Fatal(err)
	}
	if r := b.Get(mandat(ended) + "revoquer/"); r.Status != http.StatusConflict || !strings.Contains(r.Body, "Ce mandat a expiré") || !strings.Contains(r.Body, "plus rien à révoquer") {
		t.Fatalf("revoking an expired mandat: %d %s", r.Status, r.Body)
	}

	// Another organisation of the aidant: named, with the switch to it; nothing else shown.
	for _, path := range []string{mandat(inOrgB) + "attestation/", mandat(inOrgB) + "revoquer/", "/espace-aidant/usagers/" + strconv.FormatInt(inOrgB.UsagerID, 10) + "/"} {
		r := b.Get(path)
		what := "Ce mandat"
		if strings.Contains(path, "/usagers/") {
			what = "Cet usager"
		}
		if r.Status != http.StatusNotFound || !strings.Contains(r.Body, what+" dépend de CCAS de Bévillers : changez d'organisation pour le voir.") ||
			!strings.Contains(r.Body, `name="organisation" value="`+strconv.FormatInt(orgB.ID, 10)+`"`) || !strings.Contains(r.Body, `name="next" value="`+path+`"`) || strings.Contains(r.Body, "Bérénice") {
			t.Errorf("%s: %d %s", path, r.Status, r.Body)
		}
	}
	// The switch leads back to the page, now shown.
	if r := b.Post("/espace-aidant/organisations/switch_main", url.Values{"organisation": {strconv.FormatInt(orgB.ID, 10)}, "next": {mandat(inOrgB) + "attestation/"}}); r.Status != http.StatusSeeOther || r.Location != mandat(inOrgB)+"attestation/" {
		t.Fatalf("switch: %d %q", r.Status, r.Location)
	}
	if r := b.Get(mandat(inOrgB) + "attestation/"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Bérénice") {
		t.Fatalf("after the switch: %d", r.Status)
	}
	// An organisation the aidant does not belong to: the plain 404.
	for _, path := range []string{mandat(inOrgC) + "attestation/", mandat(inOrgC) + "revoquer/", "/espace-aidant/usagers/" + strconv.FormatInt(inOrgC.UsagerID, 10) + "/"} {
		r := b.Get(path)
		if r.Status != http.StatusNotFound || !strings.Contains(r.Body, "introuvable ou inaccessible") || strings.Contains(r.Body, "Cézy") || strings.Contains(r.Body, "Camille") {
			t.Errorf("%s: %d %s", path, r.Status, r.Body)
		}
	}
}
