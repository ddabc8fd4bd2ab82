package e2e

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/store/storetest"
)

// seedMandat creates a mandat through the store's wizard API for a demo aidant (demo code),
// with the identity given: cheaper than a FranceConnect round trip per usager.
func seedMandat(t *testing.T, srv *apptest.Env, a *store.Aidant, id store.FCIdentity, duree string, demarches ...string) *store.Mandat {
	t.Helper()
	m, _ := storetest.Mandat(t, srv.App.Store, a, id, duree, demarches...)
	return m
}

func identityOf(sub, given, family, gender, birth string) store.FCIdentity {
	return store.FCIdentity{Sub: sub, GivenName: given, FamilyName: family, Birthdate: birth, Gender: gender, Birthplace: "45028", Birthcountry: "99100"}
}

// usagersFixture fills the demo organisation with usagers in each tab, and the CCAS with a
// namesake who must never show up.
type usagersFixture struct {
	josephine, revoked *store.Mandat
}

func newUsagersFixture(t *testing.T, srv *apptest.Env) usagersFixture {
	t.Helper()
	ctx, st := context.Background(), srv.App.Store
	colleague, err := st.FindAidantByEmail(ctx, app.DemoAidant2Email)
	if err != nil {
		t.Fatal(err)
	}
	ccas, err := st.FindOrganisationByName(ctx, app.DemoOrganisation2)
	if err != nil {
		t.Fatal(err)
	}
	stranger := &store.Aidant{Email: "ccas@demo.aidantsconnect.fr", FirstName: "Paul", LastName: "Ccas", CurrentOrganisationID: ccas.ID,
		CanCreateMandats: true, IsActive: true, IsDemo: true}
	if err := st.CreateAidant(ctx, stranger, false); err != nil {
		t.Fatal(err)
	}
	var f usagersFixture
	f.josephine = seedMandat(t, srv, colleague, identityOf("e2e-1", "Joséphine", "Dupont", "female", "1950-03-02"), "LONG", "papiers", "social")
	seedMandat(t, srv, colleague, identityOf("e2e-2", "Jean-François", "Lefèvre", "male", "1961-07-14"), "SEMESTER", "argent")
	f.revoked = seedMandat(t, srv, colleague, identityOf("e2e-3", "Maëlle", "N'Diaye", "female", "1990-01-31"), "MONTH", "famille")
	if _, err := st.RevokeMandat(ctx, f.revoked.OrganisationID, colleague.ID, f.revoked.ID); err != nil {
		t.Fatal(err)
	}
	expired := seedMandat(t, srv, colleague, identityOf("e2e-4", "François", "Çelik", "male", "1975-12-01"), "SHORT", "transports")
	// An expired mandat needs the past: move this fixture's dates back (nothing else refers to them).
	if _, err := srv.App.DB.ExecContext(ctx, "UPDATE mandats SET created_at = created_at - interval '10 days', expires_at = expires_at - interval '10 days' WHERE id = ?", expired.ID); err != nil {
		t.Fatal(err)
	}
	seedMandat(t, srv, stranger, identityOf("e2e-9", "Josette", "Dupont", "female", "1944-09-09"), "LONG", "social")
	return f
}

// TestUsagersJourney: find a usager by typing (live with JavaScript, by submitting the form
// without), switch tabs, open the usager, revoke one démarche then the whole mandat, and
// reach the printable revocation attestations; axe on every page.
func TestUsagersJourney(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		f := newUsagersFixture(t, srv)
		loginDemo(t, ctx, srv, noJS)
		assertAxe(t, ctx, "espace aidant et ses tuiles")

		click(t, ctx, `.fr-tile a[href="/espace-aidant/usagers/"]`)
		waitVisible(t, ctx, "#usagers-q")
		if got := textOf(t, ctx, "#usagers-status"); got != "4 usagers : mandat actif pour 2, expiré pour 1, révoqué pour 1." {
			t.Fatalf("status = %q", got)
		}
		assertAxe(t, ctx, "mes usagers")

		// Search: as the aidant types (JS), or with the Rechercher button (no JS).
		search := func(q, status string) {
			t.Helper()
			typeInto(t, ctx, "#usagers-q", q)
			if noJS {
				clickNavigate(t, ctx, `form[role="search"] button[type="submit"]`)
			}
			waitStatus(t, ctx, noJS, status)
		}
		search("DUPONT jose", "1 usager trouvé pour « DUPONT jose » : mandat actif pour 1, expiré pour 0, révoqué pour 0.")
		if row := textOf(t, ctx, "#usagers-panel tbody tr th"); row != "Joséphine DUPONT" {
			t.Fatalf("search row = %q", row)
		}
		if u, err := url.Parse(currentURL(t, ctx)); err != nil || u.Path != "/espace-aidant/usagers/" || u.Query().Get("q") != "DUPONT jose" || u.Query().Get("onglet") != "actifs" {
			t.Fatalf("the address bar does not keep the search: %s", currentURL(t, ctx))
		}
		assertAxe(t, ctx, "recherche")

		// The search covers every tab; the tabs keep it.
		search("n'diaye", "1 usager trouvé pour « n'diaye » : mandat actif pour 0, expiré pour 0, révoqué pour 1.")
		if got := textOf(t, ctx, "#usagers-panel p"); !strings.HasPrefix(got, "Aucun usager de cet onglet") {
			t.Fatalf("empty tab = %q", got)
		}
		click(t, ctx, "#usagers-tab-revoques")
		waitVisible(t, ctx, `#usagers-tab-revoques[aria-current="page"]`)
		if row := textOf(t, ctx, "#usagers-panel tbody tr th"); row != "Maëlle N'DIAYE" {
			t.Fatalf("revoked tab row = %q", row)
		}
		assertAxe(t, ctx, "onglet des mandats révoqués")
		click(t, ctx, "#usagers-tab-expires")
		waitVisible(t, ctx, `#usagers-tab-expires[aria-current="page"]`)
		if got := textOf(t, ctx, "#usagers-tab-expires"); got != "Mandats expirés (0)" {
			t.Fatalf("expired tab under the search = %q", got)
		}
		search("", "4 usagers : mandat actif pour 2, expiré pour 1, révoqué pour 1.")
		if row := textOf(t, ctx, "#usagers-panel tbody tr th"); row != "François ÇELIK" {
			t.Fatalf("expired tab row = %q", row)
		}

		// The usager's page.
		search("josephine", "1 usager trouvé pour « josephine » : mandat actif pour 1, expiré pour 0, révoqué pour 0.")
		click(t, ctx, "#usagers-tab-actifs")
		usager := "/espace-aidant/usagers/" + strconv.FormatInt(f.josephine.UsagerID, 10) + "/"
		click(t, ctx, `#usagers-panel a[href="`+usager+`"]`)
		waitVisible(t, ctx, "article[data-mandat]")
		if h1 := textOf(t, ctx, "h1"); h1 != "Joséphine DUPONT" {
			t.Fatalf("usager h1 = %q", h1)
		}
		assertAxe(t, ctx, "page de l'usager")

		// Revoke one démarche.
		social := f.josephine.Autorisations[1]
		if social.Demarche != "social" {
			social = f.josephine.Autorisations[0]
		}
		mandat := "/espace-aidant/mandats/" + strconv.FormatInt(f.josephine.ID, 10) + "/"
		revokeSocial := mandat + "autorisations/" + strconv.FormatInt(social.ID, 10) + "/revoquer/"
		click(t, ctx, `a[href="`+revokeSocial+`"]`)
		waitVisible(t, ctx, "#demarches-concernees")
		assertAxe(t, ctx, "confirmation de la révocation d'une démarche")
		click(t, ctx, `form[action="`+revokeSocial+`"] button[type="submit"]`)
		waitVisible(t, ctx, ".fr-alert--success")
		if got := textOf(t, ctx, ".fr-alert--success"); !strings.Contains(got, "La démarche « Social - Santé » est révoquée.") {
			t.Fatalf("success = %q", got)
		}
		assertAxe(t, ctx, "démarche révoquée")
		click(t, ctx, `a[href="`+mandat+"autorisations/"+strconv.FormatInt(social.ID, 10)+`/revocation/"]`)
		waitVisible(t, ctx, ".ac-attestation-document")
		if got := textOf(t, ctx, ".ac-attestation-document"); !strings.Contains(got, "Révocation d'une autorisation") || !strings.Contains(got, "Social - Santé") || !strings.Contains(got, "Fait à Démoville") {
			t.Fatalf("autorisation attestation = %q", got)
		}
		assertAxe(t, ctx, "attestation de révocation d'une démarche")

		// Then the whole mandat.
		navigate(t, ctx, srv.URL+usager)
		click(t, ctx, `a[href="`+mandat+`revoquer/"]`)
		waitVisible(t, ctx, "#demarches-concernees")
		if got := textOf(t, ctx, "#demarches-concernees"); got != "Papiers - Citoyenneté - Élections" {
			t.Fatalf("the mandat confirmation lists %q", got)
		}
		assertAxe(t, ctx, "confirmation de la révocation du mandat")
		click(t, ctx, `form[action="`+mandat+`revoquer/"] button[type="submit"]`)
		waitVisible(t, ctx, ".fr-alert--success")
		assertAxe(t, ctx, "mandat révoqué")
		click(t, ctx, `a[href="`+mandat+`revocation/"]`)
		waitVisible(t, ctx, ".ac-attestation-document")
		doc := textOf(t, ctx, ".ac-attestation-document")
		for _, want := range []string{"Révocation d'un mandat", "Joséphine DUPONT", "révoque le mandat donné à France Services de Démoville", "Fait à Démoville", "Le mandant"} {
			if !strings.Contains(doc, want) {
				t.Errorf("mandat attestation lacks %q: %s", want, doc)
			}
		}
		assertAxe(t, ctx, "attestation de révocation du mandat")
		m, err := srv.App.Store.GetMandat(context.Background(), f.josephine.OrganisationID, f.josephine.ID)
		if err != nil || m.Status(srv.App.Store.Now()) != store.StatusRevoked {
			t.Fatalf("mandat after the journey: %v", err)
		}
	})
}

// waitStatus waits for the live region's text: it changes in place with JavaScript, and
// comes with the new page without.
func waitStatus(t *testing.T, ctx context.Context, noJS bool, want string) {
	t.Helper()
	if !noJS {
		waitJS(t, ctx, `document.getElementById("usagers-status").textContent === `+strconv.Quote(want))
	}
	if got := textOf(t, ctx, "#usagers-status"); got != want {
		t.Fatalf("status = %q, want %q", got, want)
	}
}

// TestUsagersSearchKeystrokeWeight: what one more typed letter transfers (the compressed
// results fragment): budget 4 KB.
func TestUsagersSearchKeystrokeWeight(t *testing.T) {
	ctx := newBrowser(t, browserOpts{})
	srv := startServer(t)
	newUsagersFixture(t, srv)
	loginDemo(t, ctx, srv, false)
	navigate(t, ctx, srv.URL+"/espace-aidant/usagers/")
	bytes := trackBytes(t, ctx)
	typeInto(t, ctx, "#usagers-q", "dupon")
	waitStatus(t, ctx, false, "1 usager trouvé pour « dupon » : mandat actif pour 1, expiré pour 0, révoqué pour 0.")
	if err := bytes.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	bytes.Reset()
	typeInto(t, ctx, "#usagers-q", "dupont")
	waitStatus(t, ctx, false, "1 usager trouvé pour « dupont » : mandat actif pour 1, expiré pour 0, révoqué pour 0.")
	if err := bytes.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	for u, n := range bytes.ByURL() {
		t.Logf("%5d B  %s", n, u)
		if n > 4*1024 {
			t.Errorf("%s: %d B for one keystroke, budget 4 KB", u, n)
		}
	}
	t.Logf("one keystroke: %d B", bytes.Total())
}

// TestUsagersListOnPhone: « Mes usagers » lists people, one row per usager (two mandats of
// Joséphine make one row, its name the link to her page); at 375 px the page does not scroll
// sideways, the tabs are links with aria-current whose labels show in full, so do the names
// and the pagination's « Page suivante / précédente »; each tab has its own title.
func TestUsagersListOnPhone(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		f := newUsagersFixture(t, srv)
		colleague, err := srv.App.Store.FindAidantByEmail(context.Background(), app.DemoAidant2Email)
		if err != nil {
			t.Fatal(err)
		}
		seedMandat(t, srv, colleague, identityOf("e2e-1", "Joséphine", "Dupont", "female", "1950-03-02"), "SEMESTER", "famille")
		for i := range store.UsagersPerPage {
			seedMandat(t, srv, colleague, identityOf("phone-"+strconv.Itoa(i), "Prénom", "Zèbre-"+strconv.Itoa(10+i), "male", "1970-01-01"), "LONG", "logement")
		}
		loginDemo(t, ctx, srv, noJS)
		setWidth(t, ctx, mobileWidth)
		navigate(t, ctx, srv.URL+"/espace-aidant/usagers/")
		waitVisible(t, ctx, "#usagers-panel")
		if got := evalJS[string](t, ctx, `document.title`); got != "Usagers – mandats actifs - Aidants Connect" {
			t.Fatalf("title = %q", got)
		}
		usager := "/espace-aidant/usagers/" + strconv.FormatInt(f.josephine.UsagerID, 10) + "/"
		rows := evalJS[[]string](t, ctx, `[...document.querySelectorAll("#usagers-panel tbody tr")].filter(r => r.querySelector("th").textContent.includes("Joséphine")).map(r => r.innerText.replace(/\s+/g, " "))`)
		if len(rows) != 1 || !strings.Contains(rows[0], "2 mandats, jusqu'au") || !strings.Contains(rows[0], "Papiers") || !strings.Contains(rows[0], "Famille") {
			t.Fatalf("Joséphine's rows: %q", rows)
		}
		assertNoSidewaysScroll(t, ctx, onPage(ctx))
		assertLabelsVisible(t, ctx, "nav.ac-tabs a")
		assertLabelsVisible(t, ctx, "#usagers-panel tbody th a")
		assertLabelsVisible(t, ctx, `nav[aria-label="Pagination"] a`)
		assertInside(t, ctx, "#usagers-panel tbody tr", "main")
		if n := evalJS[int](t, ctx, `document.querySelectorAll('[role="tab"], [role="tablist"], [role="tabpanel"]').length`); n != 0 {
			t.Fatalf("%d elements still play the tab widget", n)
		}
		assertAxe(t, ctx, "mes usagers, 375 px")

		clickNavigateOrSwap(t, ctx, noJS, `nav[aria-label="Pagination"] a[rel="next"]`, `nav[aria-label="Pagination"] a[rel="prev"]`)
		assertNoSidewaysScroll(t, ctx, onPage(ctx))
		assertLabelsVisible(t, ctx, `nav[aria-label="Pagination"] a`)
		assertAxe(t, ctx, "mes usagers, page 2, 375 px")

		clickNavigateOrSwap(t, ctx, noJS, "#usagers-tab-revoques", `#usagers-tab-revoques[aria-current="page"]`)
		if !noJS {
			waitJS(t, ctx, `document.title.startsWith("Usagers – mandats révoqués")`)
		}
		if got := evalJS[string](t, ctx, `document.title`); got != "Usagers – mandats révoqués - Aidants Connect" {
			t.Fatalf("title of the revoked tab = %q", got)
		}
		if n := evalJS[int](t, ctx, `document.querySelectorAll('nav.ac-tabs a[aria-current="page"]').length`); n != 1 {
			t.Fatalf("%d tabs marked current", n)
		}
		assertNoSidewaysScroll(t, ctx, onPage(ctx))
		assertAxe(t, ctx, "mes usagers révoqués, 375 px")
		clickNavigateOrSwap(t, ctx, noJS, "#usagers-tab-actifs", `#usagers-tab-actifs[aria-current="page"]`)
		clickNavigateOrSwap(t, ctx, noJS, `#usagers-panel th a[href="`+usager+`"]`, "article[data-mandat]")
	})
}
