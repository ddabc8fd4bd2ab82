package app_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

// withSandbox is the bac à sable's mode (its key is the harness's, not the dev one).
func withSandbox(c *app.Config) { c.Mode = app.ModeSandbox }

func verifyJournal(t *testing.T, e *apptest.Env, when string) {
	t.Helper()
	rep, err := e.App.Store.VerifyJournal(context.Background())
	if err != nil || !rep.Intact() || rep.Checked == 0 {
		t.Fatalf("%s: journal %+v, %v", when, rep, err)
	}
}

func countWhere(t *testing.T, e *apptest.Env, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.App.DB.NewRaw(q, args...).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A trainee's sign-up makes their organisation in one transaction, with its journal entry;
// the hourly purge removes the expired trainees only, re-linking the journal past the gap
// (checkpoints written before and after included); the full reset removes every trainee and
// puts the demo data back as the seed made it. The journal verifies at every step.
func TestSandboxSignUpPurgeAndReset(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t, apptest.WithPractice, withSandbox)
	ctx := context.Background()
	st := e.App.Store

	x, err := e.App.SignUpTrainee(ctx, "Inès", "Formée", "ines@exemple.fr")
	if err != nil {
		t.Fatal(err)
	}
	if x.Organisation.Name != "Structure d'entraînement de Inès Formée" || x.Organisation.TraineeExpiresAt == nil ||
		!x.Organisation.TraineeExpiresAt.Equal(e.Clock.Now().Add(store.TraineeTTL)) || len(x.OutboxToken) < 40 {
		t.Fatalf("trainee organisation %+v", x.Organisation)
	}
	wantEmails := []string{"ines@exemple.fr", "ines+aidant1@exemple.fr", "ines+aidant2@exemple.fr"}
	for i, a := range x.Accounts {
		if a.Email != wantEmails[i] || !a.IsDemo || !a.CanCreateMandats || !a.IsActive || a.CurrentOrganisationID != x.Organisation.ID {
			t.Errorf("account %d: %+v", i, a)
		}
	}
	if n := countWhere(t, e, "SELECT count(*) FROM aidant_organisations WHERE organisation_id = ? AND is_referent", x.Organisation.ID); n != 1 {
		t.Errorf("%d référents, want the trainee alone", n)
	}
	if n := countWhere(t, e, "SELECT count(*) FROM otp_devices d JOIN cartes_totp c ON c.id = d.carte_id JOIN aidants a ON a.id = d.aidant_id WHERE a.current_organisation_id = ? AND d.confirmed", x.Organisation.ID); n != 3 {
		t.Errorf("%d demo cartes, want one per account", n)
	}
	if n := countWhere(t, e, "SELECT count(*) FROM mandats WHERE organisation_id = ?", x.Organisation.ID); n != 5 {
		t.Errorf("%d practice mandats, want 5", n)
	}
	if js := e.Journal(x.Organisation.ID); len(js) == 0 || js[0].Action != store.ActionCreateTrainee {
		t.Errorf("journal of the trainee's organisation: %+v", js)
	}
	if _, err := e.App.SignUpTrainee(ctx, "Inès", "Autre", "INES@exemple.fr"); !errors.Is(err, store.ErrAccountExists) {
		t.Errorf("the same address again: %v", err)
	}
	// Her demo code logs her in (the link from the outbox).
	b := e.LoginWithCode("ines@exemple.fr", app.DemoCode)
	if r := b.Get(paths.Espace); r.Status != http.StatusOK {
		t.Fatalf("trainee's espace: %d", r.Status)
	}
	verifyJournal(t, e, "after the sign-up")
	if _, err := st.WriteJournalCheckpoint(ctx); err != nil {
		t.Fatal(err)
	}

	e.Clock.Advance(10 * 24 * time.Hour)
	_, err = e.App.SignUpTrainee(ctx, "Yanis", "Stagiaire", "yanis@exemple.fr")
	if err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(store.TraineeTTL - 5*24*time.Hour) // Inès expired five days ago, Yanis has ten left
	if expired, err := st.ExpiredTrainees(ctx); err != nil || !expired {
		t.Fatalf("expired trainees: %v %v", expired, err)
	}
	n, err := e.App.ResetSandbox(ctx, store.SandboxPurge{})
	if err != nil {
		t.Fatal(err)
	}
	if n.Organisations != 1 || n.Aidants != 3 || n.Mandats != 5 || n.JournalRows == 0 || n.Relinked == 0 {
		t.Errorf("purge of the expired: %+v", n)
	}
	if _, err := st.FindAidantByEmail(ctx, "ines@exemple.fr"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Inès's account after the purge: %v", err)
	}
	if r := b.Get(paths.Espace); r.Status != http.StatusSeeOther {
		t.Errorf("Inès's session after the purge: %d", r.Status)
	}
	if _, err := st.FindAidantByEmail(ctx, "yanis@exemple.fr"); err != nil {
		t.Errorf("Yanis's account after the purge of the expired: %v", err)
	}
	if c := countWhere(t, e, "SELECT count(*) FROM cartes_totp WHERE serial_number LIKE 'BAC%'"); c != 3 {
		t.Errorf("%d trainee cartes left, want Yanis's 3", c)
	}
	verifyJournal(t, e, "after the purge of the expired")
	if expired, _ := st.ExpiredTrainees(ctx); expired {
		t.Error("an expired trainee is left")
	}

	// The demo data changed by a trainee (a practice mandat revoked) comes back as new.
	demo, err := st.FindAidantByEmail(ctx, app.DemoAidantEmail)
	if err != nil {
		t.Fatal(err)
	}
	const revokedQ = "SELECT count(*) FROM autorisations a JOIN mandats m ON m.id = a.mandat_id WHERE m.organisation_id = ? AND a.revoked_at IS NOT NULL"
	seedRevoked := countWhere(t, e, revokedQ, demo.CurrentOrganisationID)
	var inForce []int64
	if err := e.App.DB.NewRaw("SELECT DISTINCT mandat_id FROM autorisations a JOIN mandats m ON m.id = a.mandat_id WHERE m.organisation_id = ? AND a.revoked_at IS NULL ORDER BY 1",
		demo.CurrentOrganisationID).Scan(ctx, &inForce); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RevokeMandat(ctx, demo.CurrentOrganisationID, demo.ID, inForce[0]); err != nil {
		t.Fatal(err)
	}
	if countWhere(t, e, revokedQ, demo.CurrentOrganisationID) == seedRevoked {
		t.Fatal("the revocation changed nothing")
	}
	n, err = e.App.ResetSandbox(ctx, store.SandboxPurge{AllTrainees: true, Demo: true})
	if err != nil {
		t.Fatal(err)
	}
	if n.Organisations != 3 { // Yanis's, and the two demo organisations
		t.Errorf("full reset: %+v", n)
	}
	if _, err := st.FindAidantByEmail(ctx, "yanis@exemple.fr"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Yanis's account after the reset: %v", err)
	}
	if c := countWhere(t, e, "SELECT count(*) FROM organisations WHERE trainee_expires_at IS NOT NULL"); c != 0 {
		t.Errorf("%d trainee organisations after the reset", c)
	}
	if c := countWhere(t, e, "SELECT count(*) FROM organisations WHERE is_demo"); c != 2 {
		t.Errorf("%d demo organisations after the reset, want 2", c)
	}
	if c := countWhere(t, e, "SELECT count(*) FROM mandats"); c != 5 {
		t.Errorf("%d mandats after the reset, want the demo aidant's 5", c)
	}
	if c := countWhere(t, e, "SELECT count(*) FROM autorisations WHERE revoked_at IS NOT NULL"); c != seedRevoked {
		t.Errorf("%d revoked autorisations after the reset, want the seed's %d", c, seedRevoked)
	}
	if _, err := st.FindAidantByEmail(ctx, app.DemoStaffEmail); err != nil {
		t.Errorf("demo staff after the reset: %v", err)
	}
	verifyJournal(t, e, "after the full reset")
	if r := e.LoginWithCode(app.DemoAidantEmail, app.DemoCode).Get(paths.Espace); r.Status != http.StatusOK {
		t.Errorf("the demo aidant after the reset: %d", r.Status)
	}
}

// In production the bac à sable does not exist: no route, no sign-up, no reset.
func TestSandboxAbsentInProduction(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t, func(c *app.Config) {
		c.Mode = app.ModeProduction
		c.FCIssuer, c.FCClientID, c.FCClientSecret = "https://franceconnect.invalid/api/v2", "id", "secret"
		c.SMTPURL, c.MailFrom = "smtp://127.0.0.1:9", "a@example.fr"
	})
	for _, r := range registered(e.App) {
		if strings.Contains(r, "/bac-a-sable/") || strings.Contains(r, paths.DevEmails) {
			t.Errorf("production serves %s", r)
		}
	}
	b := e.Browser()
	b.Get(paths.Home)
	if r := b.Get(paths.SandboxSignup); r.Status != http.StatusNotFound {
		t.Errorf("sign-up page in production: %d", r.Status)
	}
	if r := b.Post(paths.SandboxSignup, url.Values{"first_name": {"A"}, "last_name": {"B"}, "email": {"a@b.fr"}}); r.Status != http.StatusNotFound {
		t.Errorf("sign-up in production: %d", r.Status)
	}
	if _, err := e.App.SignUpTrainee(context.Background(), "A", "B", "a@b.fr"); !errors.Is(err, app.ErrNotSandbox) {
		t.Errorf("SignUpTrainee in production: %v", err)
	}
	if _, err := e.App.ResetSandbox(context.Background(), store.SandboxPurge{AllTrainees: true, Demo: true}); !errors.Is(err, app.ErrNotSandbox) {
		t.Errorf("ResetSandbox in production: %v", err)
	}
	if c := e.Count("organisations"); c != 0 {
		t.Errorf("%d organisations in production after the refusals", c)
	}
}

func TestSandboxTraineeTTLConfig(t *testing.T) {
	t.Parallel()
	load := func(v string) (app.Config, error) {
		return app.Load(func(k string) string { return map[string]string{"AC_SANDBOX_TRAINEE_TTL": v}[k] })
	}
	if c, err := load(""); err != nil || c.SandboxTraineeTTL != store.TraineeTTL {
		t.Errorf("default: %s %v", c.SandboxTraineeTTL, err)
	}
	if c, err := load("168h"); err != nil || c.SandboxTraineeTTL != 7*24*time.Hour {
		t.Errorf("168h: %s %v", c.SandboxTraineeTTL, err)
	}
	for _, bad := range []string{"30m", "-1h", "un mois"} {
		if _, err := load(bad); err == nil || !strings.Contains(err.Error(), "AC_SANDBOX_TRAINEE_TTL") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
