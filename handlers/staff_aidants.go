package handlers

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/staff"
	"github.com/aidantsconnect/ac/views/ui"
)

// aidantRequestsPage lists the people to train with d's filter, form and errors.
func (h *Staff) aidantRequestsPage(c *fiber.Ctx, status int, d staff.AidantRequestsData) error {
	rs, err := h.Store.ListAidantRequests(c.UserContext(), d.Status, d.Query)
	if err != nil {
		return err
	}
	d.Requests = rs
	return render(c, status, staff.AidantRequests(h.shell(c, "Aidants à former"), d))
}

// StaffAidantRequests lists the people to train (those still to decide on by default).
func (h *Staff) StaffAidantRequests(c *fiber.Ctx) error {
	d := staff.AidantRequestsData{Query: c.Query("q"), Status: store.RequestStatus(c.Query("statut"))}
	return h.aidantRequestsPage(c, fiber.StatusOK, d)
}

// aidantRequestDone answers a staff action on a person to train.
func (h *Staff) aidantRequestDone(c *fiber.Ctx, err error) error {
	if errors.Is(err, store.ErrUnavailable) {
		d := staff.AidantRequestsData{Errors: ui.Errors{{Message: "Le statut de cette demande ne permet plus cette action : la liste a été mise à jour."}}}
		return h.aidantRequestsPage(c, fiber.StatusConflict, d)
	}
	if err != nil {
		return err
	}
	h.setFlash(c, "staff-done")
	return redirect(c, paths.StaffAidantRequests)
}

// StaffAidantRequestEligible validates a person's eligibility.
func (h *Staff) StaffAidantRequestEligible(c *fiber.Ctx) error {
	id, err := idParam(c, "demande")
	if err != nil {
		return err
	}
	return h.aidantRequestDone(c, h.Store.MarkEligible(c.UserContext(), staffID(c), id, h.habilitationMail))
}

// StaffAidantRequestTrained records the training and creates the aidant's account.
func (h *Staff) StaffAidantRequestTrained(c *fiber.Ctx) error {
	id, err := idParam(c, "demande")
	if err != nil {
		return err
	}
	dateID, orgID := staff.TrainingID(id, "date"), staff.TrainingID(id, "organisme")
	d := staff.AidantRequestsData{Typed: map[string]string{dateID: field(c, "date"), orgID: field(c, "organisme")}}
	day, derr := time.ParseInLocation("2006-01-02", d.Typed[dateID], h.Loc)
	switch {
	case derr != nil:
		d.Errors.Add(dateID, "Saisissez la date de la formation, par exemple 2026-11-30.")
	case day.After(h.now()):
		d.Errors.Add(dateID, "La formation ne peut pas avoir lieu dans le futur.")
	}
	checkText(&d.Errors, orgID, d.Typed[orgID], "l'organisme de formation", 200, true)
	if d.Errors.Any() {
		return h.aidantRequestsPage(c, fiber.StatusUnprocessableEntity, d)
	}
	_, err = h.Store.MarkTrained(c.UserContext(), staffID(c), id, day, d.Typed[orgID], h.habilitationMail)
	return h.aidantRequestDone(c, err)
}

// StaffAidantRequestRefuse refuses a person to train.
func (h *Staff) StaffAidantRequestRefuse(c *fiber.Ctx) error {
	id, err := idParam(c, "demande")
	if err != nil {
		return err
	}
	return h.aidantRequestDone(c, h.Store.RefuseAidantRequest(c.UserContext(), staffID(c), id, h.habilitationMail))
}
