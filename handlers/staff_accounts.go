package handlers

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/staff"
)

// StaffOrganisations searches the organisations.
func (h *Staff) StaffOrganisations(c *fiber.Ctx) error {
	q := c.Query("q")
	os, err := h.Store.SearchOrganisations(c.UserContext(), q)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, staff.Organisations(h.shell(c, "Organisations"), q, os))
}

// StaffOrganisationShow is one organisation and its members.
func (h *Staff) StaffOrganisationShow(c *fiber.Ctx) error {
	id, err := idParam(c, "organisation")
	if err != nil {
		return err
	}
	so, err := h.Store.GetStaffOrganisation(c.UserContext(), id)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, staff.Organisation(h.shell(c, so.Organisation.Name), so))
}

func (h *Staff) organisationActive(c *fiber.Ctx, active bool) error {
	id, err := idParam(c, "organisation")
	if err != nil {
		return err
	}
	if err := h.Store.SetOrganisationActive(c.UserContext(), staffID(c), id, active); err != nil && !errors.Is(err, store.ErrUnavailable) {
		return err // already in that state: the page shows it
	}
	h.setFlash(c, "staff-done")
	return redirect(c, paths.StaffOrganisation(id))
}

// StaffOrganisationDeactivate deactivates an organisation.
func (h *Staff) StaffOrganisationDeactivate(c *fiber.Ctx) error {
	return h.organisationActive(c, false)
}

// StaffOrganisationReactivate reactivates an organisation.
func (h *Staff) StaffOrganisationReactivate(c *fiber.Ctx) error { return h.organisationActive(c, true) }

// StaffAidants searches the accounts.
func (h *Staff) StaffAidants(c *fiber.Ctx) error {
	q := c.Query("q")
	as, err := h.Store.SearchAidants(c.UserContext(), q)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, staff.Aidants(h.shell(c, "Aidants"), q, as))
}

// StaffAidantShow is one account and its organisations.
func (h *Staff) StaffAidantShow(c *fiber.Ctx) error {
	id, err := idParam(c, "aidant")
	if err != nil {
		return err
	}
	sa, err := h.Store.GetStaffAidant(c.UserContext(), id)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, staff.Aidant(h.shell(c, sa.Aidant.FullName()), sa))
}

func (h *Staff) aidantActive(c *fiber.Ctx, active bool) error {
	id, err := idParam(c, "aidant")
	if err != nil {
		return err
	}
	err = h.Store.StaffSetAidantActive(c.UserContext(), staffID(c), id, active)
	if errors.Is(err, store.ErrUnavailable) && id == staffID(c) {
		return h.errorPage(c, fiber.StatusConflict, "Action impossible", "Vous ne pouvez pas désactiver votre propre compte.")
	}
	if err != nil && !errors.Is(err, store.ErrUnavailable) {
		return err
	}
	h.setFlash(c, "staff-done")
	return redirect(c, paths.StaffAidant(id))
}

// StaffAidantDeactivate deactivates an account (its sessions end).
func (h *Staff) StaffAidantDeactivate(c *fiber.Ctx) error { return h.aidantActive(c, false) }

// StaffAidantReactivate reactivates an account.
func (h *Staff) StaffAidantReactivate(c *fiber.Ctx) error { return h.aidantActive(c, true) }
