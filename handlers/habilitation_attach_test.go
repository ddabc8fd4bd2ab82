package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

// An organisation already known with the SIRET is offered on the SIRET step: attach the
// request to it, or create a new structure. The choice is stored on the request, shown to
// the team, and validation then adds the référent and the aidants to the chosen
// organisation, creating none.
func TestHabilitationAttachesToAKnownOrganisation(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	ctx := context.Background()
	known := &store.Organisation{Name: "Médiathèque de Fictiville", TypeName: "Bibliothèque / Médiathèque", Siret: "82123456700005",
		Address: "1 place de la Mairie", Zipcode: "45000", City: "Fictiville"}
	if err := e.App.Store.CreateOrganisation(ctx, known); err != nil {
		t.Fatal(err)
	}
	b := e.Browser()
	b.Get(paths.Habilitation)
	space := startSpace(t, e, b, "nadia@mediatheque.fr")
	token := strings.TrimSuffix(strings.TrimPrefix(space, "/habilitation/demandeur/"), "/")
	siret := paths.HabilitationSiret(token)

	// The SIRET first: the choice is asked, nothing saved yet.
	r := b.Post(siret, url.Values{"siret": {"821 234 567 00005"}})
	doc := parseHTML(t, r.Body)
	if r.Status != http.StatusOK || doc.Find("input[name=structure][value='"+known.UUID+"']").Length() != 1 ||
		doc.Find("input[name=structure][value=nouvelle]").Length() != 1 || !strings.Contains(r.Body, "Rattacher la demande à cette structure : Médiathèque de Fictiville") {
		t.Fatalf("SIRET of a known organisation: %d %s", r.Status, r.Body)
	}
	if v, _ := doc.Find("#siret").Attr("value"); v != "821 234 567 00005" {
		t.Errorf("the SIRET kept: %q", v)
	}
	// A choice the step did not offer (another organisation's uuid): refused, nothing saved.
	other := &store.Organisation{Name: "CCAS d'ailleurs", Siret: "21756123400014"}
	if err := e.App.Store.CreateOrganisation(ctx, other); err != nil {
		t.Fatal(err)
	}
	r = b.Post(siret, url.Values{"siret": {"82123456700005"}, "structure": {other.UUID}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(parseHTML(t, r.Body).Find("#structure-error").Text(), "Choisissez la structure") {
		t.Fatalf("a choice not offered: %d", r.Status)
	}
	if n := e.Count("organisation_requests"); n != 0 {
		t.Fatalf("%d requests saved before the choice", n)
	}

	// Attached: the demandeur is told on the structure step, the team on the request.
	r = b.Post(siret, url.Values{"siret": {"82123456700005"}, "structure": {known.UUID}})
	if r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Location, "/structure/") {
		t.Fatalf("attach: %d %q", r.Status, r.Location)
	}
	request := strings.TrimSuffix(r.Location, "structure/")
	if r := b.Get(r.Location); !strings.Contains(r.Body, "La demande est rattachée à Médiathèque de Fictiville") {
		t.Errorf("the structure step does not say it: %s", r.Body)
	}
	fillAndSubmit(t, b, request)
	id := requestID(t, e, "82123456700005")
	_, sb := e.LoginStaff("claire@beta.gouv.fr")
	if r := sb.Get(paths.StaffRequest(id)); !strings.Contains(parseHTML(t, r.Body).Find(".ac-attach").Text(), "rattache la demande à une structure déjà connue") {
		t.Errorf("the team's page: %s", r.Body)
	}
	before := e.Count("organisations")
	if r := sb.Post(paths.StaffRequestValidate(id), url.Values{"subject": {"Validée"}, "body": {"Bienvenue."}}); r.Status != http.StatusSeeOther {
		t.Fatalf("validate: %d %s", r.Status, r.Body)
	}
	if n := e.Count("organisations"); n != before {
		t.Errorf("%d organisations after validating an attached request, %d before", n, before)
	}
	ref, err := e.App.Store.FindAidantByEmail(ctx, "remi@mediatheque.fr")
	if err != nil || ref.CurrentOrganisationID != known.ID {
		t.Fatalf("référent %+v %v", ref, err)
	}
	ms, _ := e.App.Store.ListMemberships(ctx, ref.ID)
	if len(ms) != 1 || ms[0].OrganisationID != known.ID || !ms[0].IsReferent {
		t.Errorf("memberships %+v", ms)
	}
	var hr store.HabilitationRequest
	if err := e.App.DB.NewSelect().Model(&hr).Where("email = ?", "leo@mediatheque.fr").Scan(ctx); err != nil || hr.OrganisationID != known.ID {
		t.Errorf("the aidant's request %+v %v", hr, err)
	}

	// Another demandeur, the same SIRET, a new structure: the team is told it is one.
	b2 := e.Browser()
	b2.Get(paths.Habilitation)
	space = startSpace(t, e, b2, "sam@mediatheque.fr")
	token = strings.TrimSuffix(strings.TrimPrefix(space, "/habilitation/demandeur/"), "/")
	r = b2.Post(paths.HabilitationSiret(token), url.Values{"siret": {"82123456700005"}, "structure": {"nouvelle"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("new structure: %d", r.Status)
	}
	if r := b2.Get(r.Location); strings.Contains(r.Body, "La demande est rattachée") {
		t.Error("a new structure said attached")
	}
	fillAndSubmit(t, b2, strings.TrimSuffix(r.Location, "structure/"))
	var id2 int64
	if err := e.App.DB.NewSelect().Table("organisation_requests").Column("id").Where("siret = ? AND attach_organisation_id IS NULL", "82123456700005").Scan(ctx, &id2); err != nil {
		t.Fatal(err)
	}
	if r := sb.Get(paths.StaffRequest(id2)); !strings.Contains(parseHTML(t, r.Body).Find(".ac-attach").Text(), "demande une nouvelle structure") {
		t.Errorf("the team's page of a new structure: %s", r.Body)
	}
}
