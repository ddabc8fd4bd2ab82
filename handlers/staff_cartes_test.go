package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
)

const (
	hexSeed    = "0102030405060708090a0b0c0d0e0f1011121314"
	base32Seed = "AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYU"
)

func TestStaffImportsAndUnlinksCartes(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	_, sb := e.LoginStaff("claire@beta.gouv.fr")
	// A bad line: the preview says which, nothing imported, even when asked to import.
	bad := "serial;seed\nSTK001;" + hexSeed + "\nSTK002;pas-une-graine\n"
	for _, action := range []string{"preview", "import"} {
		r := sb.Post(paths.StaffCartesImport, url.Values{"csv": {bad}, "action": {action}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "ni en hexadécimal ni en base32") || strings.Contains(r.Body, `value="import"`) {
			t.Fatalf("%s a bad file: %d", action, r.Status)
		}
	}
	if n := e.Count("cartes_totp"); n != 0 {
		t.Fatalf("%d cartes imported from a bad file", n)
	}
	good := "STK001," + hexSeed + "\nSTK002," + base32Seed + "\n"
	r := sb.Post(paths.StaffCartesImport, url.Values{"csv": {good}, "action": {"preview"}})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Importer 2 cartes") || e.Count("cartes_totp") != 0 {
		t.Fatalf("preview: %d", r.Status)
	}
	if r := sb.Post(paths.StaffCartesImport, url.Values{"csv": {good}, "action": {"import"}}); r.Status != http.StatusSeeOther || e.Count("cartes_totp") != 2 {
		t.Fatalf("import: %d, %d cartes", r.Status, e.Count("cartes_totp"))
	}
	// Again: duplicates of the stock, nothing more.
	if r := sb.Post(paths.StaffCartesImport, url.Values{"csv": {good + "STK003," + hexSeed}, "action": {"import"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "déjà dans le stock") || e.Count("cartes_totp") != 2 {
		t.Fatalf("duplicates: %d, %d cartes", r.Status, e.Count("cartes_totp"))
	}
	// Search: free, then linked by a référent, then unlinked by the team with a reason.
	if r := sb.Get(paths.StaffCartes + "?serial=stk001"); !strings.Contains(r.Body, "Libre") {
		t.Fatalf("free carte: %s", r.Body)
	}
	if r := sb.Get(paths.StaffCartes + "?serial=NOPE"); !strings.Contains(r.Body, "Aucune carte du stock") {
		t.Error("unknown serial")
	}
	org := e.Org("MFS")
	_, rb := e.LoginReferent("camille@mfs.fr", org)
	a := e.Aidant("jean@mfs.fr", org, false)
	if r := rb.Post(paths.ReferentCarteLink(a.Aidant.ID), url.Values{"serial": {"STK001"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	r = sb.Get(paths.StaffCartes + "?serial=STK001")
	if !strings.Contains(r.Body, "Liée à Jean Test (jean@mfs.fr)") || !strings.Contains(r.Body, "pas encore validée") {
		t.Fatalf("linked carte: %s", r.Body)
	}
	id := parseHTML(t, r.Body).Find("form[action*='/dissocier/']").AttrOr("action", "")
	if r := sb.Post(id, url.Values{"reason": {"autre"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "précisez") {
		t.Fatalf("autre without text: %d", r.Status)
	}
	if r := sb.Post(id, url.Values{"reason": {"perte"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("unlink: %d", r.Status)
	}
	if r := sb.Get(paths.StaffCartes + "?serial=STK001"); !strings.Contains(r.Body, "Libre") {
		t.Error("not free after unlinking")
	}
	if r := sb.Post(id, url.Values{"reason": {"perte"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("unlink a free carte: %d", r.Status)
	}
}
