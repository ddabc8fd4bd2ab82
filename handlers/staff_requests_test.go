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

// submitRequest files a whole request through the form, as the demandeur email, and returns
// the demandeur's browser and the request's path.
func submitRequest(t *testing.T, e *apptest.Env, email, siret string) (*apptest.Browser, string) {
	t.Helper()
	b := e.Browser()
	b.Get(paths.Habilitation)
	space := startSpace(t, e, b, email)
	token := strings.TrimSuffix(strings.TrimPrefix(space, "/habilitation/demandeur/"), "/")
	r := b.Post(paths.HabilitationSiret(token), url.Values{"siret": {siret}})
	request := strings.TrimSuffix(r.Location, "structure/")
	fillAndSubmit(t, b, request)
	return b, request
}

// fillAndSubmit fills in a draft's steps after the SIRET and submits it.
func fillAndSubmit(t *testing.T, b *apptest.Browser, request string) {
	t.Helper()
	for step, form := range map[string]url.Values{
		"structure/": {"name": {"Médiathèque de Fictiville"}, "type": {"Bibliothèque / Médiathèque"}, "address": {"3 rue des Lilas"},
			"zipcode": {"45000"}, "city": {"Fictiville"}, "mission": {"Démarches en ligne."}},
		"referent/": {"action": {"save"}, "first_name": {"Rémi"}, "last_name": {"Référent"}, "email": {"remi@mediatheque.fr"},
			"phone": {"0612345678"}, "profession": {"Responsable"}},
		"aidants/": {"rows": {"1"}, "action": {"save"}, "aidant-0-email": {"leo@mediatheque.fr"}, "aidant-0-first": {"Léo"},
			"aidant-0-last": {"Aidant"}, "aidant-0-profession": {"Médiateur"}},
	} {
		if r := b.Post(request+step, form); r.Status != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", step, r.Status, r.Body)
		}
	}
	all := url.Values{"cgu": {"1"}, "not_free": {"1"}, "dpo": {"1"}, "professionals_only": {"1"}, "without_elected": {"1"}}
	if r := b.Post(request+"recapitulatif/", all); r.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
}

func requestID(t *testing.T, e *apptest.Env, siret string) int64 {
	t.Helper()
	var id int64
	if err := e.App.DB.NewSelect().Table("organisation_requests").Column("id").Where("siret = ?", siret).Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestStaffReviewsARequest(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	demandeur, request := submitRequest(t, e, "nadia@mediatheque.fr", "82123456700005")
	id := requestID(t, e, "82123456700005")
	staff, sb := e.LoginStaff("claire@beta.gouv.fr")

	// The list finds it by filter and search; a bad date is a message, not an error page.
	for q, want := range map[string]bool{
		"?statut=ac_validation_processing": true, "?statut=validated": false, "?departement=45": true, "?departement=75": false,
		"?region=24": true, "?region=11": false, "?region=24&departement=45": true, "?region=24&departement=18": false, "?region=zz": true,
		"?q=fictiville": true, "?q=82123456700005": true, "?q=nadia%40": true, "?type=CCAS": false, "": true,
	} {
		r := sb.Get(paths.StaffRequests + q)
		if r.Status != http.StatusOK || strings.Contains(r.Body, paths.StaffRequest(id)) != want {
			t.Errorf("list %q: %d, listed %v", q, r.Status, !want)
		}
	}
	if r := sb.Get(paths.StaffRequests + "?du=hier"); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Saisissez une date") {
		t.Errorf("bad date: %d", r.Status)
	}
	// Ask for a change: a message is required, then the demandeur is told and may edit.
	if r := sb.Post(paths.StaffRequestAsk(id), url.Values{"body": {""}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("ask without message: %d", r.Status)
	}
	if r := sb.Post(paths.StaffRequestAsk(id), url.Values{"body": {"Précisez l'adresse, s'il vous plaît."}}); r.Status != http.StatusSeeOther {
		t.Fatalf("ask: %d %s", r.Status, r.Body)
	}
	if es := e.Emails(); es[0].To != "nadia@mediatheque.fr" || !strings.Contains(es[0].BodyText, "Précisez l'adresse") {
		t.Errorf("changes email: %q %q", es[0].To, es[0].BodyText)
	}
	// Validating now is refused by the status (the page says so).
	if r := sb.Post(paths.StaffRequestValidate(id), url.Values{"subject": {"ok"}, "body": {"ok"}}); r.Status != http.StatusConflict {
		t.Fatalf("validate from changes required: %d", r.Status)
	}
	r := demandeur.Get(request)
	if !strings.Contains(r.Body, "Précisez l") || !strings.Contains(r.Body, "Demande de modifications") {
		t.Fatal("the demandeur does not see the change asked")
	}
	if r := demandeur.Post(request+"structure/", url.Values{"name": {"Médiathèque de Fictiville"}, "type": {"Bibliothèque / Médiathèque"},
		"address": {"3 bis rue des Lilas"}, "zipcode": {"45000"}, "city": {"Fictiville"}, "mission": {"Démarches en ligne."}}); r.Status != http.StatusSeeOther {
		t.Fatalf("edit: %d", r.Status)
	}
	all := url.Values{"cgu": {"1"}, "not_free": {"1"}, "dpo": {"1"}, "professionals_only": {"1"}, "without_elected": {"1"}}
	if r := demandeur.Post(request+"recapitulatif/", all); r.Status != http.StatusSeeOther {
		t.Fatalf("resubmit: %d", r.Status)
	}
	if es := e.Emails(); es[0].Subject != "Votre demande d'habilitation Aidants Connect a été modifiée" {
		t.Errorf("resubmission email: %q", es[0].Subject)
	}
	// Validate, with the edited email: the organisation, the référent, the aidant's request.
	r = sb.Get(paths.StaffRequest(id))
	if !strings.Contains(r.Body, "3 bis rue des Lilas") || !strings.Contains(r.Body, "Valider la demande") {
		t.Fatalf("request page: %s", r.Body)
	}
	if r := sb.Post(paths.StaffRequestValidate(id), url.Values{"subject": {""}, "body": {"x"}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("validate without subject: %d", r.Status)
	}
	if e.Count("organisations") != 0 {
		t.Fatal("an organisation was created by a refused validation")
	}
	if r := sb.Post(paths.StaffRequestValidate(id), url.Values{"subject": {"Bienvenue !"}, "body": {"Votre structure est habilitée."}}); r.Status != http.StatusSeeOther {
		t.Fatalf("validate: %d %s", r.Status, r.Body)
	}
	ctx := context.Background()
	org, err := e.App.Store.FindOrganisationByName(ctx, "Médiathèque de Fictiville")
	if err != nil || org.Siret != "82123456700005" || org.HabilitationNumber == nil || org.Address != "3 bis rue des Lilas" {
		t.Fatalf("organisation %+v %v", org, err)
	}
	ref, err := e.App.Store.FindAidantByEmail(ctx, "remi@mediatheque.fr")
	if err != nil || ref.CurrentOrganisationID != org.ID || ref.CanCreateMandats {
		t.Fatalf("référent %+v %v", ref, err)
	}
	ms, _ := e.App.Store.ListMemberships(ctx, ref.ID)
	if len(ms) != 1 || !ms[0].IsReferent {
		t.Errorf("memberships %+v", ms)
	}
	var hr store.HabilitationRequest
	if err := e.App.DB.NewSelect().Model(&hr).Where("organisation_id = ?", org.ID).Scan(ctx); err != nil || hr.Email != "leo@mediatheque.fr" || hr.Status != store.RequestProcessing || hr.Origin != "habilitation" {
		t.Errorf("habilitation request %+v %v", hr, err)
	}
	// Emails: the edited one to the demandeur, the first login to the référent.
	es := e.Emails()
	if es[1].To != "nadia@mediatheque.fr" || es[1].Subject != "Bienvenue !" || !strings.Contains(es[1].BodyText, "Votre structure est habilitée.") {
		t.Errorf("validation email %q %q", es[1].Subject, es[1].BodyText)
	}
	if es[0].To != "remi@mediatheque.fr" || !strings.Contains(es[0].BodyText, "/chargement/code/") {
		t.Errorf("référent email %q %q", es[0].To, es[0].BodyText)
	}
	// Journal: the staff account is the actor of each action.
	var actions []string
	if err := e.App.DB.NewSelect().Table("journal").Column("action").Where("aidant_id = ?", staff.Aidant.ID).Where("action <> 'connect_aidant'").OrderExpr("id").Scan(ctx, &actions); err != nil {
		t.Fatal(err)
	}
	if strings.Join(actions, ",") != "request_changes_organisation_request,validate_organisation_request" {
		t.Errorf("journal %q", actions)
	}
	// Validated: no action left but the message; validating again is a conflict.
	if r := sb.Post(paths.StaffRequestValidate(id), url.Values{"subject": {"x"}, "body": {"x"}}); r.Status != http.StatusConflict || e.Count("organisations") != 1 {
		t.Errorf("validate twice: %d, %d organisations", r.Status, e.Count("organisations"))
	}
	// The new référent's first login link opens their espace.
	link := apptest.LoginURLPattern.FindString(es[0].BodyText)
	rb := e.Browser()
	path := strings.TrimPrefix(link, e.URL)
	if r := rb.Get(path); r.Status != http.StatusOK {
		t.Fatalf("first login wait page: %d", r.Status)
	}
	r = rb.Post(strings.Replace(path, "/chargement", "", 1), nil)
	if r.Status != http.StatusSeeOther || r.Location != paths.Referent {
		t.Fatalf("first login: %d %q", r.Status, r.Location)
	}
	if r := rb.Get(paths.Referent); r.Status != http.StatusSeeOther || r.Location != paths.ReferentOTPWelcome {
		t.Errorf("référent home: %d %q", r.Status, r.Location)
	}
}

func TestStaffRefusesAndPutsBack(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	submitRequest(t, e, "sam@ccas.fr", "21756123400014")
	id := requestID(t, e, "21756123400014")
	_, sb := e.LoginStaff("claire@beta.gouv.fr")
	if r := sb.Post(paths.StaffRequestRefuse(id), url.Values{"subject": {"Refus"}, "body": {"Non éligible."}}); r.Status != http.StatusSeeOther {
		t.Fatalf("refuse: %d", r.Status)
	}
	if es := e.Emails(); es[0].Subject != "Refus" {
		t.Errorf("refusal email %q", es[0].Subject)
	}
	if r := sb.Get(paths.StaffRequest(id)); !strings.Contains(r.Body, "Éligibilité refusée") || strings.Contains(r.Body, "Valider la demande") {
		t.Error("refused request page")
	}
	if r := sb.Post(paths.StaffRequestWait(id), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("wait: %d", r.Status)
	}
	if r := sb.Get(paths.StaffRequest(id)); !strings.Contains(r.Body, "Valider la demande") {
		t.Error("back in waiting: no validation offered")
	}
	if r := sb.Post(paths.StaffRequestMessage(id), url.Values{"body": {"Nous revoyons votre dossier."}}); r.Status != http.StatusSeeOther {
		t.Fatalf("message: %d", r.Status)
	}
	if es := e.Emails(); es[0].Subject != "Un message de l'équipe Aidants Connect sur votre demande" {
		t.Errorf("message email %q", es[0].Subject)
	}
}
