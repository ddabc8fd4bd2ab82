package handlers_test

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/otp"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

// From a validated request to an aidant logging in: the team validates the request, marks
// the aidant's eligibility and training done (the account is created, the référent told),
// imports a carte; the référent links and validates it; the aidant logs in with it.
func TestStaffTrainsAnAidantWhoLogsIn(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	submitRequest(t, e, "nadia@mediatheque.fr", "82123456700005")
	id := requestID(t, e, "82123456700005")
	_, sb := e.LoginStaff("claire@beta.gouv.fr")
	if r := sb.Post(paths.StaffRequestValidate(id), url.Values{"subject": {"Validée"}, "body": {"Bienvenue."}}); r.Status != http.StatusSeeOther {
		t.Fatalf("validate: %d", r.Status)
	}
	ctx := context.Background()
	var hr store.HabilitationRequest
	if err := e.App.DB.NewSelect().Model(&hr).Where("email = ?", "leo@mediatheque.fr").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	r := sb.Get(paths.StaffAidantRequests)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Léo Aidant · Médiathèque de Fictiville") || !strings.Contains(r.Body, "Formation suivie") {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	// Eligibility is already validated (the request came from the form): refused again.
	if r := sb.Post(paths.StaffAidantRequestEligible(hr.ID), nil); r.Status != http.StatusConflict {
		t.Errorf("eligible twice: %d", r.Status)
	}
	// Training: a date and an organisme, nothing saved without them.
	future := e.Clock.Now().AddDate(0, 0, 2).Format("2006-01-02")
	r = sb.Post(paths.StaffAidantRequestTrained(hr.ID), url.Values{"date": {future}, "organisme": {""}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "dans le futur") || !strings.Contains(r.Body, "organisme de formation") {
		t.Fatalf("bad training: %d", r.Status)
	}
	if _, err := e.App.Store.FindAidantByEmail(ctx, "leo@mediatheque.fr"); err != store.ErrNotFound {
		t.Fatalf("an account from a refused training: %v", err)
	}
	day := e.Clock.Now().AddDate(0, 0, -1).In(paris).Format("2006-01-02")
	if r := sb.Post(paths.StaffAidantRequestTrained(hr.ID), url.Values{"date": {day}, "organisme": {"Formateurs Numériques"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("trained: %d %s", r.Status, r.Body)
	}
	leo, err := e.App.Store.FindAidantByEmail(ctx, "leo@mediatheque.fr")
	if err != nil || !leo.CanCreateMandats || !leo.IsActive {
		t.Fatalf("aidant %+v %v", leo, err)
	}
	if es := e.Emails(); es[0].To != "remi@mediatheque.fr" || es[0].Subject != "Un nouvel aidant est habilité : liez-lui une carte" {
		t.Errorf("référent told: %q %q", es[0].To, es[0].Subject)
	}
	// A carte imported by the team…
	seed := []byte("carte-de-leo-0123456")
	if r := sb.Post(paths.StaffCartesImport, url.Values{"csv": {"LEO0001," + hex.EncodeToString(seed)}, "action": {"import"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("import: %d", r.Status)
	}
	// …linked and validated by the référent (a référent of this organisation, with an app).
	ref := e.Referent("co-referent@mediatheque.fr", &store.Organisation{ID: leo.CurrentOrganisationID})
	rb := e.Login(ref)
	if r := rb.Post(paths.ReferentCarteLink(leo.ID), url.Values{"serial": {"LEO0001"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	code, err := otp.Code(seed, otp.CarteStep, e.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r := rb.Post(paths.ReferentCarteValidate(leo.ID), url.Values{"code": {code}}); r.Status != http.StatusSeeOther {
		t.Fatalf("validate carte: %d %s", r.Status, r.Body)
	}
	// The aidant logs in with the carte.
	e.Clock.Advance(time.Minute)
	code, _ = otp.Code(seed, otp.CarteStep, e.Clock.Now())
	lb := e.Browser()
	if r := lb.Post(paths.Login, url.Values{"email": {"leo@mediatheque.fr"}, "otp_token": {code}}); r.Status != http.StatusSeeOther || r.Location != paths.LoginSent {
		t.Fatalf("login: %d %q %s", r.Status, r.Location, r.Body)
	}
	link := e.LastLoginLink()
	lb.Get(link)
	if r := lb.Post(strings.Replace(link, "/chargement", "", 1), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("link: %d", r.Status)
	}
	if r := lb.Get(paths.Espace); r.Status != http.StatusOK {
		t.Errorf("espace: %d", r.Status)
	}
	// Refusing a validated request is not offered.
	if r := sb.Post(paths.StaffAidantRequestRefuse(hr.ID), nil); r.Status != http.StatusConflict {
		t.Errorf("refuse a validated request: %d", r.Status)
	}
}
