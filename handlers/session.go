package handlers

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/sessions"

	"github.com/aidantsconnect/ac/store"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "ac_session"

// Session values.
const (
	sessSeen = "seen" // unix seconds of the last request counted as activity
)

// sessionKey, currentKey index request locals.
type localKey int

const (
	sessionLocal localKey = iota
	currentLocal
)

type requestSession struct {
	req  *http.Request
	sess *sessions.Session
}

// headerWriter collects the Set-Cookie headers gorilla writes, to copy them into Fiber's response.
type headerWriter struct{ h http.Header }

func (w headerWriter) Header() http.Header         { return w.h }
func (w headerWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w headerWriter) WriteHeader(int)             {}

// Session returns the request's session, loading it once. gorilla/sessions speaks net/http,
// so it gets a minimal request carrying only the cookie header and the request context.
func (h *Handlers) Session(c *fiber.Ctx) (*sessions.Session, error) {
	if rs, ok := c.Locals(sessionLocal).(*requestSession); ok {
		return rs.sess, nil
	}
	req, err := http.NewRequestWithContext(c.UserContext(), http.MethodGet, "/", nil)
	if err != nil {
		return nil, fmt.Errorf("session request: %w", err)
	}
	if cookie := c.Get(fiber.HeaderCookie); cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	sess, err := h.Sessions.Get(req, SessionCookie)
	if err != nil {
		return nil, err
	}
	c.Locals(sessionLocal, &requestSession{req: req, sess: sess})
	return sess, nil
}

// SaveSession writes the session row and copies its cookie into the response.
func (h *Handlers) SaveSession(c *fiber.Ctx, sess *sessions.Session) error {
	rs, ok := c.Locals(sessionLocal).(*requestSession)
	if !ok {
		return fmt.Errorf("save session: session was not loaded")
	}
	w := headerWriter{h: http.Header{}}
	if err := sess.Save(rs.req.WithContext(c.UserContext()), w); err != nil {
		return err
	}
	for _, v := range w.h.Values("Set-Cookie") {
		c.Response().Header.Add(fiber.HeaderSetCookie, v)
	}
	return nil
}

// startSession ends any previous session (no fixation) and starts a fresh one for the aidant.
func (h *Handlers) startSession(c *fiber.Ctx, aidantID int64) error {
	old, err := h.Session(c)
	if err != nil {
		return err
	}
	if !old.IsNew {
		old.Options.MaxAge = -1
		if err := h.SaveSession(c, old); err != nil {
			return err
		}
	}
	fresh, err := h.Sessions.New(&http.Request{Header: http.Header{}}, SessionCookie)
	if err != nil {
		return err
	}
	fresh.Values[store.SessionAidantKey] = aidantID
	fresh.Values[sessSeen] = h.now().Unix()
	c.Locals(sessionLocal, &requestSession{req: (&http.Request{Header: http.Header{}}).WithContext(context.WithoutCancel(c.UserContext())), sess: fresh})
	return h.SaveSession(c, fresh)
}

// NewAidantSession starts a session for the aidant outside any request, with the values a
// login gives it, and returns its cookie: what a load generator (`ac bench-fi`) presents as
// an aidant who logged in at now.
func NewAidantSession(ctx context.Context, ss *store.SessionStore, aidantID int64, now time.Time) (*http.Cookie, error) {
	req := (&http.Request{Header: http.Header{}}).WithContext(ctx)
	sess, err := ss.New(req, SessionCookie)
	if err != nil {
		return nil, err
	}
	sess.Values[store.SessionAidantKey] = aidantID
	sess.Values[sessSeen] = now.Unix()
	w := headerWriter{h: http.Header{}}
	if err := sess.Save(req, w); err != nil {
		return nil, err
	}
	for _, c := range (&http.Response{Header: w.h}).Cookies() {
		if c.Name == SessionCookie {
			return c, nil
		}
	}
	return nil, fmt.Errorf("session for aidant %d: no cookie", aidantID)
}
