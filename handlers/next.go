package handlers

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// SafeNext returns next when it is a local path on this site, and "" otherwise: no scheme, no
// host, no protocol-relative "//" or "/\" (browsers treat a backslash as a slash), no control
// characters. What it returns is next re-encoded, which is checked again: re-encoding may
// decode an escaped slash ("/%2Fevil.example/é" gives "//evil.example/%C3%A9"), and must give
// printable ASCII.
func SafeNext(next string) string {
	if len(next) > 2048 || !localPath(next) {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	// The escaped form may be longer than what was given: it must fit the same bound, so that
	// SafeNext accepts its own answers.
	if out := u.RequestURI(); len(out) <= 2048 && localPath(out) && printableASCII(out) {
		return out
	}
	return ""
}

// printableASCII: what a Location header may hold as is. The path comes re-encoded; a query
// with a raw space or a raw accented letter did not come from a browser, which encodes them.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// localPath: starts with one slash, not two nor a slash and a backslash, and holds neither a
// backslash nor the characters browsers drop from URLs.
func localPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "/\\") &&
		!strings.ContainsAny(p, "\\\r\n\t\x00")
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
