package e2e

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app"
)

// The small things of a counter's day: the header's « Menu » on a phone, no focus ring on the
// h1 that takes the focus after a swap, the organisation switch, the dev outbox, the favicon
// and the home page.

// TestSmallThingsHeaderMenuOnPhone: at 375 px the header's links sit behind the DSFR « Menu »
// button, which opens with or without JavaScript; on a desktop they are in the header.
func TestSmallThingsHeaderMenuOnPhone(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		loginDemo(t, ctx, srv, noJS)
		setWidth(t, ctx, mobileWidth)
		navigate(t, ctx, srv.URL+"/espace-aidant/")
		if shown(t, ctx, ".fr-header__tools-links") || shown(t, ctx, ".ac-menu__panel") {
			t.Fatalf("on a phone the header's links show before the menu is opened: tools %t, panel %t", shown(t, ctx, ".fr-header__tools-links"), shown(t, ctx, ".ac-menu__panel"))
		}
		assertLabelsVisible(t, ctx, "summary.fr-btn--menu")
		assertNoSidewaysScroll(t, ctx, onPage(ctx))
		assertAxe(t, ctx, "espace aidant, 375 px, menu fermé")
		click(t, ctx, "summary.fr-btn--menu")
		waitVisible(t, ctx, ".ac-menu__panel")
		if got := textOf(t, ctx, ".ac-menu__panel"); !strings.Contains(got, "Espace aidant") || !strings.Contains(got, "Se déconnecter") {
			t.Fatalf("menu = %q", got)
		}
		assertLabelsVisible(t, ctx, ".ac-menu__panel .fr-btn")
		assertInside(t, ctx, ".ac-menu__panel", "body")
		assertNoSidewaysScroll(t, ctx, onPage(ctx))
		assertAxe(t, ctx, "espace aidant, 375 px, menu ouvert")
		// Its links work: log out from the menu.
		clickNavigateOrSwap(t, ctx, noJS, `.ac-menu__panel button[form="ac-logout"]`, ".fr-alert--success")

		setWidth(t, ctx, desktopWidth)
		navigate(t, ctx, srv.URL+"/")
		if shown(t, ctx, ".ac-header-menu") || !shown(t, ctx, ".fr-header__tools-links") {
			t.Fatal("on a desktop the links are not in the header, or the menu button shows")
		}
		assertLabelsVisible(t, ctx, ".fr-header__tools-links .fr-btn")
	})
}

// TestSmallThingsFocusAndSwitch: after an htmx navigation focus is on the new h1, with no
// ring drawn around it; the organisation switch is one line (a select and its button) and its
// message names the organisation.
func TestSmallThingsFocusAndSwitch(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		loginDemo(t, ctx, srv, noJS)
		if !noJS {
			click(t, ctx, `.fr-tile a[href="/espace-aidant/usagers/"]`)
			waitJS(t, ctx, `document.activeElement && document.activeElement.tagName === "H1" && document.activeElement.textContent === "Mes usagers"`)
			if got := evalJS[string](t, ctx, `getComputedStyle(document.activeElement).outlineStyle`); got != "none" {
				t.Fatalf("the focused h1 draws an outline: %s", got)
			}
			navigate(t, ctx, srv.URL+"/espace-aidant/")
		}
		waitVisible(t, ctx, "select#organisation")
		sel, btn := box(t, ctx, "select#organisation"), box(t, ctx, "form.ac-inline-form button[type=submit]")
		if btn[1] >= sel[3] || btn[3] <= sel[1] || btn[0] < sel[2] {
			t.Fatalf("the switch's button %v is not on the select's line %v", btn, sel)
		}
		assertLabelsVisible(t, ctx, "form.ac-inline-form button[type=submit]")
		ccas := evalJS[string](t, ctx, `[...document.querySelectorAll("select#organisation option")].find(o => o.textContent === `+strconv.Quote(app.DemoOrganisation2)+`).value`)
		setValue(t, ctx, "select#organisation", ccas)
		clickNavigateOrSwap(t, ctx, noJS, "form.ac-inline-form button[type=submit]", ".fr-alert--success")
		if got := textOf(t, ctx, ".fr-alert--success"); got != "Vous travaillez maintenant pour "+app.DemoOrganisation2+"." {
			t.Fatalf("switch message = %q", got)
		}
		assertAxe(t, ctx, "organisation changée")
	})
}

// shown reports whether the first element matching sel is rendered (checkVisibility: the
// content of a closed <details> is not, though its display is not none).
func shown(t *testing.T, ctx context.Context, sel string) bool {
	t.Helper()
	return evalJS[bool](t, ctx, `(e => !!e && e.checkVisibility({visibilityProperty: true}))(document.querySelector(`+strconv.Quote(sel)+`))`)
}

// box is an element's bounding box: left, top, right, bottom.
func box(t *testing.T, ctx context.Context, sel string) []float64 {
	t.Helper()
	return evalJS[[]float64](t, ctx, `(r => [r.left, r.top, r.right, r.bottom])(document.querySelector(`+strconv.Quote(sel)+`).getBoundingClientRect())`)
}

// TestSmallThingsOutboxFaviconHome: the dev outbox's links are links and its times Paris
// time; /favicon.ico is an icon cached a month; the home page says what the service is and
// leads each audience on.
func TestSmallThingsOutboxFaviconHome(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		navigate(t, ctx, srv.URL+"/accounts/login/")
		submitDemoLogin(t, ctx, srv, noJS)
		waitVisible(t, ctx, "h1.ac-welcome")

		navigate(t, ctx, srv.URL+"/dev/emails/")
		login := srv.LastLoginURL()
		if n := evalJS[int](t, ctx, `[...document.querySelectorAll(".ac-email-body a")].filter(a => a.href === `+strconv.Quote(login)+`).length`); n != 1 {
			t.Fatalf("the outbox's login link %s is not a link (%d)", login, n)
		}
		emails, err := srv.App.Store.ListEmails(context.Background(), 1)
		if err != nil || len(emails) != 1 {
			t.Fatalf("outbox: %v", err)
		}
		want := "le " + emails[0].CreatedAt.In(srv.App.Handlers.Loc).Format("02/01/2006 à 15:04:05") + " (heure de Paris)"
		if got := textOf(t, ctx, ".ac-email .fr-card__detail"); !strings.Contains(got, want) {
			t.Fatalf("outbox time %q, want %q", got, want)
		}
		assertLabelsVisible(t, ctx, ".ac-email-body a")
		assertAxe(t, ctx, "boîte d'envoi")
		click(t, ctx, ".ac-email-body a")
		waitNotPresent(t, ctx, ".ac-email")
		waitVisible(t, ctx, "main h1")

		resp, err := http.Get(srv.URL + "/favicon.ico")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/x-icon" || resp.ContentLength > 4096 ||
			!strings.Contains(resp.Header.Get("Cache-Control"), "max-age=2592000") {
			t.Fatalf("/favicon.ico: %d %q %d B %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.ContentLength, resp.Header.Get("Cache-Control"))
		}

		for _, signedIn := range []bool{true, false} {
			if !signedIn {
				ctx = newBrowser(t, browserOpts{NoJS: noJS})
			}
			navigate(t, ctx, srv.URL+"/")
			lead := textOf(t, ctx, "main")
			for _, want := range []string{"service public", "aidant professionnel habilité", "mandat", "FranceConnect", "révoquer"} {
				if !strings.Contains(lead, want) {
					t.Errorf("home page lacks %q", want)
				}
			}
			links := evalJS[[]string](t, ctx, `[...document.querySelectorAll("main .fr-tile a")].map(a => a.getAttribute("href") + " " + a.textContent)`)
			wantLinks := []string{"/accounts/login/ Se connecter à l'espace aidant", "/accounts/login/ Se connecter à l'espace référent",
				"/habilitation/ Demander l'habilitation de ma structure", "/mon-espace/ Mon espace : mes mandats"}
			if signedIn {
				wantLinks[0], wantLinks[1] = "/espace-aidant/ Accéder à mon espace aidant", "/espace-referent/ Accéder à l'espace référent"
			}
			if strings.Join(links, "|") != strings.Join(wantLinks, "|") {
				t.Errorf("home links (signed in: %t): %q, want %q", signedIn, links, wantLinks)
			}
			assertAxe(t, ctx, "accueil")
		}
	})
}
