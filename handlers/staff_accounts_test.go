package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
)

func TestStaffManagesOrganisationsAndAidants(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	staff, sb := e.LoginStaff("claire@beta.gouv.fr")
	org := e.Org("Maison France Services de Gien")
	p, ab := e.LoginAidant("jean@mfs-gien.fr", org)
	if r := sb.Get(paths.StaffOrganisations + "?q=gien"); !strings.Contains(r.Body, paths.StaffOrganisation(org.ID)) {
		t.Fatal("organisation not found by name")
	}
	if r := sb.Get(paths.StaffOrganisation(org.ID)); r.Status != http.StatusOK || !strings.Contains(r.Body, "jean@mfs-gien.fr") {
		t.Fatalf("organisation page: %d", r.Status)
	}
	if r := sb.Get(paths.StaffAidants + "?q=JEAN@mfs"); !strings.Contains(r.Body, paths.StaffAidant(p.Aidant.ID)) {
		t.Fatal("aidant not found by email")
	}
	// Deactivating the aidant ends their session; reactivating lets them log in again.
	if r := sb.Post(paths.StaffAidantDeactivate(p.Aidant.ID), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("deactivate: %d", r.Status)
	}
	if r := ab.Get(paths.Espace); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, paths.Login) {
		t.Errorf("deactivated aidant's session: %d %q", r.Status, r.Location)
	}
	if r := sb.Get(paths.StaffAidant(p.Aidant.ID)); !strings.Contains(r.Body, "Désactivé") || !strings.Contains(r.Body, "Réactiver") {
		t.Error("aidant page after deactivation")
	}
	if r := sb.Post(paths.StaffAidantReactivate(p.Aidant.ID), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("reactivate: %d", r.Status)
	}
	e.Login(p)
	// The organisation, deactivated then reactivated.
	if r := sb.Post(paths.StaffOrganisationDeactivate(org.ID), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("deactivate organisation: %d", r.Status)
	}
	if r := sb.Get(paths.StaffOrganisation(org.ID)); !strings.Contains(r.Body, "Réactiver") {
		t.Error("organisation page after deactivation")
	}
	if r := sb.Post(paths.StaffOrganisationReactivate(org.ID), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("reactivate organisation: %d", r.Status)
	}
	// A staff account does not deactivate itself.
	if r := sb.Post(paths.StaffAidantDeactivate(staff.Aidant.ID), nil); r.Status != http.StatusConflict {
		t.Errorf("self-deactivation: %d", r.Status)
	}
	var actions []string
	if err := e.App.DB.NewSelect().Table("journal").Column("action").Where("aidant_id = ? AND action LIKE 'staff_%'", staff.Aidant.ID).OrderExpr("id").Scan(context.Background(), &actions); err != nil {
		t.Fatal(err)
	}
	if strings.Join(actions, ",") != "staff_aidant_active,staff_aidant_active,staff_organisation_active,staff_organisation_active" {
		t.Errorf("journal %q", actions)
	}
}
