package handlers_test

import (
	"context"
	"encoding/base32"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/otp"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

// The header links both espaces for a référent, and only the espace aidant otherwise; the
// espace référent is 403 to an aidant who is not one.
func TestReferentHomeAndHeader(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	w.aidant("sans@mfs.fr", w.a)
	r := w.browser.Get(paths.Referent)
	d := parseHTML(t, r.Body)
	if r.Status != http.StatusOK || d.Find("h1").Text() != "Espace référent" {
		t.Fatalf("home: %d %s", r.Status, d.Find("h1").Text())
	}
	if got := words(d.Find(".ac-counts")); got != "2 aidants actifs 1 aidant actif sans carte ni application 0 demande en attente" {
		t.Errorf("counts %q", got)
	}
	for _, href := range []string{paths.ReferentAidants, paths.ReferentAddAidant, paths.ReferentCoReferents, paths.ReferentOrganisation} {
		if d.Find(`.fr-tile a[href="`+href+`"]`).Length() != 1 {
			t.Errorf("no tile to %s", href)
		}
	}
	for _, page := range []string{paths.Referent, paths.Espace} {
		// The header's tools, and the same links in its « Menu » for narrow screens.
		h := parseHTML(t, w.browser.Get(page).Body).Find("header")
		for _, where := range []string{".fr-header__tools-links", ".ac-menu__panel"} {
			if h.Find(where+` a[href="/espace-aidant/"]`).Length() != 1 || h.Find(where+` a[href="/espace-referent/"]`).Length() != 1 {
				t.Errorf("%s: the header's %s does not link both espaces", page, where)
			}
		}
	}
	p := w.e.Aidant("aidant@mfs.fr", w.a, true)
	b := w.e.Login(p)
	if h := parseHTML(t, b.Get(paths.Espace).Body).Find("header"); h.Find(`a[href="/espace-referent/"]`).Length() != 0 {
		t.Error("a plain aidant's header links the espace référent")
	}
	if r := b.Get(paths.Referent); r.Status != http.StatusForbidden {
		t.Errorf("a plain aidant: %d, want 403", r.Status)
	}
}

// A carte, as a référent links it without JavaScript: from the stock, validated with a code,
// then the aidant logs in with it; unlinked with a reason, it logs in no more.
func TestReferentCarteJourney(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	a := w.aidant("jean@mfs.fr", w.a)
	page := paths.ReferentAidant(a.ID)
	d := parseHTML(t, w.browser.Get(page).Body)
	if d.Find(`form[action="`+paths.ReferentCarteLink(a.ID)+`"] input#serial`).Length() != 1 || d.Find("#carte-code").Length() != 0 {
		t.Fatal("no link form, or a validation form before any carte")
	}
	before := dumpTables(t, w.e)
	for serial, want := range map[string]string{
		"":            "Saisissez le numéro de série",
		"NOPE0000001": "Aucune carte n'a été trouvée avec ce numéro de série",
	} {
		r := w.browser.Post(paths.ReferentCarteLink(a.ID), url.Values{"serial": {serial}})
		d := parseHTML(t, r.Body)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(d.Find("#serial-error").Text(), want) || d.Find("#carte-panel .fr-alert--error a[href='#serial']").Length() != 1 {
			t.Errorf("serial %q: %d, error %q", serial, r.Status, d.Find("#serial-error").Text())
		}
	}
	if dumpTables(t, w.e) != before {
		t.Fatal("a refused link changed something")
	}
	r := w.browser.Post(paths.ReferentCarteLink(a.ID), url.Values{"serial": {"gadt0000001"}})
	if r.Status != http.StatusSeeOther || r.Location != page {
		t.Fatalf("link: %d %s", r.Status, r.Location)
	}
	d = parseHTML(t, w.browser.Get(page).Body)
	if !strings.Contains(d.Find(".fr-alert--success").Text(), "La carte est liée") || !strings.Contains(d.Find("#carte-panel").Text(), "Carte n° GADT0000001, à valider") {
		t.Errorf("after the link: %q", squash(d.Find("main").Text()))
	}
	if e := lastEmail(t, w.e); e.To != "jean@mfs.fr" || !strings.Contains(e.BodyText, "Rose Référente (MFS Beaugency) a lié la carte n° GADT0000001") {
		t.Errorf("e-mail %+v", e)
	}
	if j := w.e.Journal(w.a.ID)[0]; j.Action != store.ActionCardAssociation || *j.AidantID != w.ref.Aidant.ID {
		t.Errorf("journal %+v", j)
	}
	// Another aidant cannot have it.
	other := w.aidant("autre@mfs.fr", w.a)
	if r := w.browser.Post(paths.ReferentCarteLink(other.ID), url.Values{"serial": {"GADT0000001"}}); !strings.Contains(r.Body, "Cette carte est déjà associée à un aidant") {
		t.Errorf("a taken carte: %d", r.Status)
	}
	// Not validated: the carte does not log in yet.
	if _, ok := loginWith(w.e, a.Email, w.carteCode("GADT0000001")); ok {
		t.Fatal("an unvalidated carte logged in")
	}
	r = w.browser.Post(paths.ReferentCarteValidate(a.ID), url.Values{"code": {"12345"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(parseHTML(t, r.Body).Find("#carte-code-error").Text(), "6 chiffres") {
		t.Errorf("a short code: %d", r.Status)
	}
	w.e.Clock.Advance(10 * time.Second)
	r = w.browser.Post(paths.ReferentCarteValidate(a.ID), url.Values{"code": {w.carteCode("GADT0000001")}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("validate: %d %s", r.Status, r.Body)
	}
	if j := w.e.Journal(w.a.ID)[0]; j.Action != store.ActionCardValidation {
		t.Errorf("journal %s", j.Action)
	}
	w.e.Clock.Advance(time.Minute)
	if _, ok := loginWith(w.e, a.Email, w.carteCode("GADT0000001")); !ok {
		t.Fatal("the validated carte does not log in")
	}
	// Unlink: "autre" needs a text.
	r = w.browser.Post(paths.ReferentCarteUnlink(a.ID), url.Values{"reason": {"autre"}})
	if d := parseHTML(t, r.Body); r.Status != http.StatusUnprocessableEntity || !strings.Contains(d.Find("#reason-text-error").Text(), "Précisez la raison") || d.Find("#reason-autre").AttrOr("checked", "x") == "x" {
		t.Errorf("autre without a text: %d", r.Status)
	}
	if r := w.browser.Post(paths.ReferentCarteUnlink(a.ID), url.Values{}); !strings.Contains(r.Body, "Choisissez la raison") {
		t.Errorf("no reason: %d", r.Status)
	}
	r = w.browser.Post(paths.ReferentCarteUnlink(a.ID), url.Values{"reason": {"perte"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("unlink: %d", r.Status)
	}
	if j := w.e.Journal(w.a.ID)[0]; j.Action != store.ActionCardDissociation || !strings.Contains(j.Info, "raison : perte") {
		t.Errorf("journal %+v", j)
	}
	if e := lastEmail(t, w.e); !strings.Contains(e.BodyText, "a retiré la carte n° GADT0000001 de votre compte (Perte de la carte)") {
		t.Errorf("e-mail %q", e.BodyText)
	}
	w.e.Clock.Advance(time.Minute)
	if _, ok := loginWith(w.e, a.Email, w.carteCode("GADT0000001")); ok {
		t.Fatal("an unlinked carte still logs in")
	}
}

// With htmx, an action answers with the panel it changed (its message, its errors), never
// the page; a boosted form is a navigation (HX-Location).
func TestReferentPanelsSwapWithHTMX(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	a := w.aidant("jean@mfs.fr", w.a)
	r := htmxPost(w.browser, paths.ReferentCarteLink(a.ID), url.Values{"serial": {"NOPE"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(r.Body, `<section id="carte-panel"`) || strings.Contains(r.Body, "<html") ||
		!strings.Contains(r.Body, `id="serial-error"`) || !strings.Contains(r.Body, `value="NOPE"`) {
		t.Fatalf("refused, htmx: %d %s", r.Status, r.Body)
	}
	r = htmxPost(w.browser, paths.ReferentCarteLink(a.ID), url.Values{"serial": {"GADT0000002"}})
	d := parseHTML(t, r.Body)
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Body, `<section id="carte-panel"`) || d.Find("[data-focus][role=status]").Length() != 1 ||
		d.Find("#carte-code").Length() != 1 || d.Find(`form[hx-post="`+paths.ReferentCarteValidate(a.ID)+`"][hx-target="#carte-panel"]`).Length() != 1 {
		t.Fatalf("linked, htmx: %d %s", r.Status, r.Body)
	}
	// The app panel: the QR code and the key appear in place.
	r = htmxPost(w.browser, paths.ReferentAppStart(a.ID), nil)
	if d := parseHTML(t, r.Body); !strings.HasPrefix(r.Body, `<section id="app-panel"`) || d.Find("svg[role=img]").Length() != 1 || d.Find(".ac-otp-key").Length() != 1 {
		t.Fatalf("app started, htmx: %s", r.Body)
	}
	// Deactivation changes what every panel offers: they are swapped together.
	r = htmxPost(w.browser, paths.ReferentDeactivate(a.ID), nil)
	d = parseHTML(t, r.Body)
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Body, `<div id="aidant-panels"`) || d.Find(`form[action="`+paths.ReferentReactivate(a.ID)+`"]`).Length() != 1 ||
		d.Find("#carte-code").Length() != 0 || d.Find(`form[action="`+paths.ReferentAppConfirm(a.ID)+`"]`).Length() != 0 || d.Find("[role=status]").Length() != 1 {
		t.Fatalf("deactivated, htmx: %s", r.Body)
	}
	// A boosted form is a navigation: the aidant page, through HX-Location.
	w.browser.HTMX = true
	r = w.browser.Post(paths.ReferentReactivate(a.ID), nil)
	w.browser.HTMX = false
	if r.Status != http.StatusOK || r.Header.Get("HX-Location") != paths.ReferentAidant(a.ID) {
		t.Fatalf("boosted: %d %q %q", r.Status, r.Header.Get("HX-Location"), r.Body)
	}
}

// The aidant page offers exactly the carte actions of the availability matrix, for each state.
func TestReferentAidantPageFollowsTheMatrix(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	ctx := context.Background()
	st, rules := w.e.App.Store, otp.StoreRules()
	for i, tc := range []struct {
		name                           string
		active                         bool
		carte                          store.CarteState
		link, disabled, validate, drop bool
	}{
		{"active, no carte", true, store.DeviceNone, true, false, false, false},
		{"active, carte not validated", true, store.DeviceUnvalidated, false, false, true, true},
		{"active, carte validated", true, store.DeviceValidated, false, false, false, true},
		{"inactive, no carte", false, store.DeviceNone, false, true, false, false},
		{"inactive, carte not validated", false, store.DeviceUnvalidated, false, false, false, true},
		{"inactive, carte validated", false, store.DeviceValidated, false, false, false, true},
	} {
		a := w.aidant(strings.ReplaceAll(tc.name, " ", "")+"@mfs.fr", w.a)
		serial := "GADT000000" + string(rune('1'+i))
		if tc.carte != store.DeviceNone {
			if err := st.LinkCarte(ctx, w.scope(), a.ID, serial, rules, nil); err != nil {
				t.Fatal(err)
			}
		}
		if tc.carte == store.DeviceValidated {
			if err := st.ValidateCarte(ctx, w.scope(), a.ID, w.carteCode(serial), rules, nil); err != nil {
				t.Fatal(err)
			}
		}
		if !tc.active {
			if _, err := st.DeactivateAidant(ctx, w.scope(), a.ID, nil); err != nil {
				t.Fatal(err)
			}
		}
		d := parseHTML(t, w.browser.Get(paths.ReferentAidant(a.ID)).Body)
		got := [4]bool{
			d.Find(`form[action="`+paths.ReferentCarteLink(a.ID)+`"]`).Length() == 1,
			d.Find(`#carte-panel button[disabled]`).Length() == 1,
			d.Find(`form[action="`+paths.ReferentCarteValidate(a.ID)+`"]`).Length() == 1,
			d.Find(`form[action="`+paths.ReferentCarteUnlink(a.ID)+`"]`).Length() == 1,
		}
		if want := [4]bool{tc.link, tc.disabled, tc.validate, tc.drop}; got != want {
			t.Errorf("%s: link, disabled link, validate, unlink = %v, want %v", tc.name, got, want)
		}
		// Posted anyway, an action the page does not offer is refused: 409, nothing changed.
		if !tc.link {
			before := dumpTables(t, w.e)
			if r := w.browser.Post(paths.ReferentCarteLink(a.ID), url.Values{"serial": {"GADT0000010"}}); r.Status != http.StatusConflict {
				t.Errorf("%s: link posted by hand: %d, want 409", tc.name, r.Status)
			}
			if dumpTables(t, w.e) != before {
				t.Errorf("%s: a refused link changed something", tc.name)
			}
		}
	}
}

// An app for an aidant: the QR code and the key, confirmed by the current code only; then
// the aidant logs in with it; removed, it logs in no more.
func TestReferentAppEnrolment(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	a := w.aidant("jean@mfs.fr", w.a)
	if r := w.browser.Post(paths.ReferentAppStart(a.ID), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("start: %d", r.Status)
	}
	d := parseHTML(t, w.browser.Get(paths.ReferentAidant(a.ID)).Body)
	key := strings.ReplaceAll(d.Find(".ac-otp-key").Text(), " ", "")
	f, err := w.e.App.Store.GetManagedAidant(context.Background(), w.scope(), a.ID)
	if err != nil || key != otp.Base32(f.PendingAppSecret) || d.Find("#app-panel svg[role=img] path").Length() != 1 {
		t.Fatalf("the page shows key %q for the pending app (%v)", key, err)
	}
	secret := f.PendingAppSecret
	code := func() string {
		c, _ := otp.Code(secret, otp.AppStep, w.e.Clock.Now())
		return c
	}
	w.e.Clock.Advance(30 * time.Second)
	stale, _ := otp.Code(secret, otp.AppStep, w.e.Clock.Now().Add(-30*time.Second))
	if r := w.browser.Post(paths.ReferentAppConfirm(a.ID), url.Values{"code": {stale}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(parseHTML(t, r.Body).Find("#app-code-error").Text(), "Ce code n'est pas valide") {
		t.Fatalf("the previous step's code: %d", r.Status)
	}
	w.e.Clock.Advance(2 * time.Second) // past the backoff
	if r := w.browser.Post(paths.ReferentAppConfirm(a.ID), url.Values{"code": {code()}}); r.Status != http.StatusSeeOther {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	if j := w.e.Journal(w.a.ID)[0]; j.Action != store.ActionCardAssociation || !strings.Contains(j.Info, "application") {
		t.Errorf("journal %+v", j)
	}
	if e := lastEmail(t, w.e); !strings.Contains(e.Subject, "application d'authentification a été ajoutée") {
		t.Errorf("e-mail %q", e.Subject)
	}
	w.e.Clock.Advance(30 * time.Second)
	if _, ok := loginWith(w.e, a.Email, code()); !ok {
		t.Fatal("the app does not log in")
	}
	if r := w.browser.Post(paths.ReferentAppRemove(a.ID), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("remove: %d", r.Status)
	}
	w.e.Clock.Advance(30 * time.Second)
	if _, ok := loginWith(w.e, a.Email, code()); ok {
		t.Fatal("a removed app logs in")
	}
}

// Deactivation ends the aidant's sessions and stops their logins; reactivation restores them.
// A référent does not deactivate themselves, nor change their own organisations.
func TestReferentDeactivateReactivate(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	p := w.e.Aidant("jean@mfs.fr", w.a, true)
	b := w.e.Login(p)
	if r := w.browser.Post(paths.ReferentDeactivate(p.Aidant.ID), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("deactivate: %d", r.Status)
	}
	if r := b.Get(paths.Espace); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, paths.Login) {
		t.Errorf("the deactivated aidant's session goes on: %d %s", r.Status, r.Location)
	}
	if _, ok := loginWith(w.e, p.Aidant.Email, w.e.Code(p)); ok {
		t.Error("a deactivated aidant logs in")
	}
	if j := w.e.Journal(w.a.ID)[0]; j.Action != store.ActionAidantDeactivation {
		t.Errorf("journal %s", j.Action)
	}
	if r := w.browser.Post(paths.ReferentDeactivate(p.Aidant.ID), nil); r.Status != http.StatusConflict {
		t.Errorf("deactivating twice: %d, want 409", r.Status)
	}
	if r := w.browser.Post(paths.ReferentReactivate(p.Aidant.ID), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("reactivate: %d", r.Status)
	}
	if e := lastEmail(t, w.e); !strings.Contains(e.Subject, "réactivé") {
		t.Errorf("e-mail %q", e.Subject)
	}
	w.e.Clock.Advance(30 * time.Second)
	if _, ok := loginWith(w.e, p.Aidant.Email, w.e.Code(p)); !ok {
		t.Error("a reactivated aidant cannot log in")
	}
	self := paths.ReferentAidant(w.ref.Aidant.ID)
	d := parseHTML(t, w.browser.Get(self).Body)
	if d.Find(`form[action="`+paths.ReferentDeactivate(w.ref.Aidant.ID)+`"]`).Length() != 0 || d.Find("#organisations").Length() != 0 {
		t.Error("the référent is offered to deactivate themselves or change their organisations")
	}
	before := dumpTables(t, w.e)
	if r := w.browser.Post(paths.ReferentDeactivate(w.ref.Aidant.ID), nil); r.Status != http.StatusConflict {
		t.Errorf("self-deactivation posted by hand: %d, want 409", r.Status)
	}
	if dumpTables(t, w.e) != before {
		t.Error("a refused self-deactivation changed something")
	}
}

// The membership form lists the référent's organisations; one at least; leaving the current
// one takes the aidant out of reach.
func TestReferentMemberships(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	a := w.aidant("jean@mfs.fr", w.a)
	page := paths.ReferentAidant(a.ID)
	d := parseHTML(t, w.browser.Get(page).Body)
	if d.Find("#organisations input[type=checkbox]").Length() != 2 || d.Find("#organisation-"+itoa(w.a.ID)).AttrOr("checked", "no") == "no" {
		t.Fatalf("membership form: %s", d.Find("#organisations").Text())
	}
	r := w.browser.Post(paths.ReferentMemberships(a.ID), url.Values{})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Vous devez rattacher l&#39;aidant à au moins une organisation") {
		t.Fatalf("none: %d", r.Status)
	}
	if r := w.browser.Post(paths.ReferentMemberships(a.ID), url.Values{"organisations": {itoa(w.a.ID), itoa(w.c.ID)}}); r.Status != http.StatusSeeOther || r.Location != page {
		t.Fatalf("both: %d %s", r.Status, r.Location)
	}
	if e := lastEmail(t, w.e); !strings.Contains(e.BodyText, "- CCAS Meung\n- MFS Beaugency") {
		t.Errorf("e-mail %q", e.BodyText)
	}
	r = w.browser.Post(paths.ReferentMemberships(a.ID), url.Values{"organisations": {itoa(w.c.ID)}})
	if r.Status != http.StatusSeeOther || r.Location != paths.ReferentAidants {
		t.Fatalf("leaving the current organisation: %d %s", r.Status, r.Location)
	}
	if r := w.browser.Get(page); r.Status != http.StatusNotFound {
		t.Errorf("out of the current organisation, the aidant page: %d", r.Status)
	}
}

// The démarches the organisation offers: at least one; the mandat form offers only those at
// once; existing autorisations are not revoked.
func TestReferentDemarches(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	maker := creator(w.e, "createur@mfs.fr", w.a)
	m := mandatFor(w.e, maker, fcPerson("1", "Marie", "Dupont", "", "female", "1950-03-02"), "LONG", "argent", "social")
	if r := w.browser.Post(paths.ReferentDemarches, url.Values{}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Vous devez sélectionner au moins une démarche.") {
		t.Fatalf("none: %d", r.Status)
	}
	if r := w.browser.Post(paths.ReferentDemarches, url.Values{"demarches": {"papiers", "social"}}); r.Status != http.StatusSeeOther || r.Location != paths.ReferentOrganisation {
		t.Fatalf("save: %d", r.Status)
	}
	d := parseHTML(t, w.browser.Get(paths.ReferentOrganisation).Body)
	if d.Find("#demarche-papiers[checked]").Length() != 1 || d.Find("#demarche-argent[checked]").Length() != 0 {
		t.Error("the form does not show what was saved")
	}
	aidant := w.e.Login(w.e.Aidant("aidant@mfs.fr", w.a, true))
	form := parseHTML(t, aidant.Get(paths.MandatNew).Body)
	if form.Find("#demarche-papiers").Length() != 1 || form.Find("#demarche-argent").Length() != 0 {
		t.Error("the mandat form still offers argent")
	}
	got, err := w.e.App.Store.GetMandat(context.Background(), w.a.ID, m.ID)
	if err != nil || got.Status(w.e.Clock.Now()) != store.StatusActive || len(got.Autorisations) != 2 || got.Autorisations[0].RevokedAt != nil || got.Autorisations[1].RevokedAt != nil {
		t.Errorf("the existing mandat changed: %+v, %v", got, err)
	}
	// The FI offers the organisation's démarches, read at each request.
	flow := &store.IdPFlow{}
	if offered := flow.Offered(got.Organisation); strings.Join(offered, ",") != "papiers,social" {
		t.Errorf("FI offers %v", offered)
	}
}

// The switch reaches the référent's own organisations only; after it, the other's aidants are
// out of reach.
func TestReferentSwitch(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	a := w.aidant("jean@mfs.fr", w.a)
	d := parseHTML(t, w.browser.Get(paths.ReferentOrganisation).Body)
	if d.Find("select#organisation option").Length() != 2 {
		t.Fatalf("switch: %q", d.Find("select#organisation").Text())
	}
	if r := w.browser.Post(paths.ReferentSwitch, url.Values{"organisation": {itoa(w.b.ID)}}); r.Status != http.StatusNotFound {
		t.Errorf("to someone else's organisation: %d", r.Status)
	}
	if r := w.browser.Post(paths.ReferentSwitch, url.Values{"organisation": {itoa(w.c.ID)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("to c: %d", r.Status)
	}
	if h := parseHTML(t, w.browser.Get(paths.ReferentOrganisation).Body).Find("h1").Text(); h != "Mon organisation CCAS Meung" {
		t.Errorf("after the switch: %q", h)
	}
	if r := w.browser.Get(paths.ReferentAidant(a.ID)); r.Status != http.StatusNotFound {
		t.Errorf("an aidant of the organisation switched away from: %d", r.Status)
	}
}

func TestReferentAidantsFilter(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	w.aidant("helene.martin@mfs.fr", w.a)
	w.aidant("paul.durand@mfs.fr", w.a)
	w.aidant("ailleurs@ailleurs.fr", w.b)
	r := w.browser.Get(paths.ReferentAidants)
	rows, _ := cells(parseHTML(t, r.Body), "#aidants-results")
	if r.Status != http.StatusOK || len(rows) != 3 || !strings.Contains(r.Header.Get("Vary"), "HX-Request") {
		t.Fatalf("list: %d %v", r.Status, rows)
	}
	frag := htmxGet(w.browser, paths.ReferentAidantsFiltered("HÉLÈNE", "", 1), "aidants-results")
	rows, _ = cells(parseHTML(t, frag.Body), "#aidants-results")
	if !strings.HasPrefix(frag.Body, `<div id="aidants-results">`) || len(rows) != 1 || rows[0][1] != "helene.martin@mfs.fr" ||
		!strings.Contains(frag.Body, `<p id="aidants-status" hx-swap-oob="innerHTML">1 aidant.</p>`) || strings.Contains(frag.Body, "Demandes") {
		t.Fatalf("fragment: %s", frag.Body)
	}
	// An htmx navigation to the list (HX-Location after a form) targets the body: the page.
	if r := htmxGet(w.browser, paths.ReferentAidants, ""); !strings.Contains(r.Body, "<html") || !strings.Contains(r.Body, `id="demandes"`) {
		t.Errorf("an htmx navigation got a fragment")
	}
	if r := w.browser.Get(paths.ReferentAidants + "?q=" + strings.Repeat("a", 101)); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="aidants-q-error"`) {
		t.Errorf("too long: %d", r.Status)
	}
}

// Adding people to train and trained aidants, without JavaScript: rows added by the form's
// second button, refusals beside the fields, the requests listed and cancellable.
func TestReferentAddAidants(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	r := w.browser.Post(paths.ReferentAddUntrained, url.Values{"rows": {"1"}, "action": {"row"}, "p0-email": {"a@x.fr"}})
	d := parseHTML(t, r.Body)
	if r.Status != http.StatusOK || d.Find("#p1-email").Length() != 1 || d.Find("#p0-email").AttrOr("value", "") != "a@x.fr" {
		t.Fatalf("add a row: %d", r.Status)
	}
	w.aidant("deja@ccas.fr", w.c)
	person := func(i, email string) url.Values {
		return url.Values{"p" + i + "-email": {email}, "p" + i + "-first": {"Léa"}, "p" + i + "-last": {"Nouvelle"}, "p" + i + "-profession": {"Médiatrice"}}
	}
	form := person("0", "Lea@Example.fr")
	for k, v := range person("1", "deja@ccas.fr") {
		form[k] = v
	}
	form.Set("rows", "3") // the third left blank: ignored
	form.Set("action", "send")
	before := dumpTables(t, w.e)
	r = w.browser.Post(paths.ReferentAddUntrained, form)
	d = parseHTML(t, r.Body)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(d.Find("#p1-email-error").Text(), "déjà un compte dans l'une de vos organisations") || d.Find("#p2-email").Length() != 0 {
		t.Fatalf("a member: %d %q", r.Status, d.Find(".fr-error-text").Text())
	}
	if dumpTables(t, w.e) != before {
		t.Fatal("a refused form saved something")
	}
	form.Set("p1-email", "autre@example.fr")
	if r := w.browser.Post(paths.ReferentAddUntrained, form); r.Status != http.StatusSeeOther || r.Location != paths.ReferentAidants {
		t.Fatalf("send: %d %s", r.Status, r.Body)
	}
	d = parseHTML(t, w.browser.Get(paths.ReferentAidants).Body)
	if got := words(d.Find("#demandes ~ .fr-table").First().Find("tbody")); !strings.Contains(got, "lea@example.fr") || !strings.Contains(got, "Liste d'attente") {
		t.Errorf("requests: %q", got)
	}
	// Trained: one of c is added at once, another becomes a request.
	mine := w.aidant("mine@ccas.fr", w.c)
	w.aidant("theirs@ailleurs.fr", w.b)
	r = w.browser.Post(paths.ReferentAddTrained, url.Values{"rows": {"2"}, "action": {"send"}, "p0-email": {"MINE@ccas.fr"}, "p1-email": {"theirs@ailleurs.fr"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("trained: %d %s", r.Status, r.Body)
	}
	if r := w.browser.Get(paths.ReferentAidant(mine.ID)); r.Status != http.StatusOK {
		t.Errorf("the aidant of c was not added: %d", r.Status)
	}
	if e := lastEmail(t, w.e); e.To != "mine@ccas.fr" || !strings.Contains(e.BodyText, "vous a ajouté à l'organisation MFS Beaugency") {
		t.Errorf("e-mail %+v", e)
	}
	d = parseHTML(t, w.browser.Get(paths.ReferentAidants).Body)
	cancel := d.Find(`form[action^="/espace-referent/demande-changement-structure/"]`)
	if cancel.Length() != 1 || !strings.Contains(d.Text(), "theirs@ailleurs.fr") {
		t.Fatalf("structure change request: %d", cancel.Length())
	}
	if r := w.browser.Post(cancel.AttrOr("action", ""), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", r.Status)
	}
	if !strings.Contains(w.browser.Get(paths.ReferentAidants).Body, "Annulée par le ou la référente") {
		t.Error("the cancelled request's status")
	}
	if j := w.e.Journal(w.a.ID)[0]; j.Action != store.ActionStructureChangeCancel {
		t.Errorf("journal %s", j.Action)
	}
}

// Co-référents: an active aidant promoted gets the espace référent; a request for a
// non-aidant is checked and listed.
func TestReferentCoReferents(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	p := w.e.Aidant("jean@mfs.fr", w.a, true)
	d := parseHTML(t, w.browser.Get(paths.ReferentCoReferents).Body)
	if d.Find(`select#candidate option[value="`+itoa(p.Aidant.ID)+`"]`).Length() != 1 {
		t.Fatal("the aidant is not a candidate")
	}
	if r := w.browser.Post(paths.ReferentCoReferents, url.Values{"candidate": {itoa(p.Aidant.ID)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("promote: %d", r.Status)
	}
	if j := w.e.Journal(w.a.ID)[0]; j.Action != store.ActionReferentPromotion {
		t.Errorf("journal %s", j.Action)
	}
	if r := w.e.Login(p).Get(paths.Referent); r.Status != http.StatusOK {
		t.Errorf("the new co-référent's espace: %d", r.Status)
	}
	bad := url.Values{"first_name": {"Dominique"}, "last_name": {"Directrice"}, "profession": {"Directrice"}, "phone": {"12 34"}, "email": {"dir@mfs.fr"}}
	if r := w.browser.Post(paths.ReferentCoReferentRequest, bad); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="co-phone-error"`) {
		t.Fatalf("bad phone: %d", r.Status)
	}
	bad.Set("phone", "06 12 34 56 78")
	if r := w.browser.Post(paths.ReferentCoReferentRequest, bad); r.Status != http.StatusSeeOther {
		t.Fatalf("request: %d %s", r.Status, r.Body)
	}
	if body := w.browser.Get(paths.ReferentCoReferents).Body; !strings.Contains(body, "dir@mfs.fr") || !strings.Contains(body, "Nouvelle") {
		t.Error("the request is not listed")
	}
}

// A référent with nothing to log in with (a demo account, in dev) is led through their first
// app; "plus tard" puts it off for the session, by POST only.
func TestReferentOnboarding(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	newcomer := w.e.NewPerson(store.Aidant{Email: "nouvelle@mfs.fr", FirstName: "Nina", LastName: "Nouvelle", IsDemo: true}, w.a, true, false)
	b, ok := loginWith(w.e, newcomer.Aidant.Email, "123456")
	if !ok {
		t.Fatal("demo login")
	}
	if r := b.Get(paths.Referent); r.Status != http.StatusSeeOther || r.Location != paths.ReferentOTPWelcome {
		t.Fatalf("home without a device: %d %s", r.Status, r.Location)
	}
	if r := b.Get(paths.ReferentOTPDismiss); r.Status != http.StatusNotFound {
		t.Errorf("dismiss by GET: %d", r.Status)
	}
	if r := b.Post(paths.ReferentOTPDismiss, nil); r.Status != http.StatusSeeOther || r.Location != paths.Referent {
		t.Fatalf("dismiss: %d", r.Status)
	}
	if r := b.Get(paths.Referent); r.Status != http.StatusOK {
		t.Fatalf("home after dismissing: %d", r.Status)
	}
	b, _ = loginWith(w.e, newcomer.Aidant.Email, "123456")
	if r := b.Get(paths.Referent); r.Location != paths.ReferentOTPWelcome {
		t.Fatalf("a new session is led again: %d %s", r.Status, r.Location)
	}
	if r := b.Get(paths.ReferentOTPScan); r.Location != paths.ReferentOTPDownload {
		t.Errorf("scan before any app: %s", r.Location)
	}
	if r := b.Post(paths.ReferentOTPDownload, nil); r.Location != paths.ReferentOTPScan {
		t.Fatalf("start: %d %s", r.Status, r.Location)
	}
	d := parseHTML(t, b.Get(paths.ReferentOTPScan).Body)
	secret, err := otpSecret(d.Find(".ac-otp-key").Text())
	if err != nil || d.Find("svg[role=img]").Length() != 1 {
		t.Fatalf("scan page: %v", err)
	}
	if r := b.Post(paths.ReferentOTPScan, url.Values{"code": {"000000"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("wrong code: %d", r.Status)
	}
	w.e.Clock.Advance(31 * time.Second)
	code, _ := otp.Code(secret, otp.AppStep, w.e.Clock.Now())
	if r := b.Post(paths.ReferentOTPScan, url.Values{"code": {code}}); r.Location != paths.ReferentOTPDone {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	if r := b.Get(paths.ReferentOTPDone); r.Status != http.StatusOK {
		t.Errorf("done: %d", r.Status)
	}
	if r := b.Get(paths.Referent); r.Status != http.StatusOK {
		t.Errorf("home with an app: %d", r.Status)
	}
	if j := w.e.Journal(w.a.ID)[0]; j.Action != store.ActionCardAssociation || *j.AidantID != newcomer.Aidant.ID {
		t.Errorf("journal %+v", j)
	}
}

// The reference's /espace-responsable/… addresses answer 301 to /espace-referent/…, the rest
// of the path and the query string kept.
func TestReferentLegacyPaths(t *testing.T) {
	t.Parallel()
	b := apptest.Start(t).Browser()
	for from, to := range map[string]string{
		"/espace-responsable/":                        "/espace-referent/",
		"/espace-responsable":                         "/espace-referent/",
		"/espace-responsable/aidant/3/?a=1&b=d%C3%A9": "/espace-referent/aidant/3/?a=1&b=d%C3%A9",
		"/espace-responsable/organisation/":           "/espace-referent/organisation/",
	} {
		if r := b.Get(from); r.Status != http.StatusMovedPermanently || r.Location != to {
			t.Errorf("%s: %d %s, want 301 %s", from, r.Status, r.Location, to)
		}
	}
}

// otpSecret decodes the key the page shows for manual entry.
func otpSecret(key string) ([]byte, error) {
	return base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(strings.TrimSpace(key), " ", ""))
}

// The demo référent (dev and sandbox) sees aidants in every carte state, a stock of free
// demo cartes and a pending request, so that every action can be tried by hand.
func TestReferentDemoData(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t, apptest.WithDemoSeed)
	b, ok := loginWith(e, app.DemoReferentEmail, app.DemoCode)
	if !ok {
		t.Fatal("demo référent login")
	}
	r := b.Get(paths.ReferentAidants)
	d := parseHTML(t, r.Body)
	rows, _ := cells(d, "#aidants-results")
	states := map[string]string{}
	for _, row := range rows {
		states[row[0]] = row[2] + " / " + row[3] + " / " + row[4]
	}
	for name, want := range map[string]string{
		"Camille Référente": "Actif Référent / Carte n° DEMO0000001, validée / Aucune application",
		"Jean Aidant":       "Actif / Carte n° DEMO0000002, validée / Aucune application",
		"Amina Médiatrice":  "Actif / Aucune carte / Application active",
		"Lucie Sanscarte":   "Actif / Aucune carte / Aucune application",
		"Paul Avalider":     "Actif / Carte n° DEMO0000003, à valider / Aucune application",
		"Hélène Partie":     "Désactivé / Aucune carte / Aucune application",
		"Marc Inactif":      "Désactivé / Carte n° DEMO0000004, validée / Aucune application",
	} {
		if states[name] != want {
			t.Errorf("%s: %q, want %q", name, states[name], want)
		}
	}
	if !strings.Contains(words(d.Find("#demandes ~ .fr-table").First()), "Sophie Aformer") {
		t.Error("no pending habilitation request")
	}
	var free int
	if err := e.App.DB.NewRaw(`SELECT count(*) FROM cartes_totp c WHERE serial_number LIKE 'DEMO%' AND NOT EXISTS (SELECT 1 FROM otp_devices d WHERE d.carte_id = c.id)`).Scan(context.Background(), &free); err != nil || free != 10 {
		t.Errorf("free demo cartes: %d (%v), want 10", free, err)
	}
	if err := app.SeedDemo(context.Background(), e.App.Store); err != nil { // idempotent
		t.Fatal(err)
	}
}
