package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	mailview "github.com/aidantsconnect/ac/views/mail"
	"github.com/aidantsconnect/ac/views/referent"
)

// Referent serves the espace référent. Every handler acts in the référent's current
// organisation (scope), which RequireReferent checked they manage and which every store call
// checks again in its own SQL.
type Referent struct {
	*Handlers
	// OTP are the TOTP rules the carte and app actions persist (app/otp).
	OTP store.OTPRules
	// EnrolURI is the otpauth URI an authenticator app scans for secret and account;
	// ManualKey the secret as typed by hand.
	EnrolURI  func(secret []byte, account string) string
	ManualKey func(secret []byte) string
}

// sessOTPDismissed marks a session whose référent put off setting up their app.
const sessOTPDismissed = "otp_tunnel_dismissed"

func scope(c *fiber.Ctx) store.ReferentScope {
	cur := current(c)
	return store.ReferentScope{ReferentID: cur.Aidant.ID, OrganisationID: cur.Organisation.ID}
}

// managed are the current memberships where the aidant is référent, for the switch.
func managed(c *fiber.Ctx) []store.Membership {
	var ms []store.Membership
	for _, m := range current(c).Memberships {
		if m.IsReferent {
			ms = append(ms, m)
		}
	}
	return ms
}

// ReferentHome is the espace référent's home; a référent with nothing to log in with is led
// to set up an app first, unless they put it off in this session.
func (h *Referent) ReferentHome(c *fiber.Ctx) error {
	home, err := h.Store.GetReferentHome(c.UserContext(), scope(c))
	if err != nil {
		return err
	}
	if !home.SelfHasDevice {
		sess, err := h.Session(c)
		if err != nil {
			return err
		}
		if dismissed, _ := sess.Values[sessOTPDismissed].(bool); !dismissed {
			return redirect(c, paths.ReferentOTPWelcome)
		}
	}
	return render(c, fiber.StatusOK, referent.Home(h.shell(c, referent.Title), referent.HomeData{Home: home}))
}

// ReferentOrganisation shows the organisation, its démarches and the switch.
func (h *Referent) ReferentOrganisation(c *fiber.Ctx) error {
	home, err := h.Store.GetReferentHome(c.UserContext(), scope(c))
	if err != nil {
		return err
	}
	d := referent.OrganisationData{Organisation: home.Organisation, Managed: managed(c), Selected: home.Organisation.AllowedDemarches}
	return render(c, fiber.StatusOK, referent.Organisation(h.shell(c, "Mon organisation"), d))
}

// ReferentDemarchesUpdate sets the démarches the organisation offers (at least one).
func (h *Referent) ReferentDemarchesUpdate(c *fiber.Ctx) error {
	var keys []string
	for _, v := range c.Request().PostArgs().PeekMulti("demarches") {
		keys = append(keys, string(v))
	}
	err := h.Store.SetOrganisationDemarches(c.UserContext(), scope(c), keys)
	if errors.Is(err, store.ErrInvalidDemarches) {
		d := referent.OrganisationData{Organisation: current(c).Organisation, Managed: managed(c), Selected: keys}
		d.Errors.Add("demarches", "Vous devez sélectionner au moins une démarche.")
		return render(c, fiber.StatusUnprocessableEntity, referent.Organisation(h.shell(c, "Mon organisation"), d))
	}
	if err != nil {
		return err
	}
	h.setFlash(c, "ref-demarches")
	return redirect(c, paths.ReferentOrganisation)
}

// ReferentSwitch makes another of the référent's organisations the current one.
func (h *Referent) ReferentSwitch(c *fiber.Ctx) error {
	orgID, err := parseID(c.FormValue("organisation"))
	if err != nil {
		return err
	}
	if _, err := h.Store.SwitchReferentOrganisation(c.UserContext(), current(c).Aidant.ID, orgID); err != nil {
		return err
	}
	h.setFlash(c, "org-switched")
	return redirect(c, paths.ReferentOrganisation)
}

// LegacyReferent answers the reference's former /espace-responsable/… addresses with their
// /espace-referent/… equivalent, query string kept.
func (h *Handlers) LegacyReferent(c *fiber.Ctx) error {
	rest := strings.TrimPrefix(c.Path(), strings.TrimSuffix(paths.LegacyReferent, "/"))
	to := paths.Referent + strings.TrimPrefix(rest, "/")
	if q := string(c.Request().URI().QueryString()); q != "" {
		to += "?" + q
	}
	return c.Redirect(to, fiber.StatusMovedPermanently)
}

// notice words the e-mail telling an aidant what their référent changed.
func (h *Referent) notice(ctx context.Context, n store.Notice) (store.Email, error) {
	d := mailview.AccountChangeData{FirstName: n.Aidant.FirstName, Serial: n.Serial, Reason: n.Reason,
		Organisations: n.Organisations, Link: h.BaseURL + paths.Login}
	if n.Referent != nil {
		d.Referent = n.Referent.FullName()
	}
	if n.Organisation != nil {
		d.Organisation = n.Organisation.Name
	}
	body, err := mailview.Render(ctx, mailview.AccountChange(string(n.Kind), d))
	if err != nil {
		return store.Email{}, fmt.Errorf("notice email: %w", err)
	}
	return store.Email{To: n.Aidant.Email, Subject: mailview.AccountChangeSubject(string(n.Kind)), BodyText: body}, nil
}

// codeError is the message for a refused or malformed code.
func codeError(code string) string {
	if !validCode(code) {
		return "Saisissez le code à 6 chiffres, sans lettres."
	}
	return "Ce code n'est pas valide. Vérifiez-le, ou attendez le code suivant et réessayez."
}

// unavailable is the answer to an action the account's state does not offer (a stale page,
// or a hand-made request).
func (h *Referent) unavailable(c *fiber.Ctx) error {
	return h.errorPage(c, fiber.StatusConflict, "Action indisponible",
		"Cette action n'est pas possible pour ce compte dans son état actuel. Rechargez la page de l'aidant pour voir ce qui est possible.")
}

// referentFlash is the one-time message of an espace référent redirect.
func referentFlash(key string) (string, bool) {
	msg, ok := map[string]string{
		"ref-carte-linked":         "La carte est liée. Validez-la maintenant avec un code qu'elle affiche.",
		"ref-carte-validated":      "La carte est validée : l'aidant peut se connecter avec.",
		"ref-carte-unlinked":       "La carte est déliée de ce compte. Elle peut être liée à un autre aidant.",
		"ref-app-started":          "Scannez le QR code avec l'application de l'aidant, puis saisissez le code qu'elle affiche.",
		"ref-app-added":            "L'application est ajoutée : l'aidant peut se connecter avec.",
		"ref-app-removed":          "L'application est retirée de ce compte.",
		"ref-deactivated":          "Le compte est désactivé : l'aidant ne peut plus se connecter.",
		"ref-removed":              "L'aidant a été retiré de l'organisation ; son compte reste actif dans ses autres organisations.",
		"ref-reactivated":          "Le compte est réactivé.",
		"ref-memberships":          "Les organisations de l'aidant sont enregistrées.",
		"ref-left":                 "Les organisations de l'aidant sont enregistrées : il ne fait plus partie de celle-ci.",
		"ref-demarches":            "Les démarches de l'organisation sont enregistrées.",
		"ref-requests-sent":        "Votre ou vos demandes ont été enregistrées avec succès. Notre équipe va vérifier l'éligibilité des personnes.",
		"ref-trained-added":        "Les aidants ont été ajoutés à l'organisation.",
		"ref-trained-requested":    "Votre ou vos demandes ont été enregistrées. Une fois validées par notre équipe, les aidants seront liés à votre organisation.",
		"ref-trained-mixed":        "Les aidants de vos autres organisations ont été ajoutés. Pour les autres, notre équipe vérifie la demande.",
		"ref-request-cancelled":    "La demande est annulée.",
		"ref-promoted":             "L'aidant a été désigné référent de l'organisation.",
		"ref-coreferent-requested": "Votre demande de référent non aidant a été transmise à notre équipe.",
		"ref-otp-dismissed":        "Vous pourrez configurer votre application plus tard, depuis cette page.",
	}[key]
	return msg, ok
}

// flashText is the message of a flash key, for an htmx answer that shows it in place.
func flashText(key string) string {
	msg, _ := referentFlash(key)
	return msg
}
