package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/store"
)

// parseID reads an id as routes and forms carry it, a positive decimal number. Anything else
// is store.ErrNotFound: a malformed id is as "introuvable ou inaccessible" as a foreign one.
func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, store.ErrNotFound
	}
	return id, nil
}

// idParam reads the route parameter name as an id.
func idParam(c *fiber.Ctx, name string) (int64, error) { return parseID(c.Params(name)) }
