package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
)

// « Modifications proposées »: the team proposes changes of its own (a message required),
// the demandeur is emailed, sees them on the request and may edit it; submitting again puts
// it back in waiting. Proposing is offered only from waiting.
func TestStaffProposesChanges(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	demandeur, request := submitRequest(t, e, "nadia@mediatheque.fr", "82123456700005")
	id := requestID(t, e, "82123456700005")
	staff, sb := e.LoginStaff("claire@beta.gouv.fr")
	if r := sb.Get(paths.StaffRequest(id)); !strings.Contains(r.Body, `action="`+paths.StaffRequestPropose(id)+`"`) {
		t.Fatal("proposing is not offered on a request in waiting")
	}
	r := sb.Post(paths.StaffRequestPropose(id), url.Values{"body": {""}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(parseHTML(t, r.Body).Find("#propose-body-error").Text(), "Saisissez le texte") {
		t.Fatalf("propose without a message: %d", r.Status)
	}
	if r := sb.Post(paths.StaffRequestPropose(id), url.Values{"body": {"Nous proposons le type « Bibliothèque / Médiathèque » et l'adresse 3 bis."}}); r.Status != http.StatusSeeOther {
		t.Fatalf("propose: %d %s", r.Status, r.Body)
	}
	es := e.Emails()
	if es[0].To != "nadia@mediatheque.fr" || es[0].Subject != "L'équipe Aidants Connect propose des modifications à votre demande" || !strings.Contains(es[0].BodyText, "l'adresse 3 bis") {
		t.Errorf("proposal email %q %q %q", es[0].To, es[0].Subject, es[0].BodyText)
	}
	r = sb.Get(paths.StaffRequest(id))
	if !strings.Contains(r.Body, "Modifications proposées par Aidants Connect") || strings.Contains(r.Body, `action="`+paths.StaffRequestPropose(id)+`"`) {
		t.Error("the team's page after proposing")
	}
	// Proposed: not again (the status no longer allows it).
	if r := sb.Post(paths.StaffRequestPropose(id), url.Values{"body": {"Encore."}}); r.Status != http.StatusConflict {
		t.Errorf("propose twice: %d", r.Status)
	}
	// The demandeur sees them, makes them and submits again.
	r = demandeur.Get(request)
	if !strings.Contains(r.Body, "vous propose des modifications") || !strings.Contains(r.Body, "l&#39;adresse 3 bis") {
		t.Fatalf("the demandeur's page: %s", r.Body)
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
	if r := sb.Get(paths.StaffRequest(id)); !strings.Contains(r.Body, "En attente de validation") || !strings.Contains(r.Body, "3 bis rue des Lilas") {
		t.Error("back in waiting with the change")
	}
	var actions []string
	if err := e.App.DB.NewSelect().Table("journal").Column("action").Where("aidant_id = ?", staff.Aidant.ID).Where("action <> 'connect_aidant'").OrderExpr("id").Scan(context.Background(), &actions); err != nil {
		t.Fatal(err)
	}
	if strings.Join(actions, ",") != "propose_changes_organisation_request" {
		t.Errorf("journal %q", actions)
	}
}
