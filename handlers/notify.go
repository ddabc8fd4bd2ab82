package handlers

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/espace"
	mailview "github.com/aidantsconnect/ac/views/mail"
	"github.com/aidantsconnect/ac/views/ui"
)

// DigestMail writes an aidant's weekly digest of the mandats that expire soon (the periodic
// job's store call takes it).
func (h *Handlers) DigestMail(n store.DigestNotice) (store.Email, error) {
	d := mailview.DigestData{FirstName: n.FirstName, Link: h.BaseURL + paths.UsagersExpiringSoon("", 1),
		Preferences: h.BaseURL + paths.EspacePreferences}
	for _, o := range n.Organisations {
		d.Organisations = append(d.Organisations, mailview.DigestLine{Name: o.Name, Expiring: o.Expiring})
	}
	body, err := mailview.Render(context.Background(), mailview.Digest(d))
	if err != nil {
		return store.Email{}, err
	}
	return store.Email{To: n.To, Subject: mailview.DigestSubject, BodyText: body}, nil
}

// ReferentMail writes a référent's weekly follow-up of one organisation.
func (h *Handlers) ReferentMail(n store.ReferentNotice) (store.Email, error) {
	d := mailview.ReferentFollowUpData{FirstName: n.FirstName, Organisation: n.Organisation, WithoutDevice: n.WithoutDevice,
		Link: h.BaseURL + paths.ReferentAidants}
	for _, p := range n.Pending {
		what := "Demande d'habilitation de "
		switch p.What {
		case "structure":
			what = "Demande de rattachement de "
		case "coreferent":
			what = "Demande de référent pour "
		}
		d.Pending = append(d.Pending, what+p.Who+", du "+ui.Date(p.Created.In(h.Loc)))
	}
	body, err := mailview.Render(context.Background(), mailview.ReferentFollowUp(d))
	if err != nil {
		return store.Email{}, err
	}
	return store.Email{To: n.To, Subject: mailview.ReferentFollowUpSubject(n.Organisation), BodyText: body}, nil
}

// HabilitationMail is the habilitation's emails (with the links to the demandeur's space),
// for the periodic draft reminder.
func (h *Handlers) HabilitationMail(n store.HabilitationNotice) (store.Email, error) {
	return h.habilitationMail(n)
}

// EspacePreferences is the aidant's « Mon compte » preferences: the weekly digest.
func (h *Handlers) EspacePreferences(c *fiber.Ctx) error {
	cur := current(c)
	return render(c, fiber.StatusOK, espace.Preferences(h.shell(c, "Mes préférences"), espace.PreferencesData{Digest: !cur.Aidant.DigestOptOut}))
}

// EspacePreferencesSave records the choice (journaled) and says so.
func (h *Handlers) EspacePreferencesSave(c *fiber.Ctx) error {
	cur := current(c)
	v := c.FormValue("digest")
	if v != "oui" && v != "non" {
		d := espace.PreferencesData{Digest: !cur.Aidant.DigestOptOut}
		d.Errors.Add("digest", "Choisissez si vous voulez recevoir le récapitulatif : oui ou non.")
		return render(c, fiber.StatusUnprocessableEntity, espace.Preferences(h.shell(c, "Mes préférences"), d))
	}
	if err := h.Store.SetDigestOptOut(c.UserContext(), cur.Aidant.ID, cur.Organisation.ID, v == "non"); err != nil {
		return err
	}
	h.setFlash(c, "preferences-saved")
	return redirect(c, paths.EspacePreferences)
}
