package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/views/espace"
)

// EspaceHome is the aidant's home.
func (h *Handlers) EspaceHome(c *fiber.Ctx) error {
	cur := current(c)
	soon := 0
	if cur.Organisation != nil && cur.Aidant.CanCreateMandats {
		n, err := h.Store.CountExpiringSoon(c.UserContext(), cur.Organisation.ID)
		if err != nil {
			return err
		}
		soon = n
	}
	return render(c, fiber.StatusOK, espace.Home(h.shell(c, "Espace Aidant"), soon))
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
