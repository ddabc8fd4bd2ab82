package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/auth"
	mailview "github.com/aidantsconnect/ac/views/mail"
	"github.com/aidantsconnect/ac/views/ui"
)

// msgLoginRefused is the one message for every login failure, so the form reveals nothing
// about which accounts exist.
const msgLoginRefused = "Les informations saisies ne permettent pas de vous identifier."

// LegacyLogin is the reference service's old login address.
func (h *Handlers) LegacyLogin(c *fiber.Ctx) error {
	return c.Redirect(paths.Login, fiber.StatusMovedPermanently)
}

// LoginNew shows the login form; an aidant already logged in goes on.
func (h *Handlers) LoginNew(c *fiber.Ctx) error {
	next := SafeNext(c.Query("next"))
	if current(c).Aidant != nil {
		return redirect(c, orDefault(next))
	}
	return render(c, fiber.StatusOK, auth.Login(h.shell(c, "Connectez-vous"), auth.LoginData{Next: next}))
}

// normaliseCode strips the spaces people type between digit groups.
func normaliseCode(s string) string { return strings.Join(strings.Fields(s), "") }

// validCode reports a six-digit code.
func validCode(code string) bool {
	if len(code) != 6 {
		return false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// LoginCreate checks email and code and sends the login link.
func (h *Handlers) LoginCreate(c *fiber.Ctx) error {
	d := auth.LoginData{
		Email: strings.TrimSpace(c.FormValue("email")),
		Next:  SafeNext(c.FormValue("next")),
	}
	code := normaliseCode(c.FormValue("otp_token"))
	if _, err := mail.ParseAddress(d.Email); err != nil || !strings.Contains(d.Email, "@") || strings.ContainsAny(d.Email, "<> ") {
		if d.Email == "" {
			d.Errors.Add("email", "Saisissez votre adresse e-mail.")
		} else {
			d.Errors.Add("email", "Saisissez une adresse e-mail valide, par exemple nom@domaine.fr.")
		}
	}
	if !validCode(code) {
		d.Errors.Add("otp_token", "Saisissez le code à 6 chiffres, sans lettres.")
	}
	if d.Errors.Any() {
		return render(c, fiber.StatusUnprocessableEntity, auth.Login(h.shell(c, "Connectez-vous"), d))
	}
	ok, err := h.Store.Hit(c.UserContext(), "login:"+h.clientIP(c), h.LoginRateWindow, h.LoginRateLimit)
	if err != nil {
		return err
	}
	if !ok {
		return h.TooManyRequests(c)
	}
	err = h.Store.RequestLogin(c.UserContext(), store.LoginInput{
		Email: d.Email, Code: code, NextPath: d.Next, Verify: h.Verify, AllowDemo: h.Dev(),
		LinkEmail:    h.loginEmail,
		AccountLimit: h.LoginAccountLimit, AccountWindow: h.LoginRateWindow,
	})
	if errors.Is(err, store.ErrLoginRefused) {
		d.Errors = ui.Errors{{Field: "", Message: msgLoginRefused}}
		return render(c, fiber.StatusUnprocessableEntity, auth.Login(h.shell(c, "Connectez-vous"), d))
	}
	if err != nil {
		return err
	}
	return redirect(c, paths.LoginSent)
}

func (h *Handlers) loginEmail(ctx context.Context, a *store.Aidant, token string) (store.Email, error) {
	link := h.BaseURL + paths.MagicLinkWait(token)
	body, err := mailview.Render(ctx, mailview.LoginLink(mailview.LoginLinkData{FirstName: a.FirstName, Link: link}))
	if err != nil {
		return store.Email{}, fmt.Errorf("login email: %w", err)
	}
	return store.Email{To: a.Email, Subject: mailview.LoginLinkSubject, BodyText: body}, nil
}

// LoginSent confirms the link was sent.
func (h *Handlers) LoginSent(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, auth.EmailSent(h.shell(c, "Confirmation de connexion")))
}

// MagicLinkWait is what the emailed link opens: a page that posts the token, never a login by GET.
func (h *Handlers) MagicLinkWait(c *fiber.Ctx) error {
	token := c.Params("token")
	if token == "" || len(token) > 128 {
		return store.ErrNotFound
	}
	return render(c, fiber.StatusOK, auth.Wait(h.shell(c, "Connexion en cours"), auth.WaitData{Token: token}))
}

// MagicLinkLogin consumes the token and starts the session.
func (h *Handlers) MagicLinkLogin(c *fiber.Ctx) error {
	a, next, err := h.Store.Login(c.UserContext(), c.Params("token"))
	if errors.Is(err, store.ErrNotFound) {
		h.setFlash(c, "link-invalid")
		return redirect(c, paths.Login)
	}
	if err != nil {
		return err
	}
	if err := h.startSession(c, a.ID); err != nil {
		return err
	}
	return redirect(c, orDefault(SafeNext(next)))
}

// Logout ends the session on the server.
func (h *Handlers) Logout(c *fiber.Ctx) error {
	if err := h.endSession(c); err != nil {
		return err
	}
	h.setFlash(c, "logged-out")
	return redirect(c, paths.Home)
}

// endSession deletes the request's session row and its cookie.
func (h *Handlers) endSession(c *fiber.Ctx) error {
	sess, err := h.Session(c)
	if err != nil {
		return err
	}
	sess.Options.MaxAge = -1
	return h.SaveSession(c, sess)
}

// ActivityCheckNew asks for a code again.
func (h *Handlers) ActivityCheckNew(c *fiber.Ctx) error {
	next := orDefault(SafeNext(c.Query("next")))
	return render(c, fiber.StatusOK, auth.ActivityCheck(h.shell(c, "Session expirée"), auth.ActivityData{Next: next, Kept: h.hasPending(c, next)}))
}

// ActivityCheckCreate checks the code and returns to the page the aidant was on.
func (h *Handlers) ActivityCheckCreate(c *fiber.Ctx) error {
	d := auth.ActivityData{Next: orDefault(SafeNext(c.FormValue("next")))}
	d.Kept = h.hasPending(c, d.Next)
	code := normaliseCode(c.FormValue("otp_token"))
	if !validCode(code) {
		d.Errors.Add("otp_token", "Saisissez le code à 6 chiffres, sans lettres.")
		return render(c, fiber.StatusUnprocessableEntity, auth.ActivityCheck(h.shell(c, "Session expirée"), d))
	}
	a := current(c).Aidant
	ok, err := h.Store.CheckActivityCode(c.UserContext(), a.ID, code, h.Verify, h.Dev())
	if err != nil {
		return err
	}
	if !ok {
		d.Errors.Add("otp_token", "Ce code n'est pas valide. Attendez le code suivant et réessayez.")
		return render(c, fiber.StatusUnprocessableEntity, auth.ActivityCheck(h.shell(c, "Session expirée"), d))
	}
	sess, err := h.Session(c)
	if err != nil {
		return err
	}
	now := h.now()
	sess.Values[sessSeen] = now.Unix()
	cur := current(c)
	cur.Stale, cur.Seen = false, time.Unix(now.Unix(), 0)
	c.Set(ActivityHeader, strconv.Itoa(int(h.activityLeft(c).Seconds())))
	pending, form := h.takePending(c, sess.Values, d.Next)
	if err := h.SaveSession(c, sess); err != nil {
		return err
	}
	if pending != nil {
		return h.resumePending(c, pending, form)
	}
	return redirect(c, d.Next)
}

// TooManyRequests answers a rate-limited request.
func (h *Handlers) TooManyRequests(c *fiber.Ctx) error {
	c.Set(fiber.HeaderRetryAfter, "600")
	return h.errorPage(c, fiber.StatusTooManyRequests, "Trop de tentatives",
		"Trop de tentatives de connexion depuis votre réseau. Patientez quelques minutes avant de réessayer.")
}

func orDefault(next string) string {
	if next == "" {
		return paths.Espace
	}
	return next
}
