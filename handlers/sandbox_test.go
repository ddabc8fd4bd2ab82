package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
)

func signUp(t *testing.T, b *apptest.Browser, first, last, email string) apptest.Page {
	t.Helper()
	return b.Post(paths.SandboxSignup, url.Values{"first_name": {first}, "last_name": {last}, "email": {email}})
}

// Bad input: French messages beside the fields, 422, nothing saved; an address already
// registered: a clear message, no second organisation.
func TestSandboxSignupValidation(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t, func(c *app.Config) { c.Mode = app.ModeSandbox })
	b := e.Browser()
	if r := b.Get(paths.SandboxSignup); r.Status != http.StatusOK || !strings.Contains(r.Body, "S'inscrire au bac à sable") {
		t.Fatalf("sign-up page: %d", r.Status)
	}
	for _, tc := range []struct {
		first, last, email string
		want               []string
	}{
		{"", "", "", []string{"Saisissez votre prénom.", "Saisissez votre nom.", "Saisissez votre adresse e-mail."}},
		{"Inès", "Formée", "pas-une-adresse", []string{"Saisissez une adresse e-mail valide"}},
		{"Inès", "Formée", "ines+x@exemple.fr", []string{"sans « + »"}},
		{strings.Repeat("é", 61), "Formée", "ines@exemple.fr", []string{"Saisissez au plus 60 caractères."}},
	} {
		r := signUp(t, b, tc.first, tc.last, tc.email)
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%+v: %d, want 422", tc, r.Status)
		}
		for _, w := range tc.want {
			if !strings.Contains(r.Body, w) || !strings.Contains(r.Body, "fr-error-text") {
				t.Errorf("%+v: no %q beside the field", tc, w)
			}
		}
	}
	if n := e.Count("organisations"); n != 0 {
		t.Fatalf("%d organisations after invalid sign-ups", n)
	}
	r := signUp(t, b, "Inès", "Formée", "ines@exemple.fr")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/bac-a-sable/boite/") {
		t.Fatalf("sign-up: %d %q", r.Status, r.Location)
	}
	r = signUp(t, e.Browser(), "Inès", "Encore", "Ines@Exemple.fr")
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Cette adresse est déjà inscrite au bac à sable.") {
		t.Errorf("the same address again: %d", r.Status)
	}
	if n := e.Count("organisations"); n != 1 {
		t.Errorf("%d organisations, want one", n)
	}
}

// A trainee's space shows their accounts and the mail sent to them only: never another
// trainee's, nor the demo accounts'; the sandbox's shared outbox shows the demo accounts'
// mail only, and dev's shows everything.
func TestSandboxOutboxIsolation(t *testing.T) {
	t.Parallel()
	for _, mode := range []app.Mode{app.ModeSandbox, app.ModeDev} {
		e := apptest.Start(t, apptest.WithDemoSeed, func(c *app.Config) { c.Mode = mode })
		spaces := map[string]string{}
		for _, email := range []string{"xavier@exemple.fr", "yasmine@exemple.fr"} {
			r := signUp(t, e.Browser(), map[string]string{"xavier@exemple.fr": "Xavier", "yasmine@exemple.fr": "Yasmine"}[email], "Stagiaire", email)
			if r.Status != http.StatusSeeOther {
				t.Fatalf("%s: sign-up %d", email, r.Status)
			}
			spaces[email] = r.Location
		}
		// Each asks for a login link (their own account and an aidant's), as does the demo aidant.
		for _, email := range []string{"xavier@exemple.fr", "xavier+aidant1@exemple.fr", "yasmine@exemple.fr", app.DemoAidantEmail} {
			b := e.Browser()
			b.Get(paths.Login)
			if r := b.Post(paths.Login, url.Values{"email": {email}, "otp_token": {app.DemoCode}}); r.Status != http.StatusSeeOther {
				t.Fatalf("%s: login %d", email, r.Status)
			}
		}
		x := e.Browser().Get(spaces["xavier@exemple.fr"])
		if x.Status != http.StatusOK || !strings.Contains(x.Body, "entraînement de Xavier Stagiaire") || !strings.Contains(x.Body, "entraînement est prête") {
			t.Fatalf("%s: Xavier's space %d", mode, x.Status)
		}
		for _, want := range []string{"À xavier@exemple.fr", "À xavier+aidant1@exemple.fr", "xavier+aidant2@exemple.fr", "Léa Exemple", "Hugo Fictif", "/chargement/code/"} {
			if !strings.Contains(x.Body, want) {
				t.Errorf("%s: Xavier's space lacks %q", mode, want)
			}
		}
		for _, never := range []string{"yasmine", app.DemoAidantEmail} {
			if strings.Contains(x.Body, never) {
				t.Errorf("%s: Xavier's space shows %q", mode, never)
			}
		}
		if y := e.Browser().Get(spaces["yasmine@exemple.fr"]); strings.Contains(y.Body, "xavier") || !strings.Contains(y.Body, "À yasmine@exemple.fr") {
			t.Errorf("%s: Yasmine's space shows Xavier's mail or lacks hers", mode)
		}
		if r := e.Browser().Get(paths.SandboxOutbox("x" + strings.TrimPrefix(spaces["xavier@exemple.fr"], "/bac-a-sable/boite/"))); r.Status != http.StatusNotFound {
			t.Errorf("%s: a wrong token: %d", mode, r.Status)
		}
		shared := e.Browser().Get(paths.DevEmails)
		if !strings.Contains(shared.Body, "À "+app.DemoAidantEmail) {
			t.Errorf("%s: the shared outbox lacks the demo aidant's mail", mode)
		}
		if trainees := strings.Contains(shared.Body, "xavier") || strings.Contains(shared.Body, "yasmine"); trainees != (mode == app.ModeDev) {
			t.Errorf("%s: the shared outbox shows trainees' mail: %v", mode, trainees)
		}
		// Expired: the space is gone with the TTL, before any purge.
		e.Clock.Advance(31 * 24 * time.Hour)
		if r := e.Browser().Get(spaces["xavier@exemple.fr"]); r.Status != http.StatusNotFound {
			t.Errorf("%s: an expired space: %d", mode, r.Status)
		}
	}
}
