package handlers

import (
	"encoding/json"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/views/auth"
)

// The activity check keeps the aidant's work (WCAG 2.2.1). The rule it serves: after
// ActivityTimeout without activity, a code is asked again before anything else is done.
//
//   - Pages say how long is left (layout.Shell.ActivityLeft, and the X-Activity-Left header
//     on every answer to a signed-in aidant), and app.js warns two minutes before, in a
//     modal. Its « Rester connecté » (ActivityExtend) is activity like any other request: a
//     person at the keyboard, before the deadline. It proves nothing and extends nothing
//     else: a stale session stays stale (409, the code is asked), the FI's "a code within
//     ActivityTimeout" (needsCode with sinceLastCode) counts codes only, and the session's
//     24 hours do not move.
//   - A form submitted after the deadline is kept (keepPending) and sent again once the code
//     is entered (ActivityCheckCreate renders it as a form that submits itself, with a button
//     without JavaScript), so nothing typed is lost.

const (
	sessPending = "pending" // string: JSON pendingForm, the POST held by the activity check

	// maxPendingBytes bounds the kept form: a mandat form is well under 1 KB.
	maxPendingBytes = 8 << 10
	// pendingLifetime bounds how long a kept form waits for its code.
	pendingLifetime = time.Hour
	// ActivityHeader carries, on every answer to a signed-in aidant, the seconds left before
	// the activity check (app.js reschedules its warning from it after htmx requests).
	ActivityHeader = "X-Activity-Left"
)

// pendingForm is a POST held by the activity check: replayed only to the same path, for the
// same aidant and organisation, once, within pendingLifetime.
type pendingForm struct {
	Path         string `json:"path"`
	From         string `json:"from"` // the page it was sent from: the activity check's next
	Form         string `json:"form"` // url-encoded, without the CSRF token and any code
	AidantID     int64  `json:"aidant"`
	Organisation int64  `json:"organisation"`
	At           int64  `json:"at"`
}

// notKept are the fields never kept: the CSRF token (the replay carries the current one and
// passes the CSRF check again) and codes (a code is typed when it is used, never stored).
var notKept = map[string]bool{"csrf_token": true, "otp_token": true, "code": true}

// keepPending holds a POST refused by the activity check in the session. It has passed the
// CSRF check already (the page chain runs it before any guard). Too large a form, or a
// request without an organisation, is not kept: the aidant then starts the page again.
func (h *Handlers) keepPending(c *fiber.Ctx, from string) error {
	cur := current(c)
	if c.Method() != fiber.MethodPost || cur.Aidant == nil || cur.Organisation == nil {
		return nil
	}
	form := url.Values{}
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if !notKept[string(k)] {
			form.Add(string(k), string(v))
		}
	})
	p := pendingForm{Path: c.Path(), From: from, Form: form.Encode(), AidantID: cur.Aidant.ID, Organisation: cur.Organisation.ID, At: h.now().Unix()}
	if SafeNext(p.Path) != p.Path || len(p.Form) > maxPendingBytes {
		return nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	sess, err := h.Session(c)
	if err != nil {
		return err
	}
	sess.Values[sessPending] = string(b)
	return h.SaveSession(c, sess)
}

// takePending removes the kept form from the session (single use) and returns it when it
// still applies: the activity check returns to the page it was sent from, for the same
// aidant and organisation, within its lifetime. The caller saves the session.
func (h *Handlers) takePending(c *fiber.Ctx, values map[any]any, next string) (*pendingForm, url.Values) {
	raw, _ := values[sessPending].(string)
	if raw == "" {
		return nil, nil
	}
	delete(values, sessPending)
	var p pendingForm
	if json.Unmarshal([]byte(raw), &p) != nil {
		return nil, nil
	}
	cur := current(c)
	if p.From != next || cur.Aidant == nil || cur.Organisation == nil || p.AidantID != cur.Aidant.ID || p.Organisation != cur.Organisation.ID ||
		h.now().Sub(time.Unix(p.At, 0)) > pendingLifetime || SafeNext(p.Path) != p.Path {
		return nil, nil
	}
	form, err := url.ParseQuery(p.Form)
	if err != nil {
		return nil, nil
	}
	return &p, form
}

// hasPending reports a form held for the activity check that returns to next.
func (h *Handlers) hasPending(c *fiber.Ctx, next string) bool {
	sess, err := h.Session(c)
	if err != nil {
		return false
	}
	raw, _ := sess.Values[sessPending].(string)
	var p pendingForm
	return raw != "" && json.Unmarshal([]byte(raw), &p) == nil && p.From == next
}

// resumePending answers a successful activity check that held a form: the form again, to be
// sent to where it was going (by itself with JavaScript, with a button without).
func (h *Handlers) resumePending(c *fiber.Ctx, p *pendingForm, form url.Values) error {
	var fields []auth.Field
	for k, vs := range form {
		for _, v := range vs {
			fields = append(fields, auth.Field{Name: k, Value: v})
		}
	}
	auth.SortFields(fields)
	return render(c, fiber.StatusOK, auth.Resume(h.shell(c, "Reprise de votre saisie"), auth.ResumeData{Action: p.Path, Fields: fields}))
}

// activityLeft is how long the current aidant has before the activity check (0: none, or
// already stale).
func (h *Handlers) activityLeft(c *fiber.Ctx) time.Duration {
	cur := current(c)
	if cur.Aidant == nil || cur.Stale {
		return 0
	}
	left := h.ActivityTimeout - h.now().Sub(cur.Seen)
	if left < 0 {
		return 0
	}
	return left
}

// ActivityExtend is « Rester connecté »: activity, recorded now, while the session is fresh.
// A stale session is not extended (409): the next request asks for the code.
func (h *Handlers) ActivityExtend(c *fiber.Ctx) error {
	cur := current(c)
	c.Set(fiber.HeaderCacheControl, "no-store")
	if cur.Stale {
		c.Set(ActivityHeader, "0")
		return c.Status(fiber.StatusConflict).SendString("0")
	}
	sess, err := h.Session(c)
	if err != nil {
		return err
	}
	now := h.now()
	sess.Values[sessSeen] = now.Unix()
	if err := h.SaveSession(c, sess); err != nil {
		return err
	}
	cur.Seen = time.Unix(now.Unix(), 0)
	left := strconv.Itoa(int(h.activityLeft(c).Seconds()))
	c.Set(ActivityHeader, left)
	return c.Status(fiber.StatusOK).SendString(left)
}
