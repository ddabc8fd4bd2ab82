package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/store"
)

// TestEspaceUsagerJourney is the loop the usager's space closes, with and without
// JavaScript, axe on every page of the space: an aidant creates a mandat (famille and social)
// for Jean-Pierre Bernard and uses famille from the demo service site; Jean-Pierre signs in to
// his space through the FranceConnect simulator, in his own browser, sees the mandat and that
// use, revokes famille and logs out through FranceConnect; the aidant's usager page shows it
// revoked by the usager, and the FI no longer offers famille for him.
func TestEspaceUsagerJourney(t *testing.T) {
	const person = 4 // Jean-Pierre Bernard, in the simulator
	inBothModes(t, func(t *testing.T, noJS bool) {
		// Each part has a tab of its own (each tab's deadline runs from its opening): the aidant
		// at the counter, the usager at home, the aidant again later.
		aidant := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		ctx := context.Background()

		// The aidant creates the mandat through the wizard and FranceConnect (simulated).
		loginDemo(t, aidant, srv, noJS)
		navigate(t, aidant, srv.URL+"/espace-aidant/creation_mandat/")
		click(t, aidant, "label[for=demarche-famille]")
		click(t, aidant, "label[for=demarche-social]")
		click(t, aidant, "label[for=duree-LONG]")
		click(t, aidant, "button.fr-connect")
		waitVisible(t, aidant, "#identity-"+strconv.Itoa(person))
		click(t, aidant, "label[for=identity-"+strconv.Itoa(person)+"]")
		click(t, aidant, "button[value=login]")
		waitVisible(t, aidant, "#personal_data-box")
		click(t, aidant, "label[for=personal_data-box]")
		typeInto(t, aidant, "#otp_token", app.DemoCode)
		click(t, aidant, "form[action='/espace-aidant/creation_mandat/recapitulatif/'] button[type=submit]")
		waitVisible(t, aidant, ".ac-attestation-print")
		u, err := srv.App.Store.FindUsagerByFCSub(ctx, apptest.SimIdentity(person).Sub)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := srv.App.Store.ListUsagerMandats(ctx, u.ID)
		if err != nil || len(ms.Mandats) != 1 {
			t.Fatalf("mandats of the usager: %v", err)
		}
		m := ms.Mandats[0]
		var famille store.Autorisation
		for _, a := range m.Autorisations {
			if a.Demarche == "famille" {
				famille = a
			}
		}

		// … and uses famille at the demo service site, through our FI.
		useFromDemoSite(t, aidant, srv, noJS, u.ID, "famille")

		// The usager, in his own browser: the space asks him to sign in through FranceConnect.
		srv.Clock.Advance(time.Minute)
		usager := newBrowser(t, browserOpts{NoJS: noJS})
		navigate(t, usager, srv.URL+"/mon-espace/")
		waitVisible(t, usager, "a.fr-connect")
		assertAxe(t, usager, "espace usager : connexion")
		click(t, usager, "a.fr-connect")
		waitVisible(t, usager, "#identity-"+strconv.Itoa(person))
		click(t, usager, "label[for=identity-"+strconv.Itoa(person)+"]")
		click(t, usager, "button[value=login]")
		waitVisible(t, usager, "#mes-mandats article")
		home := textOf(t, usager, "#mes-mandats")
		for _, want := range []string{"Mandat donné à France Services de Démoville", "Jean A.", "Famille - Scolarité", "Social - Santé", "En cours"} {
			if !strings.Contains(home, want) {
				t.Errorf("his mandats lack %q: %s", want, home)
			}
		}
		assertAxe(t, usager, "espace usager : mes mandats")

		// What was done for him: the use at the demo site.
		click(t, usager, `a[href="/mon-espace/demarches/"]`)
		waitVisible(t, usager, "#mes-demarches table")
		uses := textOf(t, usager, "#mes-demarches tbody")
		for _, want := range []string{"Famille - Scolarité", "France Services de Démoville", "Jean A.", "Site de démonstration (simulateur FranceConnect)"} {
			if !strings.Contains(uses, want) {
				t.Errorf("the uses lack %q: %s", want, uses)
			}
		}
		assertAxe(t, usager, "espace usager : démarches réalisées")

		// He revokes famille.
		navigate(t, usager, srv.URL+"/mon-espace/")
		revoke := "/mon-espace/mandats/" + strconv.FormatInt(m.ID, 10) + "/autorisations/" + strconv.FormatInt(famille.ID, 10) + "/revoquer/"
		click(t, usager, `a[href="`+revoke+`"]`)
		waitVisible(t, usager, "#demarches-concernees")
		if got := textOf(t, usager, "#demarches-concernees"); got != "Famille - Scolarité" {
			t.Fatalf("the confirmation lists %q", got)
		}
		assertAxe(t, usager, "espace usager : confirmation de la révocation")
		click(t, usager, `form[action="`+revoke+`"] button[type="submit"]`)
		waitVisible(t, usager, ".fr-alert--success")
		if got := textOf(t, usager, ".fr-alert--success"); !strings.Contains(got, "La démarche est révoquée.") || !strings.Contains(got, "reste valable") {
			t.Fatalf("success = %q", got)
		}
		if got := textOf(t, usager, ".ac-attestation-print"); !strings.Contains(got, "Révocation d'une autorisation") || !strings.Contains(got, "Famille - Scolarité") {
			t.Fatalf("revocation attestation = %q", got)
		}
		assertAxe(t, usager, "espace usager : démarche révoquée")

		// He logs out: our session, then FranceConnect's.
		click(t, usager, `button[form="ac-usager-logout"]`)
		waitVisible(t, usager, "main a.fr-btn[href='/mon-espace/connexion/']")
		if h1 := textOf(t, usager, "h1"); h1 != "Vous êtes déconnecté" {
			t.Fatalf("after logout: %q", h1)
		}
		assertAxe(t, usager, "espace usager : déconnecté")
		navigate(t, usager, srv.URL+"/mon-espace/")
		waitVisible(t, usager, "a.fr-connect")

		// The aidant's usager page: revoked by the usager.
		aidant = newBrowser(t, browserOpts{NoJS: noJS})
		loginDemo(t, aidant, srv, noJS)
		navigate(t, aidant, srv.URL+"/espace-aidant/usagers/"+strconv.FormatInt(u.ID, 10)+"/")
		waitVisible(t, aidant, "article[data-mandat]")
		if got := textOf(t, aidant, `tr[data-autorisation="`+strconv.FormatInt(famille.ID, 10)+`"]`); !strings.Contains(got, "Révoquée par l'usager le") {
			t.Fatalf("the aidant sees %q", got)
		}
		assertAxe(t, aidant, "page de l'usager, révoquée par l'usager")

		// The FI no longer offers famille for him: only social remains at step 2.
		navigate(t, aidant, srv.URL+"/fcsim/demo/")
		clickNavigate(t, aidant, "main a[href*='connexion']")
		clickNavigate(t, aidant, "button[name=fi][value=aidants-connect]")
		waitVisible(t, aidant, "#idp-search")
		clickOrSwap(t, aidant, noJS, "button[name=usager][value='"+strconv.FormatInt(u.ID, 10)+"']", ".fr-tile")
		step2 := textOf(t, aidant, "main")
		if strings.Contains(step2, "Famille") || !strings.Contains(step2, "Social - Santé") {
			t.Fatalf("step 2 after the usager's revocation: %q", step2)
		}
		assertAxe(t, aidant, "FI étape 2 sans la démarche révoquée")
		js := srv.Journal(m.OrganisationID)
		uses2 := 0
		for _, j := range js {
			if j.Action == store.ActionUseAutorisation {
				uses2++
			}
		}
		if uses2 != 1 {
			t.Fatalf("%d uses journaled, want the one before the revocation", uses2)
		}
	})
}

// useFromDemoSite has the logged-in aidant use the usager's démarche at the demo service site.
func useFromDemoSite(t *testing.T, ctx context.Context, srv *apptest.Env, noJS bool, usagerID int64, demarche string) {
	t.Helper()
	navigate(t, ctx, srv.URL+"/fcsim/demo/")
	clickNavigate(t, ctx, "main a[href*='connexion']")
	clickNavigate(t, ctx, "button[name=fi][value=aidants-connect]")
	waitVisible(t, ctx, "#idp-search")
	clickOrSwap(t, ctx, noJS, "button[name=usager][value='"+strconv.FormatInt(usagerID, 10)+"']", ".fr-tile")
	click(t, ctx, "button[name=demarche][value="+demarche+"]")
	waitVisible(t, ctx, "#demo-connected")
	d, _ := store.FindDemarche(demarche)
	if page := textOf(t, ctx, "main"); !strings.Contains(page, "Démarche autorisée : "+d.Title) {
		t.Fatalf("back at the service: %q", page)
	}
}

// TestStatsPageAccessible is the public statistics page under axe, with and without
// JavaScript, once the figures are recounted: the charts (SVG), the tables, the download.
func TestStatsPageAccessible(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		if _, err := srv.App.Store.SeedScale(context.Background(), store.ScaleOptions{Usagers: 300, PerOrg: 100, Seed: 5}); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.App.Store.RefreshStats(context.Background(), 0, srv.App.Handlers.Loc); err != nil {
			t.Fatal(err)
		}
		navigate(t, ctx, srv.URL+"/stats/")
		waitVisible(t, ctx, "svg#graphique-demarches")
		waitVisible(t, ctx, "#stats-table-mois table")
		if got := textOf(t, ctx, `[data-indicateur="mandats_crees"]`); !strings.Contains(got, "Mandats créés") {
			t.Fatalf("figures: %q", got)
		}
		assertAxe(t, ctx, "statistiques")
	})
}
