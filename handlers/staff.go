package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/views/staff"
)

// Staff serves the national team's back-office. RequireStaff let only staff accounts through;
// every action is journaled with the staff account as actor, in the action's transaction.
type Staff struct {
	*Handlers
}

// StaffHome is the back-office's home.
func (h *Staff) StaffHome(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, staff.Home(h.shell(c, staff.Title), staff.HomeData{StaffName: current(c).Aidant.FullName()}))
}
