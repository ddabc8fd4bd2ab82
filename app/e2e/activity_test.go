package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
)

// The activity check (WCAG 2.2.1): what the aidant sent after the deadline is kept and sent
// again after the code; with JavaScript, a modal warns before the deadline and « Rester
// connecté » extends it. The server's clock is the test clock: it is moved, never waited for.

// passActivityCheck types the code on the activity check the tab is on, after checking that
// it says the form is kept, and sends it; without JavaScript it then sends the resumed form
// with its button (with JavaScript it sends itself).
func passActivityCheck(t *testing.T, ctx context.Context, noJS bool, page string) {
	t.Helper()
	waitVisible(t, ctx, "#activity-kept")
	if h1 := textOf(t, ctx, "main h1"); h1 != "Session expirée" {
		t.Fatalf("%s: h1 = %q", page, h1)
	}
	assertAxe(t, ctx, page+" : code demandé")
	typeInto(t, ctx, "#otp_token", app.DemoCode)
	if noJS {
		clickNavigate(t, ctx, "form[action='/activity_check/'] button[type=submit]")
		waitVisible(t, ctx, "#resume-form")
		assertAxe(t, ctx, page+" : reprise")
		clickNavigate(t, ctx, "#resume-form button[type=submit]")
	} else {
		click(t, ctx, "form[action='/activity_check/'] button[type=submit]")
	}
}

// TestActivityCheckKeepsTheWork: the mandat form sent after 16 idle minutes comes back as
// sent (démarches, duration: the flow goes on to FranceConnect); the recap sent after another
// 16 minutes comes back with its consent ticked, asking for the code only.
func TestActivityCheckKeepsTheWork(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t)
		loginDemo(t, ctx, srv, noJS)
		navigate(t, ctx, srv.URL+"/espace-aidant/creation_mandat/")
		click(t, ctx, "label[for=demarche-papiers]")
		click(t, ctx, "label[for=demarche-argent]")
		click(t, ctx, "label[for=duree-SEMESTER]")
		srv.Clock.Advance(16 * time.Minute)
		if noJS {
			clickNavigate(t, ctx, "button.fr-connect")
		} else {
			click(t, ctx, "button.fr-connect")
		}
		passActivityCheck(t, ctx, noJS, "formulaire du mandat")

		// Sent again: on to FranceConnect, then the recap of what was chosen.
		waitVisible(t, ctx, "#identity-1")
		click(t, ctx, "label[for=identity-1]")
		click(t, ctx, "button[value=login]")
		waitVisible(t, ctx, "#personal_data-box")
		main := textOf(t, ctx, "main")
		for _, want := range []string{"Papiers - Citoyenneté", "Argent - Impôts - Consommation", "six mois (182 jours)", "surendettement"} {
			if !strings.Contains(main, want) {
				t.Errorf("recap after the check lacks %q: %s", want, main)
			}
		}

		// The recap: consent ticked, code typed, sent after the deadline.
		fillRecap(t, ctx)
		srv.Clock.Advance(16 * time.Minute)
		if noJS {
			clickNavigate(t, ctx, recapForm+" button[type=submit]")
		} else {
			click(t, ctx, recapForm+" button[type=submit]")
		}
		passActivityCheck(t, ctx, noJS, "récapitulatif")
		waitVisible(t, ctx, "#otp_token-error")
		if !evalJS[bool](t, ctx, `document.getElementById("personal_data-box").checked`) {
			t.Error("the consent came back unticked")
		}
		if got := textOf(t, ctx, "#otp_token-error"); !strings.Contains(got, "code") {
			t.Errorf("code message = %q", got)
		}
		if n := srv.Count("mandats"); n != 0 {
			t.Fatalf("%d mandats before the code", n)
		}
		assertAxe(t, ctx, "récapitulatif repris")
		typeInto(t, ctx, "#otp_token", app.DemoCode)
		if noJS {
			clickNavigate(t, ctx, recapForm+" button[type=submit]")
		} else {
			click(t, ctx, recapForm+" button[type=submit]")
		}
		waitVisible(t, ctx, ".ac-attestation-print")
		if n := srv.Count("mandats"); n != 1 {
			t.Fatalf("%d mandats, want 1", n)
		}
	})
}

const activityDialog = "#ac-activity"

// nearDeadline stands for time passing in the tab: the server's clock is moved, and the
// dialog gets the seconds left that the server would now send (the figure app.js schedules
// from, as after any htmx answer).
func nearDeadline(t *testing.T, ctx context.Context, srv *apptest.Env, idle time.Duration) {
	t.Helper()
	srv.Clock.Advance(idle)
	left := int((15*time.Minute - idle).Seconds())
	evalJS[bool](t, ctx, `document.querySelector("`+activityDialog+`").setAttribute("data-activity-left", "`+strconv.Itoa(left)+`"), true`)
}

// TestActivityWarning: two minutes before the deadline a DSFR modal opens, focus inside;
// « Rester connecté » closes it, gives focus back and extends the deadline on the server;
// past the deadline the modal says so, and Escape closes it. (JavaScript only: without it
// there is no warning, and TestActivityCheckKeepsTheWork shows the work is kept.)
func TestActivityWarning(t *testing.T) {
	ctx := newBrowser(t, browserOpts{})
	srv := startServer(t)
	loginDemo(t, ctx, srv, false)
	navigate(t, ctx, srv.URL+"/espace-aidant/creation_mandat/")
	click(t, ctx, "label[for=demarche-papiers]")
	click(t, ctx, "label[for=duree-LONG]")
	if left, _ := strconv.Atoi(attr(t, ctx, activityDialog, "data-activity-left")); left < 14*60 || left > 15*60 {
		t.Fatalf("data-activity-left = %d", left)
	}
	if evalJS[bool](t, ctx, `document.querySelector("`+activityDialog+`").open`) {
		t.Fatal("the warning is open with 15 minutes left")
	}

	nearDeadline(t, ctx, srv, 14*time.Minute)
	waitJS(t, ctx, `document.querySelector("`+activityDialog+`").open && document.querySelector("`+activityDialog+`").classList.contains("fr-modal--opened")`)
	if got := attr(t, ctx, activityDialog, "role") + " " + attr(t, ctx, activityDialog, "aria-modal"); got != "dialog true" {
		t.Errorf("dialog role and aria-modal = %q", got)
	}
	if got := evalJS[string](t, ctx, `document.activeElement.textContent.trim()`); got != "Rester connecté" {
		t.Errorf("focus on %q, want « Rester connecté »", got)
	}
	if got := textOf(t, ctx, activityDialog+" .fr-modal__title"); got != "Votre session va bientôt expirer" {
		t.Errorf("title = %q", got)
	}
	assertAxe(t, ctx, "avertissement d'inactivité")
	click(t, ctx, activityDialog+" [data-activity-extend]")
	waitJS(t, ctx, `!document.querySelector("`+activityDialog+`").open`)
	if got := attr(t, ctx, activityDialog, "data-activity-left"); got != "900" {
		t.Errorf("after « Rester connecté »: %s seconds left", got)
	}
	if got := evalJS[string](t, ctx, `document.activeElement.id`); got != "duree-LONG" {
		t.Errorf("focus back on %q, want duree-LONG", got)
	}

	// Past the deadline: the modal says so; Escape closes it and gives focus back.
	nearDeadline(t, ctx, srv, 13*time.Minute+30*time.Second)
	waitJS(t, ctx, `document.querySelector("`+activityDialog+`").open`)
	evalJS[bool](t, ctx, `document.querySelector("`+activityDialog+`").setAttribute("data-activity-left", "0"), true`)
	waitVisible(t, ctx, activityDialog+" [data-activity-over]")
	if visible(t, ctx, activityDialog+" [data-activity-extend]") && evalJS[bool](t, ctx, `!document.querySelector("`+activityDialog+` [data-activity-extend]").closest("li").hidden`) {
		t.Error("« Rester connecté » offered past the deadline")
	}
	assertAxe(t, ctx, "session expirée, avertissement")
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Escape)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `!document.querySelector("`+activityDialog+`").open`)
	if got := evalJS[string](t, ctx, `document.activeElement.id`); got != "duree-LONG" {
		t.Errorf("focus back on %q after Escape, want duree-LONG", got)
	}

	// The extension was real: 27 minutes after the page, 13.5 after « Rester connecté », the
	// form goes on to FranceConnect without a code.
	click(t, ctx, "button.fr-connect")
	waitVisible(t, ctx, "#identity-1")
}
