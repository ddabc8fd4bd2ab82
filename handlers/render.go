package handlers

import (
	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
)

// render writes a component with a status. Pages that can be served as a fragment for htmx
// set Vary so caches keep the two apart.
func render(c *fiber.Ctx, status int, comp templ.Component) error {
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Vary("HX-Request")
	return comp.Render(c.UserContext(), c.Response().BodyWriter())
}
