package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app/otp"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

// foreignIDs are the ids a request may name, of one organisation: an aidant (with a carte
// and an app being added), and one request of each kind.
type foreignIDs struct {
	aidant, habilitation, structureChange, coReferent int64
}

// filedIn gives org an aidant with devices in every state worth trying, and one request of
// each kind, filed by its référent rid.
func filedIn(t *testing.T, w *refWorld, org *store.Organisation, rid int64, serial string) foreignIDs {
	t.Helper()
	ctx := context.Background()
	st, rules, sc := w.e.App.Store, otp.StoreRules(), store.ReferentScope{ReferentID: rid, OrganisationID: org.ID}
	a := w.aidant("membre."+strings.ToLower(serial)+"@example.fr", org)
	if err := st.LinkCarte(ctx, sc, a.ID, serial, rules, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.StartApp(ctx, sc, a.ID, rules); err != nil {
		t.Fatal(err)
	}
	if err := st.RequestHabilitations(ctx, sc, []store.NewPerson{{Email: "former." + strings.ToLower(serial) + "@example.fr", FirstName: "F", LastName: "R"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddTrainedAidants(ctx, sc, []string{"forme." + strings.ToLower(serial) + "@example.fr"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.RequestCoReferent(ctx, sc, store.CoReferentInput{Email: "co." + strings.ToLower(serial) + "@example.fr", FirstName: "C", LastName: "R", Phone: "0600000000"}); err != nil {
		t.Fatal(err)
	}
	ids := foreignIDs{aidant: a.ID}
	for table, id := range map[string]*int64{"habilitation_requests": &ids.habilitation, "structure_change_requests": &ids.structureChange, "coreferent_requests": &ids.coReferent} {
		if err := w.e.App.DB.NewRaw("SELECT max(id) FROM "+table+" WHERE organisation_id = ?", org.ID).Scan(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// probe sends GET and POST to every espace référent route that names an id, filled with ids,
// with a form that would be accepted in the right organisation, plus the routes that name
// ids in their form (the switch, the promotion, the memberships); each must be 404
// "introuvable ou inaccessible".
func probe(t *testing.T, w *refWorld, ids foreignIDs, orgOfThem int64, mine int64) {
	t.Helper()
	form := func() url.Values {
		return url.Values{"serial": {"GADT0000010"}, "code": {"123456"}, "reason": {"perte"},
			"organisations": {itoa(w.a.ID)}, "organisation": {itoa(orgOfThem)}, "candidate": {itoa(ids.aidant)}}
	}
	tried := 0
	for _, r := range w.e.App.Fiber.GetRoutes(true) {
		if !strings.HasPrefix(r.Path, paths.Referent) || !strings.Contains(r.Path, ":") || (r.Method != http.MethodGet && r.Method != http.MethodPost) {
			continue
		}
		var id int64
		switch {
		case strings.Contains(r.Path, ":aidant"):
			id = ids.aidant
		case r.Path == paths.ReferentHabilitationCancelPattern:
			id = ids.habilitation
		case r.Path == paths.ReferentStructureChangeCancelPattern:
			id = ids.structureChange
		case r.Path == paths.ReferentCoReferentCancelPattern:
			id = ids.coReferent
		default:
			t.Fatalf("route %s %s: which id does it take? Add it to the probe", r.Method, r.Path)
		}
		path := strings.NewReplacer(":aidant", itoa(id), ":demande", itoa(id)).Replace(r.Path)
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			var p struct {
				Status int
				Body   string
			}
			if method == http.MethodGet {
				got := w.browser.Get(path)
				p.Status, p.Body = got.Status, got.Body
			} else {
				got := w.browser.Post(path, form())
				p.Status, p.Body = got.Status, got.Body
			}
			tried++
			if p.Status != http.StatusNotFound || !strings.Contains(p.Body, "introuvable ou inaccessible") {
				t.Errorf("%s %s (route %s): %d, want 404 introuvable ou inaccessible", method, path, r.Path, p.Status)
			}
		}
		// The same with htmx: no fragment, the 404.
		if r.Method == http.MethodPost {
			if got := htmxPost(w.browser, path, form()); got.Status != http.StatusNotFound {
				t.Errorf("htmx POST %s: %d, want 404", path, got.Status)
			}
		}
	}
	// Ids in forms: someone else's organisation to switch to or to join, their aidant to promote.
	for name, send := range map[string]func() int{
		"switch":    func() int { return w.browser.Post(paths.ReferentSwitch, form()).Status },
		"promotion": func() int { return w.browser.Post(paths.ReferentCoReferents, form()).Status },
		"memberships": func() int {
			f := form()
			f["organisations"] = []string{itoa(orgOfThem)}
			return w.browser.Post(paths.ReferentMemberships(mine), f).Status
		},
	} {
		tried++
		if got := send(); got != http.StatusNotFound {
			t.Errorf("%s with someone else's id: %d, want 404", name, got)
		}
	}
	if tried < 29 { // 13 routes with an id, GET and POST, and the 3 forms
		t.Fatalf("only %d requests tried: the probe lost its routes", tried)
	}
}

// A référent of organisation A gets 404 for every id of organisation B, on every espace
// référent route, GET and POST, with or without htmx, and the database does not change; the
// same for A's own ids once they switched to another organisation they manage.
func TestReferentOtherOrganisationIsNotFound(t *testing.T) {
	t.Parallel()
	w := newRefWorld(t)
	stranger := w.e.Referent("ref@ailleurs.fr", w.b)
	theirs := filedIn(t, w, w.b, stranger.Aidant.ID, "GADT0000001")
	mine := w.aidant("mine@mfs.fr", w.a)

	before := dumpTables(t, w.e)
	probe(t, w, theirs, w.b.ID, mine.ID)
	if after := dumpTables(t, w.e); after != before {
		t.Errorf("requests with organisation B's ids changed the database:\n%s", diffLines(before, after))
	}

	// After switching to c, a's ids are out of reach too.
	ours := filedIn(t, w, w.a, w.ref.Aidant.ID, "GADT0000002")
	if r := w.browser.Post(paths.ReferentSwitch, url.Values{"organisation": {itoa(w.c.ID)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("switch: %d", r.Status)
	}
	before = dumpTables(t, w.e)
	probe(t, w, ours, w.b.ID, mine.ID)
	if after := dumpTables(t, w.e); after != before {
		t.Errorf("after the switch, requests with a's ids changed the database:\n%s", diffLines(before, after))
	}
	// Back in a, the same ids work: the probe failed for the scope's sake only.
	if r := w.browser.Post(paths.ReferentSwitch, url.Values{"organisation": {itoa(w.a.ID)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("switch back: %d", r.Status)
	}
	if r := w.browser.Get(paths.ReferentAidant(ours.aidant)); r.Status != http.StatusOK {
		t.Errorf("a's aidant in a: %d", r.Status)
	}
	if r := w.browser.Post(paths.ReferentHabilitationCancel(ours.habilitation), nil); r.Status != http.StatusSeeOther {
		t.Errorf("a's request in a: %d", r.Status)
	}
}

// diffLines lists the lines of after that before lacks, and the reverse.
func diffLines(before, after string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	b, a := in(before), in(after)
	var out []string
	for l := range a {
		if !b[l] {
			out = append(out, "+ "+l)
		}
	}
	for l := range b {
		if !a[l] {
			out = append(out, "- "+l)
		}
	}
	return strings.Join(out, "\n")
}
