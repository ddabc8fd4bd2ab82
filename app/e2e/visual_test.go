package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
)

// Visual checks: what axe cannot see, measured in the rendered page. A box that spills out
// of its container covers what follows it; a button whose label is cut to its icon has an
// accessible name nobody sees.

// Viewports the checks run at.
const (
	desktopWidth = 1280
	mobileWidth  = 375
)

// setWidth resizes the tab's viewport (CSS pixels). A width under 768 px is emulated as a
// phone (mobile metrics, touch), so that the page lays out as on one.
func setWidth(t *testing.T, ctx context.Context, width int64) {
	t.Helper()
	var opts []chromedp.EmulateViewportOption
	if width < 768 {
		opts = append(opts, chromedp.EmulateMobile)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800, opts...)); err != nil {
		t.Fatalf("viewport %d px: %v", width, err)
	}
	waitJS(t, ctx, `document.documentElement.clientWidth === `+strconv.FormatInt(width, 10))
}

// boxCheck is the JavaScript of assertInside: every element matching sel must lie inside the
// box of its closest ancestor matching container, and so must each of its descendants (a
// child that overflows its parent shows over what follows), within half a pixel.
const boxCheck = `((sel, container) => {
	const els = [...document.querySelectorAll(sel)].filter(e => e.getClientRects().length > 0);
	if (els.length === 0) return ["no visible element matches " + sel];
	const out = [];
	const fmt = r => "[" + [r.left, r.top, r.right, r.bottom].map(v => Math.round(v)).join(", ") + "]";
	const inside = (a, b) => a.left >= b.left - .5 && a.top >= b.top - .5 && a.right <= b.right + .5 && a.bottom <= b.bottom + .5;
	for (const el of els) {
		const box = el.closest(container);
		if (!box || box === el) { out.push(sel + " has no ancestor " + container); continue; }
		const outer = box.getBoundingClientRect();
		for (const e of [el, ...el.querySelectorAll("*")]) {
			if (e.closest(".fr-sr-only") || e.getClientRects().length === 0) continue;
			const r = e.getBoundingClientRect();
			if (r.width === 0 && r.height === 0) continue;
			if (!inside(r, outer)) out.push(e.tagName.toLowerCase() + (e.className ? "." + String(e.className).trim().split(/\s+/).join(".") : "") + " " + fmt(r) + " is not inside " + container + " " + fmt(outer));
		}
	}
	return out;
})`

// assertInside fails the test when an element matching sel (or one of its descendants) is
// not inside its closest ancestor matching container.
func assertInside(t *testing.T, ctx context.Context, sel, container string) {
	t.Helper()
	if bad := evalJS[[]string](t, ctx, boxCheck+`(`+strconv.Quote(sel)+`, `+strconv.Quote(container)+`)`); len(bad) > 0 {
		t.Errorf("%s spills out of %s%s:\n%s", sel, container, onPage(ctx), strings.Join(bad, "\n"))
	}
}

// labelCheck is the JavaScript of assertLabelsVisible: each visible element matching sel
// shows its label. Its text (what is not screen-reader-only) must be there, wider than an
// icon, not cut (scrollWidth within clientWidth), each text fragment inside the element's
// box, and the accessible name must begin with that visible text.
const labelCheck = `(sel => {
	const els = [...document.querySelectorAll(sel)].filter(e => e.getClientRects().length > 0);
	if (els.length === 0) return ["no visible element matches " + sel];
	const out = [];
	for (const el of els) {
		const name = (el.getAttribute("aria-label") || el.textContent).replace(/\s+/g, " ").trim();
		let shown = "";
		const r = el.getBoundingClientRect();
		const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
		const where = el.outerHTML.slice(0, 160);
		for (let n = walker.nextNode(); n; n = walker.nextNode()) {
			if (!n.textContent.trim() || n.parentElement.closest(".fr-sr-only")) continue;
			shown += n.textContent;
			const range = document.createRange();
			range.selectNodeContents(n);
			for (const b of range.getClientRects()) {
				if (b.left < r.left - .5 || b.right > r.right + .5 || b.top < r.top - .5 || b.bottom > r.bottom + .5)
					out.push("text «" + n.textContent.trim() + "» is cut by its box: " + where);
			}
		}
		shown = shown.replace(/\s+/g, " ").trim();
		if (!shown) out.push("no visible text: " + where);
		if (r.width <= 40) out.push("only " + Math.round(r.width) + " px wide: " + where);
		if (el.scrollWidth > el.clientWidth + 1) out.push("scrollWidth " + el.scrollWidth + " > clientWidth " + el.clientWidth + ": " + where);
		if (getComputedStyle(el).textIndent.startsWith("-")) out.push("text pushed out (text-indent): " + where);
		if (shown && !name.startsWith(shown)) out.push("accessible name «" + name + "» does not start with the visible text «" + shown + "»");
	}
	return out;
})`

// assertLabelsVisible fails the test when a visible element matching sel (a button, a link
// styled as one) does not show its label in full.
func assertLabelsVisible(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	if bad := evalJS[[]string](t, ctx, labelCheck+`(`+strconv.Quote(sel)+`)`); len(bad) > 0 {
		t.Errorf("labels of %s not fully visible%s:\n%s", sel, onPage(ctx), strings.Join(bad, "\n"))
	}
}

// TestVisualArgentWarningAndPrintButtons: the « Argent » warning stays inside its démarche's
// tile and the form, on a desktop and on a phone; the print buttons of both revocation
// success pages show their label, not a clipped icon.
func TestVisualArgentWarningAndPrintButtons(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		aidant, err := srv.App.Store.FindAidantByEmail(context.Background(), app.DemoAidantEmail)
		if err != nil {
			t.Fatal(err)
		}
		m := seedMandat(t, srv, aidant, identityOf("visual-1", "Irène", "Vasseur", "female", "1949-06-18"), "LONG", "papiers", "social")
		loginDemo(t, ctx, srv, noJS)

		// The FI's démarche choice, argent among the tiles.
		fi := &fiSetup{srv: srv, clientID: "franceconnect"}
		fi.register(t)
		navigate(t, ctx, fi.authorizeURLFor(t, apptest.RandomHex(t), "famille", "argent"))
		clickOrSwap(t, ctx, noJS, fmt.Sprintf("button[name=usager][value='%d']", fi.angela.ID), ".fr-tile")
		for _, w := range []int64{desktopWidth, mobileWidth} {
			setWidth(t, ctx, w)
			assertInside(t, ctx, ".ac-idp-tiles .fr-alert", ".ac-idp-tiles > li")
			// (A cell's box includes the grid's gutters, which DSFR pulls out of the row.)
			assertInside(t, ctx, ".ac-idp-tiles .fr-tile, .ac-idp-tiles .fr-alert", "form#demarche")
			assertInside(t, ctx, "form#demarche", "main")
			assertLabelsVisible(t, ctx, "main .fr-btn")
			assertNoSidewaysScroll(t, ctx, onPage(ctx))
			assertAxe(t, ctx, "FI, choix de la démarche avec « Argent », "+strconv.FormatInt(w, 10)+" px")
		}
		setWidth(t, ctx, desktopWidth)

		navigate(t, ctx, srv.URL+"/espace-aidant/creation_mandat/")
		click(t, ctx, "label[for=demarche-argent]")
		waitVisible(t, ctx, ".ac-argent-warning")
		for _, w := range []int64{desktopWidth, mobileWidth} {
			setWidth(t, ctx, w)
			assertInside(t, ctx, ".ac-argent-warning", ".fr-fieldset__element")
			assertInside(t, ctx, ".ac-argent-warning", "fieldset")
			assertInside(t, ctx, "#mandat-form", "main")
			assertNoSidewaysScroll(t, ctx, onPage(ctx))
			assertAxe(t, ctx, "étape 1 avec « Argent », "+strconv.FormatInt(w, 10)+" px")
		}

		setWidth(t, ctx, desktopWidth)
		social := m.Autorisations[1]
		if social.Demarche != "social" {
			social = m.Autorisations[0]
		}
		mandat := "/espace-aidant/mandats/" + strconv.FormatInt(m.ID, 10) + "/"
		revokeSocial := mandat + "autorisations/" + strconv.FormatInt(social.ID, 10) + "/revoquer/"
		navigate(t, ctx, srv.URL+revokeSocial)
		clickNavigateOrSwap(t, ctx, noJS, `form[action="`+revokeSocial+`"] button[type="submit"]`, ".fr-alert--success")
		for _, w := range []int64{desktopWidth, mobileWidth} {
			setWidth(t, ctx, w)
			assertLabelsVisible(t, ctx, "main .fr-btn")
			assertAxe(t, ctx, "démarche révoquée, "+strconv.FormatInt(w, 10)+" px")
		}
		revocationPDF(t, ctx, srv.URL, mandat+"autorisations/"+strconv.FormatInt(social.ID, 10)+"/revocation/", "Révocation d'une autorisation via le service Aidants Connect")
		setWidth(t, ctx, desktopWidth)
		navigate(t, ctx, srv.URL+mandat+"revoquer/")
		clickNavigateOrSwap(t, ctx, noJS, `form[action="`+mandat+`revoquer/"] button[type="submit"]`, ".fr-alert--success")
		for _, w := range []int64{desktopWidth, mobileWidth} {
			setWidth(t, ctx, w)
			assertLabelsVisible(t, ctx, "main .fr-btn")
			assertAxe(t, ctx, "mandat révoqué, "+strconv.FormatInt(w, 10)+" px")
		}
		revocationPDF(t, ctx, srv.URL, mandat+"revocation/", "Révocation d'un mandat via le service Aidants Connect")
	})
}

// revocationPDF opens a revocation attestation, checks its title (the reference's wording,
// naming the service) and that it offers its PDF, and downloads it.
func revocationPDF(t *testing.T, ctx context.Context, base, page, title string) {
	t.Helper()
	navigate(t, ctx, base+page)
	if got := textOf(t, ctx, ".ac-attestation-document h2"); got != title {
		t.Fatalf("attestation title = %q, want %q", got, title)
	}
	if got := textOf(t, ctx, ".ac-attestation-document"); !strings.Contains(got, "avec le service « Aidants Connect »") {
		t.Fatalf("the attestation does not name the service: %q", got)
	}
	assertAxe(t, ctx, "attestation de révocation")
	href := attr(t, ctx, "a.fr-link--download", "href")
	if want := strings.TrimSuffix(page, "/") + ".pdf"; href != want {
		t.Fatalf("PDF link %q, want %q", href, want)
	}
	if pdf := fetchWithCookies(t, ctx, base+href); !strings.HasPrefix(pdf, "%PDF-") {
		t.Fatalf("the revocation PDF starts with %q", pdf[:min(len(pdf), 20)])
	}
}
