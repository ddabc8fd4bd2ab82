package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app"
)

// Forms as a screen reader meets them (issue 10, « Accessibility beyond axe »): required
// fields said before they are met, hints read once, error-summary links that land on an
// input, « Erreur – » first in the title after a validation error, the argent warning
// announced as it appears, a meta description on every page.

// formChecks are what every form page must hold, read from the DOM (Runtime.evaluate runs in
// NoJS tabs too).
func formChecks(t *testing.T, ctx context.Context, page, form string) {
	t.Helper()
	if got := evalJS[string](t, ctx, `(document.querySelector('meta[name=description]') || {}).content || ""`); len(got) < 40 {
		t.Errorf("%s: meta description %q", page, got)
	}
	if got := evalJS[string](t, ctx, `(document.querySelector(`+strconv.Quote(form+" .ac-all-required")+`) || {}).textContent || ""`); got != "Tous les champs sont obligatoires." {
		t.Errorf("%s: required note = %q", page, got)
	}
	// A hint inside the label is part of the accessible name: aria-describedby must not
	// name it again.
	twice := evalJS[[]string](t, ctx, `Array.from(document.querySelectorAll("[aria-describedby]")).flatMap(el => {
		const label = el.id && document.querySelector('label[for="' + el.id + '"]');
		return el.getAttribute("aria-describedby").split(/\s+/).filter(id => {
			const d = document.getElementById(id);
			return !d || (label && label.contains(d));
		}).map(id => el.id + " → " + id);
	})`)
	if len(twice) > 0 {
		t.Errorf("%s: aria-describedby names a hint of the label, or nothing: %v", page, twice)
	}
}

// summaryTargets are the error summary's links, each with the tag of what it points at.
func summaryTargets(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return evalJS[[]string](t, ctx, `Array.from(document.querySelectorAll(".fr-alert--error a[href^='#']")).map(a => {
		const el = document.getElementById(a.getAttribute("href").slice(1));
		return a.getAttribute("href") + "=" + (el ? el.tagName.toLowerCase() : "none");
	})`)
}

func pageTitle(t *testing.T, ctx context.Context) string {
	t.Helper()
	return evalJS[string](t, ctx, `document.title`)
}

// TestFormsMandatAccessible: the mandat form, with and without JavaScript.
func TestFormsMandatAccessible(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		loginDemo(t, ctx, srv, noJS)
		navigate(t, ctx, srv.URL+"/espace-aidant/creation_mandat/")
		formChecks(t, ctx, "mandat", "#mandat-form")
		if got := attr(t, ctx, "#duree", "role") + " " + attr(t, ctx, "#duree", "aria-required"); got != "radiogroup true" {
			t.Errorf("durée group: role and aria-required = %q", got)
		}
		if strings.HasPrefix(pageTitle(t, ctx), "Erreur") {
			t.Errorf("title before any error: %q", pageTitle(t, ctx))
		}

		// The argent warning: in a live region. With JavaScript the region is empty until the
		// box is ticked, then holds the warning (announced); without, CSS shows it.
		region := "[data-live-for=demarche-argent]"
		if got := attr(t, ctx, region, "aria-live"); got != "polite" {
			t.Errorf("argent region aria-live = %q", got)
		}
		if visible(t, ctx, region+" .ac-argent-warning") {
			t.Error("argent warning visible before the box is ticked")
		}
		if !noJS && evalJS[int](t, ctx, `document.querySelector(`+strconv.Quote(region)+`).childElementCount`) != 0 {
			t.Error("with JavaScript the argent region holds the warning before the box is ticked")
		}
		click(t, ctx, "label[for=demarche-argent]")
		waitVisible(t, ctx, region+" .ac-argent-warning")
		if got := textOf(t, ctx, region); !strings.Contains(got, "surendettement") {
			t.Errorf("argent region = %q", got)
		}
		assertAxe(t, ctx, "mandat, argent coché")
		click(t, ctx, "label[for=demarche-argent]")
		if !noJS {
			waitJS(t, ctx, `document.querySelector(`+strconv.Quote(region)+`).childElementCount === 0`)
		} else if visible(t, ctx, region+" .ac-argent-warning") {
			t.Error("argent warning still shown once unticked")
		}

		// Nothing chosen: 422, « Erreur – » first, links onto the first box of each group.
		if noJS {
			clickNavigate(t, ctx, "button.fr-connect")
		} else {
			click(t, ctx, "button.fr-connect")
		}
		waitVisible(t, ctx, ".fr-alert--error a")
		if got := pageTitle(t, ctx); !strings.HasPrefix(got, "Erreur – ") {
			t.Errorf("title after a validation error = %q", got)
		}
		if got := strings.Join(summaryTargets(t, ctx), " "); got != "#demarche-papiers=input #duree-SHORT=input" {
			t.Errorf("error summary links = %q", got)
		}
		formChecks(t, ctx, "mandat en erreur", "#mandat-form")
		assertAxe(t, ctx, "mandat en erreur")
	})
}

// TestFormsRecapAccessible: the recap, with and without JavaScript: required note,
// aria-required consent; without the consent, the same rules as the mandat form.
func TestFormsRecapAccessible(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		loginDemo(t, ctx, srv, noJS)
		toRecap(t, ctx, srv, "LONG", "papiers")
		formChecks(t, ctx, "récapitulatif", recapForm)
		if got := attr(t, ctx, "#personal_data-box", "aria-required"); got != "true" {
			t.Errorf("consent aria-required = %q", got)
		}
		typeInto(t, ctx, "#otp_token", app.DemoCode)
		if noJS {
			clickNavigate(t, ctx, recapForm+" button[type=submit]")
		} else {
			click(t, ctx, recapForm+" button[type=submit]")
		}
		waitVisible(t, ctx, ".fr-alert--error a")
		if got := pageTitle(t, ctx); !strings.HasPrefix(got, "Erreur – Récapitulatif") {
			t.Errorf("recap title after a validation error = %q", got)
		}
		if got := strings.Join(summaryTargets(t, ctx), " "); got != "#personal_data-box=input" {
			t.Errorf("recap error summary links = %q", got)
		}
		formChecks(t, ctx, "récapitulatif en erreur", recapForm)
		assertAxe(t, ctx, "récapitulatif en erreur")
	})
}

// TestFormsReferentAccessible: the référent's démarches form, with and without JavaScript.
func TestFormsReferentAccessible(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		loginAs(t, ctx, srv, noJS, app.DemoReferentEmail, app.DemoCode)
		navigate(t, ctx, srv.URL+"/espace-referent/organisation/")
		form := "form[action='/espace-referent/organisation/demarches/']"
		formChecks(t, ctx, "démarches de l'organisation", form)
		for _, box := range evalJS[[]string](t, ctx, `Array.from(document.querySelectorAll(`+strconv.Quote(form+" input[name=demarches]:checked")+`)).map(e => e.id)`) {
			click(t, ctx, "label[for="+box+"]")
		}
		submit(t, ctx, noJS, form+" button[type=submit]")
		waitVisible(t, ctx, ".fr-alert--error a")
		if got := pageTitle(t, ctx); !strings.HasPrefix(got, "Erreur – ") {
			t.Errorf("title after a validation error = %q", got)
		}
		if got := strings.Join(summaryTargets(t, ctx), " "); got != "#demarche-papiers=input" {
			t.Errorf("error summary links = %q", got)
		}
		formChecks(t, ctx, "démarches en erreur", form)
		assertAxe(t, ctx, "démarches de l'organisation en erreur")
	})
}
