package handlers

import (
	"github.com/gofiber/fiber/v2"
)

// publishedCheckpoints is how many of the latest checkpoints the public document lists: about
// two days of checkpoints every five minutes; an auditor who fetches it daily misses none.
const publishedCheckpoints = 600

// JournalCheckpoints publishes the journal's latest signed checkpoints and the public key
// that verifies them, for auditors to keep copies of: entry counts, row ids, hashes and
// times, no personal data.
func (h *Handlers) JournalCheckpoints(c *fiber.Ctx) error {
	doc, err := h.Store.PublishCheckpoints(c.UserContext(), publishedCheckpoints)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.JSON(doc)
}
