package handlers

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/espace"
	"github.com/aidantsconnect/ac/views/public"
)

// EspaceHome is the aidant's home.
func (h *Handlers) EspaceHome(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, espace.Home(h.shell(c, "Espace aidant")))
}

// OrganisationSwitch changes the aidant's current organisation (journaled).
func (h *Handlers) OrganisationSwitch(c *fiber.Ctx) error {
	orgID, err := strconv.ParseInt(c.FormValue("organisation"), 10, 64)
	if err == nil {
		_, err = h.Store.SwitchOrganisation(c.UserContext(), CurrentAidant(c).ID, orgID)
	}
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, strconv.ErrSyntax) || errors.Is(err, strconv.ErrRange) {
			return render(c, fiber.StatusNotFound, public.Error(h.shell(c, "Organisation introuvable"), public.ErrorData{
				Status: fiber.StatusNotFound, Title: "Organisation introuvable ou inaccessible",
				Message: "Vous ne pouvez pas sélectionner cette organisation.",
			}))
		}
		return err
	}
	h.setFlash(c, "org-switched")
	return redirect(c, orDefault(SafeNext(c.FormValue("next"))))
}
