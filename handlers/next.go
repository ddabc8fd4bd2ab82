package handlers

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// SafeNext returns next when it is a local path on this site, and "" otherwise: no scheme, no
// host, no protocol-relative "//" or "/\" (browsers treat a backslash as a slash), no control
// characters.
func SafeNext(next string) string {
	if next == "" || len(next) > 2048 || !strings.HasPrefix(next, "/") {
		return ""
	}
	if strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\\\r\n\t\x00") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return u.RequestURI()
}

// sameSiteReferer is the local path of the page the request came from, or "" when the
// Referer is absent or another site's.
func sameSiteReferer(c *fiber.Ctx) string {
	ref, err := url.Parse(c.Get(fiber.HeaderReferer))
	if err != nil || ref.Host != string(c.Request().Host()) {
		return ""
	}
	return ref.RequestURI()
}
