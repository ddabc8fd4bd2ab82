package handlers

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/espace"
)

// otherOrganisations are the aidant's memberships but the current organisation.
func otherOrganisations(cur *Current) []int64 {
	var ids []int64
	for _, m := range cur.Memberships {
		if cur.Organisation == nil || m.OrganisationID != cur.Organisation.ID {
			ids = append(ids, m.OrganisationID)
		}
	}
	return ids
}

// mandatElsewhere turns "not found in the current organisation" into *store.ElsewhereError
// when the mandat is one of the aidant's other organisations', so that the page can say which
// one to switch to. Any other organisation's mandat stays a plain ErrNotFound.
func (h *Handlers) mandatElsewhere(c *fiber.Ctx, err error, mandatID int64) error {
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	org, lerr := h.Store.MandatElsewhere(c.UserContext(), otherOrganisations(current(c)), mandatID)
	return elsewhere(err, org, lerr, false)
}

// usagerElsewhere is mandatElsewhere for a usager.
func (h *Handlers) usagerElsewhere(c *fiber.Ctx, err error, usagerID int64) error {
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	org, lerr := h.Store.UsagerElsewhere(c.UserContext(), otherOrganisations(current(c)), usagerID)
	return elsewhere(err, org, lerr, true)
}

func elsewhere(notFound error, org *store.Organisation, lookup error, usager bool) error {
	switch {
	case lookup == nil:
		return &store.ElsewhereError{Organisation: org, Usager: usager}
	case errors.Is(lookup, store.ErrNotFound):
		return notFound
	default:
		return lookup
	}
}

// ElsewherePage is the 404 of a mandat or usager of another organisation of the aidant: it
// names that organisation and offers to switch to it, and shows nothing else of it.
func (h *Handlers) ElsewherePage(c *fiber.Ctx, e *store.ElsewhereError) error {
	next := paths.Espace
	if c.Method() == fiber.MethodGet {
		next = c.Path()
		if q := string(c.Request().URI().QueryString()); q != "" {
			next += "?" + q
		}
	}
	return render(c, fiber.StatusNotFound, espace.Elsewhere(h.shell(c, "Autre organisation"), espace.ElsewhereData{
		Organisation: e.Organisation, Usager: e.Usager, Next: next}))
}
