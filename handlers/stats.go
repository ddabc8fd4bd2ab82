package handlers

import (
	"bytes"
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/stats"
)

// StatsShow is the public statistics page. It reads the last recount (one row): a request
// never counts anything.
func (h *Handlers) StatsShow(c *fiber.Ctx) error {
	st, err := h.Store.GetStats(c.UserContext())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return render(c, fiber.StatusOK, stats.Page(h.shell(c, "Statistiques"), stats.PageData{Stats: st, Loc: h.Loc}))
}

// StatsCSV is the same figures as a CSV download; before the first recount, there is none.
func (h *Handlers) StatsCSV(c *fiber.Ctx) error {
	st, err := h.Store.GetStats(c.UserContext())
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := stats.WriteCSV(&b, st); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="statistiques-aidants-connect.csv"`)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.Send(b.Bytes())
}
