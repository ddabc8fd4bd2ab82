package handlers

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/public"
	"github.com/aidantsconnect/ac/views/sandbox"
)

// Trainees signs trainees up on the bac à sable (app.SignUpTrainee: the store's sign-up with
// the app's demo cartes and practice mandats).
type Trainees interface {
	SignUp(ctx context.Context, firstName, lastName, email string) (*store.Trainee, error)
}

// Sandbox serves the bac à sable's pages (dev and sandbox: the routes exist only there): a
// trainee's sign-up, and their space — accounts and outbox — at the URL given at sign-up.
type Sandbox struct {
	*Handlers
	Trainees Trainees
}

// outboxSize is how many messages an outbox page shows.
const outboxSize = 50

// DevEmails is the outbox, readable in dev and sandbox only (the route exists only there).
// In the sandbox, a shared server, it lists the demo accounts' mail only (their code is
// public anyway): a trainee's login links are at their own URL (Sandbox.Outbox), never here.
func (h *Handlers) DevEmails(c *fiber.Ctx) error {
	list := h.Store.ListEmails
	if h.Mode == "sandbox" {
		list = h.Store.ListDemoEmails
	}
	emails, err := list(c.UserContext(), outboxSize)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, public.Emails(h.shell(c, "Boîte d'envoi"), public.EmailsData{Emails: emails, Loc: h.Loc, Sandbox: h.Mode == "sandbox"}))
}

// SignupNew shows the trainee's sign-up form.
func (h *Sandbox) SignupNew(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, sandbox.Signup(h.shell(c, "Inscription au bac à sable"), sandbox.SignupData{}))
}

// SignupCreate checks the trainee's name and email and makes their practice organisation,
// then sends them to their space (its URL holds the token of their outbox).
func (h *Sandbox) SignupCreate(c *fiber.Ctx) error {
	d := sandbox.SignupData{
		FirstName: strings.TrimSpace(c.FormValue("first_name")),
		LastName:  strings.TrimSpace(c.FormValue("last_name")),
		Email:     strings.TrimSpace(c.FormValue("email")),
	}
	for _, f := range []struct{ field, value, empty string }{
		{"first_name", d.FirstName, "Saisissez votre prénom."},
		{"last_name", d.LastName, "Saisissez votre nom."},
	} {
		switch {
		case f.value == "":
			d.Errors.Add(f.field, f.empty)
		case utf8.RuneCountInString(f.value) > 60:
			d.Errors.Add(f.field, "Saisissez au plus 60 caractères.")
		}
	}
	if addr, err := mail.ParseAddress(d.Email); d.Email == "" {
		d.Errors.Add("email", "Saisissez votre adresse e-mail.")
	} else if err != nil || addr.Address != d.Email || !strings.Contains(d.Email, "@") || strings.Contains(d.Email, "+") || len(d.Email) > 200 {
		// "+" is where the aidants' addresses are derived (prenom+aidant1@…).
		d.Errors.Add("email", "Saisissez une adresse e-mail valide, sans « + », par exemple prenom.nom@domaine.fr.")
	}
	if d.Errors.Any() {
		return render(c, fiber.StatusUnprocessableEntity, sandbox.Signup(h.shell(c, "Inscription au bac à sable"), d))
	}
	ok, err := h.Store.Hit(c.UserContext(), "sandbox-signup:"+h.clientIP(c), h.LoginRateWindow, h.LoginRateLimit)
	if err != nil {
		return err
	}
	if !ok {
		return h.TooManyRequests(c)
	}
	t, err := h.Trainees.SignUp(c.UserContext(), d.FirstName, d.LastName, d.Email)
	if errors.Is(err, store.ErrAccountExists) {
		// The bac à sable says an address is taken (a training instance: no real account is
		// behind it); the space itself stays behind the token given at sign-up.
		d.Errors.Add("email", "Cette adresse est déjà inscrite au bac à sable. Reprenez le lien de votre espace d'entraînement reçu à l'inscription, ou inscrivez-vous avec une autre adresse.")
		return render(c, fiber.StatusUnprocessableEntity, sandbox.Signup(h.shell(c, "Inscription au bac à sable"), d))
	}
	if err != nil {
		return err
	}
	return redirect(c, paths.SandboxOutbox(t.OutboxToken)+"?bienvenue=1")
}

// Outbox is a trainee's space: their organisation, its accounts, how to log in, and the mail
// sent to those accounts only. An unknown or expired token is 404.
func (h *Sandbox) Outbox(c *fiber.Ctx) error {
	sp, err := h.Store.GetTraineeSpace(c.UserContext(), c.Params("token"), outboxSize)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, sandbox.Space(h.shell(c, "Mon espace d'entraînement"), sandbox.SpaceData{
		Space: sp, Welcome: c.Query("bienvenue") == "1", Loc: h.Loc, DemoCode: store.DemoCode,
	}))
}
