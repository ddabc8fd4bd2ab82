package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/views/habilitation"
)

// stepPost is an htmx POST of a step's form: its target is the step's region.
func stepPost(b *apptest.Browser, path string, form url.Values, target string) apptest.Page {
	b.T.Helper()
	form.Set(app.CSRFField, b.Jar[app.CSRFCookie])
	req := httptest.NewRequest(http.MethodPost, b.Env.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Target", target)
	return b.Do(req)
}

// Each step is an htmx swap of the step's region: the forms say so, a step saved answers
// HX-Location with that region as target and selection (the URL pushed), a step refused its
// page with the region (422); a request that is not the region's (boosted) gets the plain
// HX-Location, and one without htmx the 303.
func TestHabilitationStepsSwapTheirRegion(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	b := e.Browser()
	b.Get(paths.Habilitation)
	space := startSpace(t, e, b, "nadia@mediatheque.fr")
	token := strings.TrimSuffix(strings.TrimPrefix(space, "/habilitation/demandeur/"), "/")

	page := b.Get(paths.HabilitationSiret(token))
	doc := parseHTML(t, page.Body)
	form := doc.Find("#" + habilitation.StepID + " form")
	if hx, _ := form.Attr("hx-post"); hx != paths.HabilitationSiret(token) {
		t.Errorf("the SIRET form's hx-post: %q", hx)
	}
	for attr, want := range map[string]string{"hx-target": "#" + habilitation.StepID, "hx-select": "#" + habilitation.StepID, "hx-swap": "outerHTML"} {
		if got, _ := form.Attr(attr); got != want {
			t.Errorf("%s = %q, want %q", attr, got, want)
		}
	}
	if doc.Find("#"+habilitation.StepID+" h1").Length() != 1 {
		t.Error("the region holds no h1 (focus goes there after a swap)")
	}

	r := stepPost(b, paths.HabilitationSiret(token), url.Values{"siret": {"82123456700006"}}, habilitation.StepID)
	if r.Status != http.StatusUnprocessableEntity || parseHTML(t, r.Body).Find("#"+habilitation.StepID+" #siret-error").Length() != 1 {
		t.Fatalf("bad SIRET: %d", r.Status)
	}
	r = stepPost(b, paths.HabilitationSiret(token), url.Values{"siret": {"82123456700005"}}, habilitation.StepID)
	var loc struct{ Path, Target, Select, Swap string }
	if err := json.Unmarshal([]byte(r.Header.Get("HX-Location")), &loc); r.Status != http.StatusOK || err != nil {
		t.Fatalf("SIRET saved: %d %q %v", r.Status, r.Header.Get("HX-Location"), err)
	}
	if !strings.HasSuffix(loc.Path, "/structure/") || loc.Target != "#"+habilitation.StepID || loc.Select != loc.Target || loc.Swap != "outerHTML" {
		t.Errorf("HX-Location %+v", loc)
	}
	structure := loc.Path
	// The aidants step's « Ajouter un aidant »: the region again, the new row's legend to focus.
	request := strings.TrimSuffix(structure, "structure/")
	r = stepPost(b, request+"aidants/", url.Values{"rows": {"1"}, "action": {"row"}, "aidant-0-email": {"leo@mediatheque.fr"}}, habilitation.StepID)
	doc = parseHTML(t, r.Body)
	if r.Status != http.StatusOK || doc.Find("#aidant-1-legend[data-focus]").Length() != 1 || doc.Find("#aidant-0-legend[data-focus]").Length() != 0 {
		t.Errorf("row added: %d", r.Status)
	}
	if v, _ := doc.Find("#aidant-0-email").Attr("value"); v != "leo@mediatheque.fr" {
		t.Errorf("the first row kept %q", v)
	}
	good := url.Values{"name": {"Médiathèque de Fictiville"}, "type": {"Bibliothèque / Médiathèque"}, "address": {"3 rue des Lilas"},
		"zipcode": {"45000"}, "city": {"Fictiville"}, "mission": {"Démarches en ligne."}}
	// Boosted (the region is not the target): the whole page's navigation.
	b.HTMX = true
	r = b.Post(structure, good)
	b.HTMX = false
	if r.Status != http.StatusOK || r.Header.Get("HX-Location") != request+"referent/" {
		t.Errorf("boosted: %d %q", r.Status, r.Header.Get("HX-Location"))
	}
	if r := b.Post(structure, good); r.Status != http.StatusSeeOther || r.Location != request+"referent/" {
		t.Errorf("without htmx: %d %q", r.Status, r.Location)
	}
}
