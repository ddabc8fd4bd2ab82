package e2e

import (
	"context"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/aidantsconnect/ac/store"
)

// Reflow (WCAG 1.4.10): at 320 CSS pixels wide, and at 200 % zoom (a 1280-pixel window is then
// 640 CSS pixels wide, at twice the pixel density), pages scroll vertically only.

// setViewport emulates a window width CSS pixels wide at that pixel density.
func setViewport(t *testing.T, ctx context.Context, width int64, scale float64) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: width, Height: 800, DeviceScaleFactor: scale, Mobile: width < 768}); err != nil {
		t.Fatalf("viewport %d px at %v: %v", width, scale, err)
	}
}

// assertNoSidewaysScroll fails when the document is wider than the window, naming the
// elements that stick out.
func assertNoSidewaysScroll(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	if evalJS[bool](t, ctx, `document.documentElement.scrollWidth <= window.innerWidth`) {
		return
	}
	out := evalJS[[]string](t, ctx, `Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5).slice(0, 12).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + "." + String(e.className).replace(/ +/g, ".") + " right=" + Math.round(e.getBoundingClientRect().right))`)
	t.Errorf("%s scrolls sideways: document %d px wide in a %d px window; past its edge: %v", page,
		evalJS[int](t, ctx, `document.documentElement.scrollWidth`), evalJS[int](t, ctx, `window.innerWidth`), out)
}

// TestReflowUsagerPage: the usager page at 320 px, with and without JavaScript.
func TestReflowUsagerPage(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		loginDemo(t, ctx, srv, noJS)
		f := newUsagersFixture(t, srv)
		setViewport(t, ctx, 320, 1)
		for _, m := range []*store.Mandat{f.josephine, f.revoked} {
			navigate(t, ctx, srv.URL+"/espace-aidant/usagers/"+strconv.FormatInt(m.UsagerID, 10)+"/")
			waitVisible(t, ctx, "article[data-mandat]")
			assertNoSidewaysScroll(t, ctx, "usager à 320 px")
			// Nor inside the table's own box: a scrolling box the keyboard cannot reach.
			if wide := evalJS[[]int](t, ctx, `Array.from(document.querySelectorAll(".fr-table__container")).filter(c => c.scrollWidth > c.clientWidth).map(c => c.scrollWidth)`); len(wide) > 0 {
				t.Errorf("usager à 320 px: tables wider than their box: %v px", wide)
			}
			assertAxe(t, ctx, "usager à 320 px")
		}
	})
}

// TestReflowMandatAtDoubleZoom: the mandat form and the recap at 200 % zoom.
func TestReflowMandatAtDoubleZoom(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		setViewport(t, ctx, 640, 2)
		loginDemo(t, ctx, srv, noJS)
		navigate(t, ctx, srv.URL+"/espace-aidant/creation_mandat/")
		click(t, ctx, "label[for=demarche-argent]")
		assertNoSidewaysScroll(t, ctx, "mandat à 200 %")
		assertAxe(t, ctx, "mandat à 200 %")
		toRecap(t, ctx, srv, "LONG", "papiers", "argent")
		assertNoSidewaysScroll(t, ctx, "récapitulatif à 200 %")
		assertAxe(t, ctx, "récapitulatif à 200 %")
		setViewport(t, ctx, 320, 1)
		assertNoSidewaysScroll(t, ctx, "récapitulatif à 320 px")
	})
}
