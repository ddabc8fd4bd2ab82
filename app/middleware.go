package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/idp"
	"github.com/aidantsconnect/ac/handlers"
)

type requestIDKey struct{}

// requestID tags each request with an id, echoed in a header and every log line about it.
func (a *App) requestID(c *fiber.Ctx) error {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	c.Set("X-Request-Id", id)
	c.SetUserContext(context.WithValue(c.UserContext(), requestIDKey{}, id))
	return c.Next()
}

// RequestID returns the id requestID stored in ctx.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// accessLog writes one line per request (never query strings: they may carry tokens).
func (a *App) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			a.Log.Error("error handler failed", "err", herr)
		}
		err = nil
	}
	path := c.Path()
	if c.Route() != nil && c.Route().Path != "" {
		path = c.Route().Path // the pattern (paths.MagicLinkPattern) rather than the token itself
	}
	dur := time.Since(start)
	a.metrics.observe(path, c.Method(), c.Response().StatusCode(), dur)
	a.Log.Info("request", "id", RequestID(c.UserContext()), "method", c.Method(), "route", path,
		"status", c.Response().StatusCode(), "dur_ms", dur.Milliseconds(), "bytes", len(c.Response().Body()))
	return err
}

// recoverPanic turns a panic into a logged 500 page.
func (a *App) recoverPanic(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			a.Log.Error("panic", "id", RequestID(c.UserContext()), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return c.Next()
}

// checkInput refuses a request whose query string or form body holds a NUL byte or invalid
// UTF-8, in a name or a value: no page of ours takes binary data, and PostgreSQL would refuse
// the text (a 500) or, for a NUL, see the query cut short. Pages answer 422 with a French
// message; the OIDC back channel answers invalid_request, in its JSON.
func (a *App) checkInput(c *fiber.Ctx) error {
	ok := true
	check := func(k, v []byte) { ok = ok && validText(k) && validText(v) }
	c.Request().URI().QueryArgs().VisitAll(check)
	switch ct := string(c.Request().Header.ContentType()); {
	case strings.HasPrefix(ct, fiber.MIMEApplicationForm):
		c.Request().PostArgs().VisitAll(check)
	case strings.HasPrefix(ct, fiber.MIMEMultipartForm):
		if form, err := c.MultipartForm(); err == nil {
			for k, vs := range form.Value {
				for _, v := range vs {
					check([]byte(k), []byte(v))
				}
			}
		}
	}
	if ok {
		return c.Next()
	}
	a.Log.Warn("malformed input refused", "id", RequestID(c.UserContext()), "route", c.Path())
	if a.backChannel(c.Path()) {
		return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"error": "invalid_request",
			"error_description": "parameters must be UTF-8 text without NUL characters"})
	}
	return a.Handlers.InvalidCharacters(c)
}

func validText(b []byte) bool { return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0 }

// backChannel reports a path of the OIDC back channel (with or without a trailing slash).
func (a *App) backChannel(path string) bool {
	for _, p := range idp.BackChannelPaths() {
		if path == p || path == p+"/" {
			return true
		}
	}
	return false
}

// csp allows only our own origin: no inline script or style, no framing, forms only to us
// (and, on the FI's pages, to the one relying party the flow returns to: FormActionLocal).
const cspBefore, cspAfter = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; form-action 'self'", "; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// securityHeaders sets the headers of every response. The CSP is written once the handler
// has run (or panicked), since a page may widen its form-action through FormActionLocal.
func (a *App) securityHeaders(c *fiber.Ctx) error {
	defer func() {
		policy := cspBefore + cspAfter
		if origin, ok := c.Locals(handlers.FormActionLocal).(string); ok && origin != "" {
			policy = cspBefore + " " + origin + cspAfter
		}
		c.Set(fiber.HeaderContentSecurityPolicy, policy)
	}()
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	c.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	if a.Cfg.Mode == ModeProduction {
		c.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	return c.Next()
}

// The CSRF token's cookie, and where a request echoes it: a header (htmx) or a form field.
const (
	CSRFCookie = "ac_csrf"
	CSRFHeader = "X-CSRF-Token"
	CSRFField  = "csrf_token"
)

// csrf is a double-submit check: a random token lives in an HttpOnly SameSite cookie and must
// come back in the X-CSRF-Token header (htmx, from hx-headers) or the csrf_token form field
// (plain forms). Cross-site requests, which cannot read the cookie, cannot echo it. Being
// stateless it works across app instances without a database write per anonymous visitor.
func (a *App) csrf(c *fiber.Ctx) error {
	token := c.Cookies(CSRFCookie)
	if len(token) != 43 {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return fmt.Errorf("csrf token: %w", err)
		}
		token = ""
		fresh := base64.RawURLEncoding.EncodeToString(b)
		c.Cookie(&fiber.Cookie{Name: CSRFCookie, Value: fresh, Path: "/", HTTPOnly: true, Secure: a.Cfg.Secure(), SameSite: "Lax", MaxAge: 0})
		c.Locals(handlers.CSRFTokenLocal, fresh)
	} else {
		c.Locals(handlers.CSRFTokenLocal, token)
	}
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	sent := c.Get(CSRFHeader)
	if sent == "" {
		sent = c.FormValue(CSRFField)
	}
	if token == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(token)) != 1 || !a.sameOrigin(c) {
		a.Log.Warn("csrf rejected", "id", RequestID(c.UserContext()), "route", c.Path())
		return fiber.ErrForbidden
	}
	return c.Next()
}

// sameOrigin rejects requests whose Origin (when the browser sends one) is another site.
func (a *App) sameOrigin(c *fiber.Ctx) bool {
	if c.Get("Sec-Fetch-Site") == "cross-site" {
		return false
	}
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" || origin == "null" {
		return origin == ""
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return u.Host == string(c.Request().Host())
}
