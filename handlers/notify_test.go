package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	mailview "github.com/aidantsconnect/ac/views/mail"
)

// emailsTo are the outbox's messages to that address, newest first.
func emailsTo(e *apptest.Env, to string) []store.Email {
	var out []store.Email
	for _, m := range e.Emails() {
		if m.To == to {
			out = append(out, m)
		}
	}
	return out
}

// The weekly digest tells the demo aidant of the practice mandat that expires soon, with
// the link to the narrowed list; a second run in the week sends nothing.
func TestDigestSentOnceAWeek(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t, apptest.WithPractice)
	ctx := context.Background()
	n, err := e.App.Store.SendDigests(ctx, e.App.Handlers.DigestMail)
	if err != nil || n == 0 {
		t.Fatalf("first run: %d sent, %v", n, err)
	}
	got := emailsTo(e, app.DemoAidantEmail)
	if len(got) != 1 || got[0].Subject != mailview.DigestSubject ||
		!strings.Contains(got[0].BodyText, e.App.Handlers.BaseURL+paths.UsagersExpiringSoon("", 1)) ||
		!strings.Contains(got[0].BodyText, "1 mandat expire") || !strings.Contains(got[0].BodyText, paths.EspacePreferences) {
		t.Fatalf("digest: %+v", got)
	}
	before := e.Count("emails")
	if n, err := e.App.Store.SendDigests(ctx, e.App.Handlers.DigestMail); err != nil || n != 0 || e.Count("emails") != before {
		t.Errorf("second run: %d sent (%v), %d emails, had %d", n, err, e.Count("emails"), before)
	}
}

// An aidant who turned the digest off in « Mes préférences » gets none (journaled); bad
// input is refused beside the field.
func TestDigestOptOut(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t, apptest.WithPractice)
	b := e.LoginWithCode(app.DemoAidantEmail, app.DemoCode)
	if r := b.Get(paths.EspacePreferences); r.Status != http.StatusOK || parseHTML(t, r.Body).Find("#digest-oui[checked]").Length() != 1 {
		t.Fatalf("preferences: %d", r.Status)
	}
	if r := b.Post(paths.EspacePreferences, url.Values{"digest": {"peut-être"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "Choisissez si vous voulez recevoir le récapitulatif") {
		t.Fatalf("bad choice: %d", r.Status)
	}
	if r := b.Post(paths.EspacePreferences, url.Values{"digest": {"non"}}); r.Status != http.StatusSeeOther || r.Location != paths.EspacePreferences {
		t.Fatalf("opt out: %d %q", r.Status, r.Location)
	}
	if r := b.Get(paths.EspacePreferences); parseHTML(t, r.Body).Find("#digest-non[checked]").Length() != 1 {
		t.Error("the choice is not shown")
	}
	var n int
	if err := e.App.DB.NewRaw("SELECT count(*) FROM journal WHERE action = ? AND info = 'récapitulatif désactivé'", store.ActionSetDigest).Scan(context.Background(), &n); err != nil || n != 1 {
		t.Errorf("journal: %d (%v)", n, err)
	}
	if _, err := e.App.Store.SendDigests(context.Background(), e.App.Handlers.DigestMail); err != nil {
		t.Fatal(err)
	}
	for _, m := range emailsTo(e, app.DemoAidantEmail) {
		if m.Subject == mailview.DigestSubject {
			t.Errorf("opted out, got the digest: %q", m.BodyText)
		}
	}
}

// A référent hears of the aidants without a working carte or app and of the requests
// pending for more than 14 days, once a week.
func TestReferentFollowUp(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	ctx := context.Background()
	org := e.Org("MFS de Fictiville")
	ref := e.Referent("referente@mfs.fr", org)
	e.Aidant("sans.carte@mfs.fr", org, false)
	e.Aidant("avec.app@mfs.fr", org, true)
	if err := e.App.Store.RequestHabilitations(ctx, store.ReferentScope{ReferentID: ref.Aidant.ID, OrganisationID: org.ID},
		[]store.NewPerson{{Email: "nouvelle@mfs.fr", FirstName: "Nina", LastName: "Nouvelle", Profession: "Médiatrice"}}); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(15 * 24 * time.Hour)
	n, err := e.App.Store.SendReferentFollowUps(ctx, e.App.Handlers.ReferentMail)
	if err != nil || n != 1 {
		t.Fatalf("first run: %d sent, %v", n, err)
	}
	got := emailsTo(e, "referente@mfs.fr")
	if len(got) != 1 || got[0].Subject != mailview.ReferentFollowUpSubject("MFS de Fictiville") {
		t.Fatalf("follow-up: %+v", got)
	}
	body := got[0].BodyText
	for _, want := range []string{"Jean Test", "Demande d'habilitation de Nina Nouvelle", e.App.Handlers.BaseURL + paths.ReferentAidants} {
		if !strings.Contains(body, want) {
			t.Errorf("follow-up lacks %q:\n%s", want, body)
		}
	}
	// Only the aidant without a device is listed: one "- Jean Test" line (both are Jean Test).
	if c := strings.Count(body, "- Jean Test\n"); c != 1 {
		t.Errorf("%d aidants listed without a device, want 1:\n%s", c, body)
	}
	if n, err := e.App.Store.SendReferentFollowUps(ctx, e.App.Handlers.ReferentMail); err != nil || n != 0 {
		t.Errorf("second run: %d sent, %v", n, err)
	}
}

// A demandeur whose draft request is untouched for 30 days gets one reminder with the link to
// their space; a second run sends nothing.
func TestDraftReminder(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	b := e.Browser()
	b.Get(paths.Habilitation)
	space := startSpace(t, e, b, "nadia@mediatheque.fr")
	token := strings.TrimSuffix(strings.TrimPrefix(space, "/habilitation/demandeur/"), "/")
	if r := b.Post(paths.HabilitationSiret(token), url.Values{"siret": {"821 234 567 00005"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("siret: %d", r.Status)
	}
	ctx := context.Background()
	if n, err := e.App.Store.SendDraftReminders(ctx, e.App.Handlers.HabilitationMail); err != nil || n != 0 {
		t.Fatalf("a fresh draft: %d sent, %v", n, err)
	}
	e.Clock.Advance(31 * 24 * time.Hour)
	n, err := e.App.Store.SendDraftReminders(ctx, e.App.Handlers.HabilitationMail)
	if err != nil || n != 1 {
		t.Fatalf("first run: %d sent, %v", n, err)
	}
	m := emailsTo(e, "nadia@mediatheque.fr")[0]
	if m.Subject != mailview.HabilitationSubject("draft") || !strings.Contains(m.BodyText, e.App.Handlers.BaseURL+paths.HabilitationSpace(token)) {
		t.Fatalf("reminder: %q\n%s", m.Subject, m.BodyText)
	}
	if n, err := e.App.Store.SendDraftReminders(ctx, e.App.Handlers.HabilitationMail); err != nil || n != 0 {
		t.Errorf("second run: %d sent, %v", n, err)
	}
	var raw int
	if err := e.App.DB.NewRaw("SELECT count(*) FROM notifications_sent WHERE recipient LIKE '%' || ? || '%'", token).Scan(ctx, &raw); err != nil || raw != 0 {
		t.Errorf("the raw token is stored: %d (%v)", raw, err)
	}
}
