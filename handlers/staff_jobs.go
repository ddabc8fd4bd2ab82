package handlers

import (
	"context"
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/staff"
)

// StaffJobs lists the background jobs of one state (River's queue), a page at a time.
func (h *Staff) StaffJobs(c *fiber.Ctx) error {
	page, _ := strconv.Atoi(c.Query("page"))
	l, err := h.Store.ListJobs(c.UserContext(), store.ParseJobState(c.Query("etat")), page)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, staff.Jobs(h.shell(c, "Tâches de fond"), staff.JobsData{List: l, Loc: h.Loc}))
}

// StaffJobRetry runs a failed, discarded or cancelled job again (journaled).
func (h *Staff) StaffJobRetry(c *fiber.Ctx) error {
	return h.staffJobAction(c, h.Store.RetryJob, "staff-job-retried")
}

// StaffJobCancel cancels a job waiting to run (journaled).
func (h *Staff) StaffJobCancel(c *fiber.Ctx) error {
	return h.staffJobAction(c, h.Store.CancelJob, "staff-job-cancelled")
}

// staffJobAction does it, then goes back to the list of the state the form came from. A job
// whose state no longer allows it (a worker took it meanwhile) gets the list again with a
// message, 409.
func (h *Staff) staffJobAction(c *fiber.Ctx, do func(ctx context.Context, staffID, id int64) error, flash string) error {
	id, err := idParam(c, "tache")
	if err != nil {
		return err
	}
	back := store.ParseJobState(c.FormValue("etat"))
	err = do(c.UserContext(), staffID(c), id)
	if errors.Is(err, store.ErrUnavailable) {
		l, lerr := h.Store.ListJobs(c.UserContext(), back, 1)
		if lerr != nil {
			return lerr
		}
		d := staff.JobsData{List: l, Loc: h.Loc, Problem: "Cette tâche a changé d'état entre-temps : l'action n'est plus possible. La liste est à jour."}
		return render(c, fiber.StatusConflict, staff.Jobs(h.shell(c, "Tâches de fond"), d))
	}
	if err != nil {
		return err
	}
	h.setFlash(c, flash)
	return redirect(c, paths.StaffJobsState(string(back), 1))
}
