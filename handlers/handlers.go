// Package handlers turns HTTP requests into one store call and one rendered view.
package handlers

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/store"
)

// Handlers holds what every handler needs. The app builds one at start-up.
type Handlers struct {
	Store           *store.Store
	Sessions        *store.SessionStore
	Verify          store.VerifyFunc
	FC              FranceConnect
	Log             *slog.Logger
	Mode            string // dev, sandbox or production
	BaseURL         string
	ActivityTimeout time.Duration
	LoginRateLimit  int
	LoginRateWindow time.Duration
	SecureCookies   bool
	Loc             *time.Location // Europe/Paris: dates on documents are French dates

	// LoginAccountLimit bounds the login attempts on one email per LoginRateWindow, all IPs
	// together.
	LoginAccountLimit int
	// ClientIP is the address a request is counted as: the peer, or the client behind our
	// trusted proxies (never a value the client chose). Nil: the peer.
	ClientIP func(*fiber.Ctx) string
}

// Dev reports whether demo conveniences are on (dev and sandbox).
func (h *Handlers) Dev() bool { return h.Mode != "production" }

func (h *Handlers) now() time.Time { return h.Store.Now() }

// clientIP is the address the request is counted as (see ClientIP).
func (h *Handlers) clientIP(c *fiber.Ctx) string {
	if h.ClientIP != nil {
		return h.ClientIP(c)
	}
	return c.Context().RemoteIP().String()
}
