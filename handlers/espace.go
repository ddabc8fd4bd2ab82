package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/views/espace"
)

// EspaceHome is the aidant's home.
func (h *Handlers) EspaceHome(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, espace.Home(h.shell(c, "Espace Aidant")))
}

// OrganisationSwitch changes the aidant's current organisation (journaled).
func (h *Handlers) OrganisationSwitch(c *fiber.Ctx) error {
	orgID, err := parseID(c.FormValue("organisation"))
	if err != nil {
		return err
	}
	if _, err := h.Store.SwitchOrganisation(c.UserContext(), current(c).Aidant.ID, orgID); err != nil {
		return err
	}
	h.setFlash(c, "org-switched")
	return redirect(c, orDefault(SafeNext(c.FormValue("next"))))
}
