package handlers

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/views/layout"
)

// This file and render.go are the only places that read or write HX-* headers.

// isHTMX reports a request made by htmx (boosted or not).
func isHTMX(c *fiber.Ctx) bool { return c.Get("HX-Request") == "true" }

// wantsFragment reports whether a fragment may be served instead of a full page: an htmx
// request that is neither boosted navigation nor a history restore.
func wantsFragment(c *fiber.Ctx) bool {
	return isHTMX(c) && c.Get("HX-Boosted") != "true" && c.Get("HX-History-Restore-Request") != "true"
}

// redirect sends the browser to a local path after a successful action: HX-Location on a 2xx
// for htmx (an in-place navigation that keeps the page shell) (htmx ignores HX-* headers on 3xx), 303 otherwise.
func redirect(c *fiber.Ctx, path string) error {
	if isHTMX(c) {
		c.Set("HX-Location", path)
		return c.SendStatus(fiber.StatusOK)
	}
	return c.Redirect(path, fiber.StatusSeeOther)
}

// redirectInto is redirect for a form that swaps one region of its page (the element with
// that id, its hx-target): htmx gets the next page in place of that region only
// (HX-Location with target, select and swap), the rest of the page kept, and pushes its URL
// so that back and refresh work. Any other request gets redirect's answer.
func redirectInto(c *fiber.Ctx, path, id string) error {
	if !isHTMX(c) || c.Get("HX-Target") != id {
		return redirect(c, path)
	}
	loc, err := json.Marshal(struct {
		Path   string `json:"path"`
		Target string `json:"target"`
		Select string `json:"select"`
		Swap   string `json:"swap"`
	}{path, "#" + id, "#" + id, "outerHTML"})
	if err != nil {
		return err
	}
	c.Set("HX-Location", string(loc))
	return c.SendStatus(fiber.StatusOK)
}

// redirectAway leaves the application (FranceConnect): htmx must do a full browser navigation
// (HX-Redirect), since an in-place request cannot follow another site's pages.
func redirectAway(c *fiber.Ctx, path string) error {
	if isHTMX(c) {
		c.Set("HX-Redirect", path)
		return c.SendStatus(fiber.StatusOK)
	}
	return c.Redirect(path, fiber.StatusSeeOther)
}

// errorIntoRegion sends an error fragment to the layout's error region, whatever element the
// request targeted (a 422 would otherwise be swapped into it like a form), and keeps the
// failed request's URL out of the history (a live search pushes its URL).
func errorIntoRegion(c *fiber.Ctx) {
	c.Set("HX-Retarget", "#"+layout.ErrorRegionID)
	c.Set("HX-Reswap", "innerHTML")
	c.Set("HX-Push-Url", "false")
}

// ClearNavigation drops a pending htmx navigation header, for an error page replacing the
// response.
func ClearNavigation(c *fiber.Ctx) {
	c.Response().Header.Del("HX-Location")
	c.Response().Header.Del("HX-Redirect")
}

// wantsFragmentOf is wantsFragment for a request that targets the element with that id (a
// live filter's results). An htmx navigation to the same URL (HX-Location, after a form)
// targets the body and gets the whole page.
func wantsFragmentOf(c *fiber.Ctx, id string) bool {
	return wantsFragment(c) && c.Get("HX-Target") == id
}
