// Package handlers turns HTTP requests into one store call and one rendered view.
package handlers

import (
	"log/slog"
	"time"

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
}

// Dev reports whether demo conveniences are on (dev and sandbox).
func (h *Handlers) Dev() bool { return h.Mode != "production" }

func (h *Handlers) now() time.Time { return h.Store.Now() }
