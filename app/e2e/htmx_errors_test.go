package e2e

import (
	"strings"
	"testing"
)

// TestLiveSearchErrorIsAFragment: an error while typing in the usagers search (here a NUL
// character, refused with 422) shows its message in the layout's error region, announced
// (role=alert), with one main, no duplicate ids, the focus still in the search box and the
// address bar unchanged; typing a valid search clears it. (JavaScript only: without it the
// search is a plain form, and an error is a page of its own.)
func TestLiveSearchErrorIsAFragment(t *testing.T) {
	ctx := newBrowser(t, browserOpts{})
	srv := startServer(t)
	loginDemo(t, ctx, srv, false)
	navigate(t, ctx, srv.URL+"/espace-aidant/usagers/")
	waitVisible(t, ctx, "#usagers-q")
	before := currentURL(t, ctx)
	click(t, ctx, "#usagers-q")
	setValue(t, ctx, "#usagers-q", "du\x00pont")
	waitVisible(t, ctx, `#ac-error [role="alert"]`)
	if got := textOf(t, ctx, "#ac-error"); !strings.Contains(got, "Caractères invalides") {
		t.Errorf("error region = %q", got)
	}
	if n := evalJS[int](t, ctx, `document.querySelectorAll("main").length`); n != 1 {
		t.Errorf("%d main elements", n)
	}
	if dups := evalJS[[]string](t, ctx, `(() => { const seen = {}, d = []; document.querySelectorAll("[id]").forEach(e => { if (seen[e.id]) d.push(e.id); seen[e.id] = true; }); return d; })()`); len(dups) > 0 {
		t.Errorf("duplicate ids: %v", dups)
	}
	if n := evalJS[int](t, ctx, `document.querySelectorAll("#ac-error header, #ac-error h1, #ac-error footer").length`); n != 0 {
		t.Errorf("the error region holds %d page parts", n)
	}
	if id := evalJS[string](t, ctx, `document.activeElement && document.activeElement.id`); id != "usagers-q" {
		t.Errorf("focus on %q, want the search box", id)
	}
	if got := currentURL(t, ctx); got != before {
		t.Errorf("the failed search went into the history: %s", got)
	}
	assertAxe(t, ctx, "recherche en erreur")

	typeInto(t, ctx, "#usagers-q", "dupont")
	waitJS(t, ctx, `document.getElementById("ac-error").childElementCount === 0`)
	waitJS(t, ctx, `location.search.includes("q=dupont")`)
}
