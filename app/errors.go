package app

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/handlers"
	"github.com/aidantsconnect/ac/store"
)

// errorHandler maps an error to a status and a French page; details go to the log only.
func (a *App) errorHandler(c *fiber.Ctx, err error) error {
	status := fiber.StatusInternalServerError
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		status = fe.Code
	case errors.Is(err, store.ErrNotFound):
		status = fiber.StatusNotFound
	}
	if status >= 500 {
		a.Log.Error("request failed", "id", RequestID(c.UserContext()), "route", c.Path(), "err", err)
	}
	handlers.ClearNavigation(c)
	if e, ok := errors.AsType[*store.ElsewhereError](err); ok && status == fiber.StatusNotFound {
		err = a.Handlers.ElsewherePage(c, e)
	} else {
		err = a.Handlers.ErrorPage(c, status)
	}
	if perr := err; perr != nil {
		a.Log.Error("error page failed", "err", perr)
		return c.Status(fiber.StatusInternalServerError).SendString("Erreur du service.")
	}
	return nil
}
