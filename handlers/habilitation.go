package handlers

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/habilitation"
	mailview "github.com/aidantsconnect/ac/views/mail"
	"github.com/aidantsconnect/ac/views/ui"
)

// Sirene is the SIRENE directory the SIRET step looks establishments up in: an unknown SIRET
// is store.ErrNotFound, any other error the directory failing (app/sirene).
type Sirene interface {
	Etablissement(ctx context.Context, siret string) (*store.Etablissement, error)
}

// Habilitation serves the public habilitation form. There is no account: the demandeur's
// space is its token, and every store call checks the request is theirs.
type Habilitation struct {
	*Handlers
	Sirene Sirene
	// Directory lists the fictitious establishments on the SIRET step (dev and sandbox).
	Directory []store.Etablissement
}

// habilitationMail writes the habilitation's emails, with the links to the space.
func (h *Handlers) habilitationMail(n store.HabilitationNotice) (store.Email, error) {
	d := mailview.HabilitationData{FirstName: n.FirstName, Message: n.Message, Link: h.BaseURL + paths.HabilitationSpace(n.Token)}
	switch {
	case n.Kind == "confirm":
		d.Link = h.BaseURL + paths.HabilitationConfirm(n.Key)
	case n.Kind == "referent" && n.Key != "":
		d.Link = h.BaseURL + paths.MagicLinkWait(n.Key) // a new account's first login
	case n.Kind == "referent":
		d.Link = h.BaseURL + paths.Login
	case n.Kind == "trained" || n.Kind == "aidant_refused":
		d.Link = h.BaseURL + paths.ReferentAidants
	case n.Kind == "eligible":
		d.Link = h.BaseURL + paths.Home
	}
	if n.Request != nil {
		d.Organisation = n.Request.Name
		if n.Request.HabilitationNumber != nil {
			d.Number = *n.Request.HabilitationNumber
		}
	}
	subject := mailview.HabilitationSubject(n.Kind)
	if n.Subject != "" {
		subject = n.Subject
	}
	return store.Email{To: n.To, Subject: subject, BodyText: mailview.Habilitation(n.Kind, d)}, nil
}

// HabilitationStart presents the form.
func (h *Habilitation) HabilitationStart(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, habilitation.Start(h.shell(c, habilitation.Title)))
}

// DemandeurNew is the demandeur step.
func (h *Habilitation) DemandeurNew(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, habilitation.Demandeur(h.shell(c, "Demandeur"), habilitation.DemandeurData{}))
}

// DemandeurCreate checks the demandeur and emails them a confirmation link (or, for a known
// email, the link to their space): the page says the same either way.
func (h *Habilitation) DemandeurCreate(c *fiber.Ctx) error {
	d := habilitation.DemandeurData{In: store.DemandeurInput{Email: field(c, "email"), FirstName: field(c, "first_name"),
		LastName: field(c, "last_name"), Profession: field(c, "profession"), Phone: phoneDigits(field(c, "phone"))}}
	checkName(&d.Errors, "first_name", d.In.FirstName, "votre prénom")
	checkName(&d.Errors, "last_name", d.In.LastName, "votre nom")
	checkEmail(&d.Errors, "email", d.In.Email)
	checkName(&d.Errors, "profession", d.In.Profession, "votre profession")
	if d.In.Phone != "" && !validPhone(d.In.Phone, false) {
		d.Errors.Add("phone", "Saisissez un numéro de téléphone à 10 chiffres, par exemple 0123456789, ou laissez vide.")
	}
	if d.Errors.Any() {
		return render(c, fiber.StatusUnprocessableEntity, habilitation.Demandeur(h.shell(c, "Demandeur"), d))
	}
	if err := h.Store.StartDemandeur(c.UserContext(), d.In, h.habilitationMail); err != nil {
		return err
	}
	return redirect(c, paths.HabilitationEmailSent)
}

// HabilitationEmailSent says to open the emailed link.
func (h *Habilitation) HabilitationEmailSent(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, habilitation.EmailSent(h.shell(c, "Vérifiez vos e-mails")))
}

// FollowNew is « Suivre ma demande ».
func (h *Habilitation) FollowNew(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, habilitation.Follow(h.shell(c, "Suivre ma demande"), habilitation.FollowData{}))
}

// FollowCreate emails the link of the space to a known email (nothing to an unknown one; the
// page is the same).
func (h *Habilitation) FollowCreate(c *fiber.Ctx) error {
	d := habilitation.FollowData{Email: field(c, "email")}
	checkEmail(&d.Errors, "email", d.Email)
	if d.Errors.Any() {
		return render(c, fiber.StatusUnprocessableEntity, habilitation.Follow(h.shell(c, "Suivre ma demande"), d))
	}
	if err := h.Store.FollowDemandeur(c.UserContext(), d.Email, h.habilitationMail); err != nil {
		return err
	}
	return redirect(c, paths.HabilitationEmailSent)
}

// HabilitationConfirm is the emailed confirmation link: the email confirmed, on to the space.
// By GET, as the link is opened: confirming twice changes nothing.
func (h *Habilitation) HabilitationConfirm(c *fiber.Ctx) error {
	token, err := h.Store.ConfirmDemandeurEmail(c.UserContext(), c.Params("key"))
	switch {
	case errors.Is(err, store.ErrExpired):
		return render(c, fiber.StatusGone, habilitation.LinkProblem(h.shell(c, "Lien expiré"), true))
	case errors.Is(err, store.ErrNotFound):
		return h.linkUnknown(c)
	case err != nil:
		return err
	}
	return redirect(c, paths.HabilitationSpace(token))
}

// linkUnknown is a token or key that opens nothing: a page saying what to do.
func (h *Habilitation) linkUnknown(c *fiber.Ctx) error {
	return render(c, fiber.StatusNotFound, habilitation.LinkProblem(h.shell(c, "Lien inconnu"), false))
}

// spaceError answers a space's token that opens nothing, or whose email is unconfirmed.
func (h *Habilitation) spaceError(c *fiber.Ctx, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return h.linkUnknown(c)
	case errors.Is(err, store.ErrUnconfirmed):
		return redirect(c, paths.HabilitationEmailSent)
	}
	return err
}

// DemandeurSpace is the demandeur's space.
func (h *Habilitation) DemandeurSpace(c *fiber.Ctx) error {
	token := c.Params("token")
	sp, err := h.Store.GetDemandeurSpace(c.UserContext(), token)
	if err != nil {
		return h.spaceError(c, err)
	}
	return render(c, fiber.StatusOK, habilitation.Space(h.shell(c, "Mon espace demandeur"), habilitation.SpaceData{Token: token, Space: sp}))
}

// SiretNew is the SIRET step of a new request.
func (h *Habilitation) SiretNew(c *fiber.Ctx) error {
	token := c.Params("token")
	if _, err := h.Store.GetDemandeurSpace(c.UserContext(), token); err != nil {
		return h.spaceError(c, err)
	}
	return h.siretPage(c, fiber.StatusOK, habilitation.SiretData{Token: token})
}

func (h *Habilitation) siretPage(c *fiber.Ctx, status int, d habilitation.SiretData) error {
	d.Directory = h.Directory
	return render(c, status, habilitation.Siret(h.shell(c, "Numéro SIRET"), d))
}

// SiretCreate checks the SIRET, looks it up in the directory and starts the draft with what
// the directory said.
func (h *Habilitation) SiretCreate(c *fiber.Ctx) error {
	d := habilitation.SiretData{Token: c.Params("token"), Siret: field(c, "siret")}
	if _, err := h.Store.GetDemandeurSpace(c.UserContext(), d.Token); err != nil {
		return h.spaceError(c, err)
	}
	siret, err := store.ParseSiret(d.Siret)
	if err != nil {
		d.Errors.Add("siret", err.Error())
		return h.siretPage(c, fiber.StatusUnprocessableEntity, d)
	}
	e, err := h.Sirene.Etablissement(c.UserContext(), siret)
	switch {
	case errors.Is(err, store.ErrNotFound):
		d.Errors.Add("siret", "Nous ne trouvons pas ce SIRET dans le répertoire SIRENE : vérifiez-le sur l'avis de situation de la structure.")
		return h.siretPage(c, fiber.StatusUnprocessableEntity, d)
	case err != nil:
		h.Log.Warn("sirene lookup", "err", err)
		d.Errors.Add("siret", "Le répertoire SIRENE ne répond pas pour le moment : réessayez dans quelques minutes.")
		return h.siretPage(c, fiber.StatusUnprocessableEntity, d)
	}
	// Organisations already known with that SIRET: the request is attached to one of them,
	// or a new one is created, as the demandeur chooses (asked first, then checked).
	if d.Known, err = h.Store.OrganisationsBySiret(c.UserContext(), siret); err != nil {
		return err
	}
	d.Choice = c.FormValue("structure")
	attach, chosen := attachChoice(d.Known, d.Choice)
	switch {
	case !chosen && d.Choice == "":
		return h.siretPage(c, fiber.StatusOK, d)
	case !chosen:
		d.Errors.Add("structure", "Choisissez la structure à laquelle rattacher la demande, ou d'en créer une nouvelle.")
		return h.siretPage(c, fiber.StatusUnprocessableEntity, d)
	}
	r, err := h.Store.CreateRequest(c.UserContext(), d.Token, e, attach, h.habilitationMail)
	if err != nil {
		return h.spaceError(c, err)
	}
	return redirectInto(c, paths.HabilitationStructure(d.Token, r.UUID), habilitation.StepID)
}

// attachChoice reads the SIRET step's choice among the known organisations: one of them (by
// its uuid), or habilitation.NewStructure; with none known there is nothing to choose.
func attachChoice(known []store.Organisation, choice string) (attach *int64, chosen bool) {
	if len(known) == 0 || choice == habilitation.NewStructure {
		return nil, true
	}
	for _, o := range known {
		if o.UUID == choice {
			return &o.ID, true
		}
	}
	return nil, false
}

// field is a posted value, trimmed.
func field(c *fiber.Ctx, name string) string { return strings.TrimSpace(c.FormValue(name)) }

// phoneDigits drops the spaces, dots and dashes people type in phone numbers.
func phoneDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '.' || r == '-' {
			return -1
		}
		return r
	}, s)
}

// validPhone is a French number of 10 digits (a mobile one: 06 or 07).
func validPhone(p string, mobile bool) bool {
	if len(p) != 10 || p[0] != '0' || strings.IndexFunc(p, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return false
	}
	return !mobile || p[1] == '6' || p[1] == '7'
}

// checkText bounds a free text (optional unless required).
func checkText(errs *ui.Errors, field, v, what string, max int, required bool) {
	switch {
	case v == "" && required:
		errs.Add(field, "Saisissez "+what+".")
	case utf8.RuneCountInString(v) > max:
		errs.Add(field, "Ce texte est trop long : raccourcissez-le.")
	}
}
