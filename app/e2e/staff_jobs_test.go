package e2e

import (
	"errors"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

// TestStaffJobsPage: the staff see the queue's jobs by state, cancel an email's delivery and
// retry it, under axe, with and without JavaScript. Nothing works the queue in this test, so
// the staff login's own delivery job waits, available.
func TestStaffJobsPage(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t, func(c *app.Config) {
			c.DeliverEmail = func(store.Email) error { return errors.New("serveur SMTP injoignable") }
		})
		staffLogin(t, ctx, srv, noJS)
		submitFor(t, ctx, noJS, "a[href='"+paths.StaffJobs+"']", "Tâches de fond")
		assertAxe(t, ctx, "tâches en échec")
		navigate(t, ctx, srv.URL+paths.StaffJobsState("available", 1))
		if got := textOf(t, ctx, "#taches tbody"); !strings.Contains(got, app.DemoStaffEmail) || !strings.Contains(got, "Envoi d'un e-mail") {
			t.Fatalf("available jobs: %q", got)
		}
		assertAxe(t, ctx, "tâches en attente")
		submitUntil(t, ctx, noJS, "#taches tbody tr form[action$='/annuler/'] button[type=submit]", "la tâche est annulée")
		navigate(t, ctx, srv.URL+paths.StaffJobsState("cancelled", 1))
		assertAxe(t, ctx, "tâches annulées")
		submitUntil(t, ctx, noJS, "#taches tbody tr form[action$='/relancer/'] button[type=submit]", "la tâche est relancée")
		assertAxe(t, ctx, "tâche relancée")
	})
}

// TestAidantPreferencesAndExpiringList: the narrowed list the home's notice leads to, and
// « Mes préférences », under axe, with and without JavaScript.
func TestAidantPreferencesAndExpiringList(t *testing.T) {
	inBothModes(t, func(t *testing.T, noJS bool) {
		ctx := newBrowser(t, browserOpts{NoJS: noJS})
		srv := startServer(t, apptest.WithPractice)
		loginDemo(t, ctx, srv, noJS)
		navigate(t, ctx, srv.URL+paths.UsagersExpiringSoon("", 1))
		if got := textOf(t, ctx, "main"); !strings.Contains(got, "1 mandat en vigueur expire dans les 30 jours") {
			t.Fatalf("narrowed list: %q", got)
		}
		assertAxe(t, ctx, "mandats qui expirent bientôt")
		navigate(t, ctx, srv.URL+paths.EspacePreferences)
		assertAxe(t, ctx, "mes préférences")
		click(t, ctx, "label[for=digest-non]")
		submitUntil(t, ctx, noJS, "form[action='"+paths.EspacePreferences+"'] button[type=submit]", "vos préférences sont enregistrées")
		assertAxe(t, ctx, "préférences enregistrées")
	})
}
