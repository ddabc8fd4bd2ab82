package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

var (
	confirmLink = regexp.MustCompile(`http://[0-9.:]+(/habilitation/confirmer-email/[A-Za-z0-9_-]+/)`)
	spaceLink   = regexp.MustCompile(`http://[0-9.:]+(/habilitation/demandeur/[A-Za-z0-9_-]+/)`)
)

// lastLink is the path a regexp finds in the newest email to someone.
func lastLink(t *testing.T, e *apptest.Env, to string, re *regexp.Regexp) (string, store.Email) {
	t.Helper()
	for _, m := range e.Emails() {
		if m.To == to {
			if l := re.FindStringSubmatch(m.BodyText); l != nil {
				return l[1], m
			}
			t.Fatalf("no link in %q", m.BodyText)
		}
	}
	t.Fatalf("no email to %s", to)
	return "", store.Email{}
}

func demandeurForm(email string) url.Values {
	return url.Values{"first_name": {"Nadia"}, "last_name": {"Demandeuse"}, "email": {email}, "profession": {"Directrice"}, "phone": {"01 23 45 67 89"}}
}

// startSpace files the demandeur step and confirms the email: the space's path.
func startSpace(t *testing.T, e *apptest.Env, b *apptest.Browser, email string) string {
	t.Helper()
	if r := b.Post(paths.HabilitationDemandeur, demandeurForm(email)); r.Status != http.StatusSeeOther || r.Location != paths.HabilitationEmailSent {
		t.Fatalf("demandeur: %d %q %s", r.Status, r.Location, r.Body)
	}
	link, _ := lastLink(t, e, email, confirmLink)
	r := b.Get(link)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/habilitation/demandeur/") {
		t.Fatalf("confirm: %d %q", r.Status, r.Location)
	}
	return r.Location
}

func TestHabilitationFormWholeRequest(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	b := e.Browser()
	b.Get(paths.Habilitation)
	space := startSpace(t, e, b, "nadia@mediatheque.fr")
	token := strings.TrimSuffix(strings.TrimPrefix(space, "/habilitation/demandeur/"), "/")
	if r := b.Get(space); r.Status != http.StatusOK || !strings.Contains(r.Body, "Vous n'avez pas encore de demande") {
		t.Fatalf("space: %d", r.Status)
	}

	// SIRET: an invalid one is refused by its key, an unknown one by the directory.
	for siret, msg := range map[string]string{
		"82123456700006":    "pas valide",
		"8212345670000":     "compte 14 chiffres",
		"13002526500013":    "Nous ne trouvons pas ce SIRET",
		"821 234 567 0000A": "que des chiffres",
	} {
		r := b.Post(paths.HabilitationSiret(token), url.Values{"siret": {siret}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, msg) {
			t.Errorf("siret %q: %d, want %q", siret, r.Status, msg)
		}
	}
	if n := e.Count("organisation_requests"); n != 0 {
		t.Fatalf("%d requests saved from invalid SIRETs", n)
	}
	r := b.Post(paths.HabilitationSiret(token), url.Values{"siret": {"821 234 567 00005"}})
	if r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Location, "/structure/") {
		t.Fatalf("siret: %d %q %s", r.Status, r.Location, r.Body)
	}
	structure := r.Location
	request := strings.TrimSuffix(structure, "structure/")
	if r := b.Get(structure); r.Status != http.StatusOK || !strings.Contains(r.Body, `value="Médiathèque numérique de Fictiville"`) {
		t.Fatalf("structure prefilled from the directory: %d", r.Status)
	}
	// Structure: errors next to their fields, nothing saved.
	bad := url.Values{"name": {"Médiathèque"}, "type": {"Autre"}, "address": {"3 rue des Lilas"}, "zipcode": {"4500"}, "city": {"Fictiville"}, "france_services": {"1"}}
	r = b.Post(structure, bad)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad structure: %d", r.Status)
	}
	doc := parseHTML(t, r.Body)
	for id, msg := range map[string]string{"type_other-error": "Saisissez le type", "zipcode-error": "5 chiffres", "france_services_number-error": "France Services", "mission-error": "missions"} {
		if got := doc.Find("#" + id).Text(); !strings.Contains(got, msg) {
			t.Errorf("%s: %q, want %q", id, got, msg)
		}
	}
	good := url.Values{"name": {"Médiathèque de Fictiville"}, "type": {"Bibliothèque / Médiathèque"}, "address": {"3 rue des Lilas"},
		"zipcode": {"45 000"}, "city": {"Fictiville"}, "mission": {"Accompagnement aux démarches en ligne."}}
	if r := b.Post(structure, good); r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Location, "/referent/") {
		t.Fatalf("structure: %d %s", r.Status, r.Body)
	}
	// Référent: « C'est moi » fills the form in, saves nothing.
	r = b.Post(request+"referent/", url.Values{"action": {"me"}})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `value="nadia@mediatheque.fr"`) {
		t.Fatalf("c'est moi: %d", r.Status)
	}
	ref := url.Values{"action": {"save"}, "first_name": {"Nadia"}, "last_name": {"Demandeuse"}, "email": {"nadia@mediatheque.fr"}, "phone": {"0123456789"}, "profession": {"Directrice"}}
	if r := b.Post(request+"referent/", ref); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "06 ou 07") {
		t.Fatalf("a landline for the référent: %d", r.Status)
	}
	ref.Set("phone", "06 12 34 56 78")
	if r := b.Post(request+"referent/", ref); r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Location, "/aidants/") {
		t.Fatalf("referent: %d %s", r.Status, r.Body)
	}
	// Aidants: a row added in place keeps what was typed; a repeated email is refused.
	row := url.Values{"rows": {"1"}, "action": {"row"}, "aidant-0-email": {"leo@mediatheque.fr"}, "aidant-0-first": {"Léo"}, "aidant-0-last": {"Aidant"}, "aidant-0-profession": {"Médiateur"}}
	r = b.Post(request+"aidants/", row)
	if r.Status != http.StatusOK || parseHTML(t, r.Body).Find("#aidant-1-email").Length() != 1 || !strings.Contains(r.Body, `value="leo@mediatheque.fr"`) {
		t.Fatalf("add a row: %d", r.Status)
	}
	two := url.Values{"rows": {"2"}, "action": {"save"},
		"aidant-0-email": {"leo@mediatheque.fr"}, "aidant-0-first": {"Léo"}, "aidant-0-last": {"Aidant"}, "aidant-0-profession": {"Médiateur"},
		"aidant-1-email": {"LEO@mediatheque.fr"}, "aidant-1-first": {"Léon"}, "aidant-1-last": {"Autre"}, "aidant-1-profession": {"Agent"}}
	r = b.Post(request+"aidants/", two)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(parseHTML(t, r.Body).Find("#aidant-1-email-error").Text(), "déjà celle d'un autre aidant") {
		t.Fatalf("duplicate email: %d", r.Status)
	}
	if n := e.Count("aidant_requests"); n != 0 {
		t.Fatalf("%d aidants saved from an invalid step", n)
	}
	if r := b.Post(request+"aidants/", url.Values{"rows": {"1"}, "action": {"save"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "au moins un aidant") {
		t.Fatalf("no aidant: %d", r.Status)
	}
	two.Set("aidant-1-email", "lea@mediatheque.fr")
	if r := b.Post(request+"aidants/", two); r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Location, "/recapitulatif/") {
		t.Fatalf("aidants: %d %s", r.Status, r.Body)
	}
	// Summary: each commitment is required.
	r = b.Post(request+"recapitulatif/", url.Values{"cgu": {"1"}, "dpo": {"1"}})
	if r.Status != http.StatusUnprocessableEntity || strings.Count(r.Body, "Cochez cet engagement") != 6 { // 3 in the summary, 3 next to the boxes
		t.Fatalf("commitments: %d, %d messages", r.Status, strings.Count(r.Body, "Cochez cet engagement"))
	}
	all := url.Values{"cgu": {"1"}, "not_free": {"1"}, "dpo": {"1"}, "professionals_only": {"1"}, "without_elected": {"1"}}
	if r := b.Post(request+"recapitulatif/", all); r.Status != http.StatusSeeOther || r.Location != request {
		t.Fatalf("submit: %d %q %s", r.Status, r.Location, r.Body)
	}
	r = b.Get(request)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "En attente de validation") || !strings.Contains(r.Body, "Numéro d'habilitation : <strong>450") {
		t.Fatalf("submitted: %d %s", r.Status, r.Body)
	}
	// Submitted: the steps are read-only now.
	if r := b.Get(structure); r.Status != http.StatusSeeOther || r.Location != request {
		t.Errorf("structure after submission: %d %q", r.Status, r.Location)
	}
	if r := b.Post(structure, good); r.Status != http.StatusSeeOther || r.Location != request {
		t.Errorf("structure posted after submission: %d %q", r.Status, r.Location)
	}
	// Emails: confirmation, created, submitted.
	var subjects []string
	for _, m := range e.Emails() {
		subjects = append([]string{m.Subject}, subjects...)
	}
	want := []string{"Confirmez votre adresse e-mail pour votre demande d'habilitation Aidants Connect",
		"Votre demande d'habilitation Aidants Connect a été créée", "Votre demande d'habilitation Aidants Connect a été soumise"}
	if strings.Join(subjects, "|") != strings.Join(want, "|") {
		t.Errorf("emails %q", subjects)
	}
	// A message to the team.
	if r := b.Post(request+"messages/", url.Values{"message": {""}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("empty message: %d", r.Status)
	}
	if r := b.Post(request+"messages/", url.Values{"message": {"Bonjour, une question."}}); r.Status != http.StatusSeeOther {
		t.Errorf("message: %d", r.Status)
	}
	if r := b.Get(request); !strings.Contains(r.Body, "Bonjour, une question.") {
		t.Error("the message is not on the request's page")
	}
}

// A known email gets its space's link again, no second demandeur; « Suivre ma demande » does
// the same; an expired confirmation link says what to do; another's token opens nothing.
func TestHabilitationDemandeurLinks(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	b := e.Browser()
	b.Get(paths.Habilitation)
	// Invalid: nothing saved.
	if r := b.Post(paths.HabilitationDemandeur, url.Values{"email": {"pas-une-adresse"}}); r.Status != http.StatusUnprocessableEntity || e.Count("demandeurs") != 0 {
		t.Fatalf("invalid demandeur: %d", r.Status)
	}
	// Before confirmation, the space waits for it.
	b.Post(paths.HabilitationDemandeur, demandeurForm("sam@ccas.fr"))
	first, _ := lastLink(t, e, "sam@ccas.fr", confirmLink)
	e.Clock.Advance(3*24*time.Hour + time.Minute)
	if r := b.Get(first); r.Status != http.StatusGone || !strings.Contains(r.Body, "plus de 3 jours") {
		t.Fatalf("expired: %d", r.Status)
	}
	// Again: a new confirmation link (the email is not confirmed yet), still one demandeur.
	b.Post(paths.HabilitationDemandeur, demandeurForm("sam@ccas.fr"))
	link, _ := lastLink(t, e, "sam@ccas.fr", confirmLink)
	if link == first || e.Count("demandeurs") != 1 {
		t.Fatalf("second confirmation: same link %v, %d demandeurs", link == first, e.Count("demandeurs"))
	}
	r := b.Get(link)
	space := r.Location
	// Known and confirmed: the space's link, by the form and by « Suivre ma demande ».
	for _, post := range []func() apptest.Page{
		func() apptest.Page { return b.Post(paths.HabilitationDemandeur, demandeurForm("Sam@CCAS.fr")) },
		func() apptest.Page { return b.Post(paths.HabilitationFollow, url.Values{"email": {"sam@ccas.fr"}}) },
	} {
		if r := post(); r.Status != http.StatusSeeOther || r.Location != paths.HabilitationEmailSent {
			t.Fatalf("reminder: %d", r.Status)
		}
		got, m := lastLink(t, e, "sam@ccas.fr", spaceLink)
		if got != space || m.Subject != "Le lien de votre espace demandeur Aidants Connect" {
			t.Errorf("reminder: %q %q, want %q", got, m.Subject, space)
		}
	}
	if e.Count("demandeurs") != 1 {
		t.Errorf("%d demandeurs", e.Count("demandeurs"))
	}
	// An unknown email: the same page, no email.
	before := len(e.Emails())
	if r := b.Post(paths.HabilitationFollow, url.Values{"email": {"inconnu@nulle-part.fr"}}); r.Status != http.StatusSeeOther || len(e.Emails()) != before {
		t.Errorf("unknown follow: %d, %d emails", r.Status, len(e.Emails())-before)
	}
	// Another demandeur's request is not found through this space.
	other := startSpace(t, e, e.Browser(), "autre@mairie.fr")
	otherTok := strings.TrimSuffix(strings.TrimPrefix(other, "/habilitation/demandeur/"), "/")
	r = b.Post(paths.HabilitationSiret(otherTok), url.Values{"siret": {"82123456700005"}})
	request := strings.TrimSuffix(r.Location, "structure/")
	uuid := strings.TrimSuffix(strings.TrimPrefix(request, other+"demandes/"), "/")
	tok := strings.TrimSuffix(strings.TrimPrefix(space, "/habilitation/demandeur/"), "/")
	if r := b.Get(paths.HabilitationRequest(tok, uuid)); r.Status != http.StatusNotFound {
		t.Errorf("another's request: %d", r.Status)
	}
	if r := b.Get(paths.HabilitationRequest(tok, "pas-un-uuid")); r.Status != http.StatusNotFound {
		t.Errorf("a malformed uuid: %d", r.Status)
	}
}
