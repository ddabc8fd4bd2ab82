package handlers

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/referent"
)

// ReferentAidants lists the organisation's aidants and its requests. The same URL serves the
// live filter's fragment (the results only).
func (h *Referent) ReferentAidants(c *fiber.Ctx) error {
	fragment := wantsFragmentOf(c, referent.ResultsID)
	d := referent.AidantsData{Query: strings.TrimSpace(c.Query("q")), Loc: h.Loc, CSRF: csrfToken(c)}
	status := fiber.StatusOK
	if utf8.RuneCountInString(d.Query) > store.MaxAidantSearchLen {
		d.Error = "Saisissez au plus " + strconv.Itoa(store.MaxAidantSearchLen) + " caractères : un prénom, un nom ou une adresse e-mail."
		status = fiber.StatusUnprocessableEntity
	} else {
		page, _ := strconv.Atoi(c.Query("page"))
		l, err := h.Store.ListManagedAidants(c.UserContext(), scope(c), store.AidantFilter{Query: d.Query,
			Status: store.ParseAidantStatus(c.Query("statut")), Page: page, WithRequests: !fragment})
		if err != nil {
			return err
		}
		d.List = l
	}
	if fragment {
		return render(c, status, referent.AidantsFragment(d))
	}
	return render(c, status, referent.Aidants(h.shell(c, "Aidants"), d))
}

// ReferentAidantShow is one aidant's page.
func (h *Referent) ReferentAidantShow(c *fiber.Ctx) error {
	id, err := idParam(c, "aidant")
	if err != nil {
		return err
	}
	d, err := h.aidantData(c, id)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, referent.Aidant(h.shell(c, d.A().FullName()), d))
}

func (h *Referent) aidantData(c *fiber.Ctx, id int64) (referent.AidantData, error) {
	f, err := h.Store.GetManagedAidant(c.UserContext(), scope(c), id)
	if err != nil {
		return referent.AidantData{}, err
	}
	d := referent.AidantData{File: f, CSRF: csrfToken(c)}
	if f.PendingAppSecret != nil {
		d.AppURI, d.AppKey = h.EnrolURI(f.PendingAppSecret, f.Aidant.Email), h.ManualKey(f.PendingAppSecret)
	}
	return d, nil
}

// done answers a successful action on the aidant: htmx gets the changed panel saying what
// happened; a plain form goes back to the aidant's page, the message as a flash.
func (h *Referent) done(c *fiber.Ctx, id int64, panel, flash string) error {
	if !wantsFragment(c) {
		h.setFlash(c, flash)
		return redirect(c, paths.ReferentAidant(id))
	}
	d, err := h.aidantData(c, id)
	if err != nil {
		return err
	}
	d.In, d.Message = panel, flashText(flash)
	if panel == referent.PanelsID {
		d.In = referent.AccountID // the account's change, said in its own panel
	}
	return render(c, fiber.StatusOK, panelOf(panel, d))
}

// invalid answers a refused form: its panel (htmx) or the whole page, with the message next
// to the field, 422.
func (h *Referent) invalid(c *fiber.Ctx, id int64, panel string, fill func(d *referent.AidantData)) error {
	d, err := h.aidantData(c, id)
	if err != nil {
		return err
	}
	d.In = panel
	fill(&d)
	if wantsFragment(c) {
		return render(c, fiber.StatusUnprocessableEntity, panelOf(panel, d))
	}
	return render(c, fiber.StatusUnprocessableEntity, referent.Aidant(h.shell(c, d.A().FullName()), d))
}

func panelOf(panel string, d referent.AidantData) templ.Component {
	switch panel {
	case referent.CarteID:
		return referent.CartePanel(d)
	case referent.AppID:
		return referent.AppPanel(d)
	case referent.AccountID:
		return referent.AccountPanel(d)
	}
	return referent.Panels(d)
}

// CarteLink links a carte of the stock, by serial number, to the aidant.
func (h *Referent) CarteLink(c *fiber.Ctx) error {
	id, err := idParam(c, "aidant")
	if err != nil {
		return err
	}
	serial := strings.TrimSpace(c.FormValue("serial"))
	msg := "Saisissez le numéro de série de la carte, au dos de celle-ci."
	if serial != "" {
		err = h.Store.LinkCarte(c.UserContext(), scope(c), id, serial, h.OTP, h.notice)
		switch {
		case err == nil:
			return h.done(c, id, referent.CarteID, "ref-carte-linked")
		case errors.Is(err, store.ErrCarteUnknown):
			msg = "Aucune carte n'a été trouvée avec ce numéro de série. Vérifiez-le au dos de la carte."
		case errors.Is(err, store.ErrCarteTaken):
			msg = "Cette carte est déjà associée à un aidant."
		case errors.Is(err, store.ErrUnavailable):
			return h.unavailable(c)
		default:
			return err
		}
	}
	return h.invalid(c, id, referent.CarteID, func(d *referent.AidantData) {
		d.Serial = serial
		d.Errors.Add("serial", msg)
	})
}

// CarteValidate validates the aidant's linked carte with a code it shows.
func (h *Referent) CarteValidate(c *fiber.Ctx) error {
	id, err := idParam(c, "aidant")
	if err != nil {
		return err
	}
	code := normaliseCode(c.FormValue("code"))
	if validCode(code) {
		err = h.Store.ValidateCarte(c.UserContext(), scope(c), id, code, h.OTP, h.notice)
		switch {
		case err == nil:
			return h.done(c, id, referent.CarteID, "ref-carte-validated")
		case errors.Is(err, store.ErrUnavailable):
			return h.unavailable(c)
		case !errors.Is(err, store.ErrCodeRefused):
			return err
		}
	}
	return h.invalid(c, id, referent.CarteID, func(d *referent.AidantData) { d.Errors.Add("carte-code", codeError(code)) })
}

// CarteUnlink unlinks the aidant's carte, for a reason.
func (h *Referent) CarteUnlink(c *fiber.Ctx) error {
	id, err := idParam(c, "aidant")
	if err != nil {
		return err
	}
	raw, text := c.FormValue("reason"), strings.TrimSpace(c.FormValue("reason_text"))
	reason, ok := store.ParseUnlinkReason(raw)
	field, msg := "", ""
	switch {
	case !ok:
		field, msg = "reason", "Choisissez la raison pour laquelle la carte est déliée."
	case reason == store.ReasonAutre && text == "":
		field, msg = "reason-text", "Précisez la raison : vous avez choisi « Autre raison »."
	case utf8.RuneCountInString(text) > store.MaxReasonText:
		field, msg = "reason-text", "Saisissez au plus "+strconv.Itoa(store.MaxReasonText)+" caractères."
	}
	if field == "" {
		err = h.Store.UnlinkCarte(c.UserContext(), scope(c), id, reason, text, h.notice)
		switch {
		case err == nil:
			return h.done(c, id, referent.CarteID, "ref-carte-unlinked")
		case errors.Is(err, store.ErrUnavailable):
			return h.unavailable(c)
		default:
			return err
		}
	}
	return h.invalid(c, id, referent.CarteID, func(d *referent.AidantData) {
		d.Reason, d.Text = raw, text
		d.Errors.Add(field, msg)
	})
}

// AppStart prepares an authenticator app for the aidant: the panel then shows its QR code.
func (h *Referent) AppStart(c *fiber.Ctx) error {
	id, err := idParam(c, "aidant")
	if err != nil {
		return err
	}
	err = h.Store.StartApp(c.UserContext(), scope(c), id, h.OTP)
	if errors.Is(err, store.ErrUnavailable) {
		return h.unavailable(c)
	}
	if err != nil {
		return err
	}
	return h.done(c, id, referent.AppID, "ref-app-started")
}

// AppConfirm confirms the app being added with the code it shows.
func (h *Referent) AppConfirm(c *fiber.Ctx) error {
	id, err := idParam(c, "aidant")
	if err != nil {
		return err
	}
	code := normaliseCode(c.FormValue("code"))
	if validCode(code) {
		err = h.Store.ConfirmApp(c.UserContext(), scope(c), id, code, h.OTP, h.notice)
		switch {
		case err == nil:
			return h.done(c, id, referent.AppID, "ref-app-added")
		case errors.Is(err, store.ErrUnavailable):
			return h.unavailable(c)
		case !errors.Is(err, store.ErrCodeRefused):
			return err
		}
	}
	return h.invalid(c, id, referent.AppID, func(d *referent.AidantData) { d.Errors.Add("app-code", codeError(code)) })
}

// AppRemove removes the aidant's app (or abandons the one being added).
func (h *Referent) AppRemove(c *fiber.Ctx) error {
	id, err := idParam(c, "aidant")
	if err != nil {
		return err
	}
	err = h.Store.RemoveApp(c.UserContext(), scope(c), id, h.notice)
	if errors.Is(err, store.ErrUnavailable) {
		return h.unavailable(c)
	}
	if err != nil {
		return err
	}
	return h.done(c, id, referent.AppID, "ref-app-removed")
}

// AidantDeactivate deactivates the aidant, or removes them from the organisation when they
// work for others too (then they are out of the référent's reach: back to the list).
func (h *Referent) AidantDeactivate(c *fiber.Ctx) error {
	id, err := idParam(c, "aidant")
	if err != nil {
		return err
	}
	out, err := h.Store.DeactivateAidant(c.UserContext(), scope(c), id, h.notice)
	switch {
	case errors.Is(err, store.ErrUnavailable):
		return h.unavailable(c)
	case err != nil:
		return err
	case out == store.RemovedFromOrganisation:
		h.setFlash(c, "ref-removed")
		return redirect(c, paths.ReferentAidants)
	}
	return h.done(c, id, referent.PanelsID, "ref-deactivated")
}

// AidantReactivate reactivates the aidant.
func (h *Referent) AidantReactivate(c *fiber.Ctx) error {
	id, err := idParam(c, "aidant")
	if err != nil {
		return err
	}
	err = h.Store.ReactivateAidant(c.UserContext(), scope(c), id, h.notice)
	if errors.Is(err, store.ErrUnavailable) {
		return h.unavailable(c)
	}
	if err != nil {
		return err
	}
	return h.done(c, id, referent.PanelsID, "ref-reactivated")
}

// AidantMemberships sets which of the référent's organisations the aidant belongs to.
func (h *Referent) AidantMemberships(c *fiber.Ctx) error {
	id, err := idParam(c, "aidant")
	if err != nil {
		return err
	}
	orgs := []int64{}
	for _, v := range c.Request().PostArgs().PeekMulti("organisations") {
		orgID, err := parseID(string(v))
		if err != nil {
			return err
		}
		orgs = append(orgs, orgID)
	}
	still, err := h.Store.SetAidantOrganisations(c.UserContext(), scope(c), id, orgs, h.notice)
	switch {
	case errors.Is(err, store.ErrNoOrganisation):
		return h.invalid(c, id, referent.AccountID, func(d *referent.AidantData) {
			d.Orgs = orgs
			d.Errors.Add("organisations", "Vous devez rattacher l'aidant à au moins une organisation.")
		})
	case errors.Is(err, store.ErrUnavailable):
		return h.unavailable(c)
	case err != nil:
		return err
	case !still:
		h.setFlash(c, "ref-left")
		return redirect(c, paths.ReferentAidants)
	}
	return h.done(c, id, referent.AccountID, "ref-memberships")
}

func csrfToken(c *fiber.Ctx) string {
	s, _ := c.Locals(CSRFTokenLocal).(string)
	return s
}
