package handlers

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/sessions"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/monespace"
)

// EspaceUsager serves the usager's own space. The usager signs in through FranceConnect
// (we are FS, with the space's own redirect URIs) into a session of their own: another
// cookie, scoped to the space's paths, in another session store with a short lifetime. An
// aidant's session is never read here, and this one never reaches the espace aidant.
type EspaceUsager struct {
	*Handlers
	FC       FranceConnect       // the FS client whose redirect URIs are the space's
	Sessions *store.SessionStore // the usager sessions (UsagerSessionCookie, UsagerSessionTTL)
	// FCOrigin is FranceConnect's origin: the logout form's redirect goes there, which the
	// page's form-action must allow.
	FCOrigin string
}

// UsagerSessionCookie names the usager's session cookie.
const UsagerSessionCookie = "ac_usager"

// UsagerSessionTTL is how long a usager stays signed in: from the sign-in, whatever they do
// (the space is often opened on a shared computer).
const UsagerSessionTTL = 30 * time.Minute

// usagerRoundTripTTL bounds the FranceConnect round trip of a sign-in.
const usagerRoundTripTTL = 10 * time.Minute

// Usager session values.
const (
	sessUsager      = "usager"  // int64: the signed-in usager
	sessUsagerToken = "idt"     // []byte: FranceConnect's ID token, sealed, for its logout
	sessUsagerState = "state"   // string: the sign-in round trip's state
	sessUsagerStart = "started" // int64: when that round trip began (unix seconds)
	sessUsagerOut   = "out"     // string: why the usager was logged out (usagerOut*), for the page after FranceConnect's logout
)

const (
	usagerOutLogout  = "logout"  // they asked to
	usagerOutUnknown = "unknown" // FranceConnect identified a person with no mandat
)

type usagerLocalKey int

const (
	usagerSessionLocal usagerLocalKey = iota
	usagerCurrentLocal
)

// usagerSession returns the request's usager session, loading it once (the cookie is only
// sent below MonEspace).
func (h *EspaceUsager) usagerSession(c *fiber.Ctx) (*sessions.Session, error) {
	if rs, ok := c.Locals(usagerSessionLocal).(*requestSession); ok {
		return rs.sess, nil
	}
	req, err := http.NewRequestWithContext(c.UserContext(), http.MethodGet, "/", nil)
	if err != nil {
		return nil, fmt.Errorf("usager session request: %w", err)
	}
	if cookie := c.Get(fiber.HeaderCookie); cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	sess, err := h.Sessions.Get(req, UsagerSessionCookie)
	if err != nil {
		return nil, err
	}
	c.Locals(usagerSessionLocal, &requestSession{req: req, sess: sess})
	return sess, nil
}

// saveUsagerSession writes the row and copies the cookie into the response.
func (h *EspaceUsager) saveUsagerSession(c *fiber.Ctx, sess *sessions.Session) error {
	rs, ok := c.Locals(usagerSessionLocal).(*requestSession)
	if !ok {
		return fmt.Errorf("save usager session: not loaded")
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

// freshUsagerSession ends the request's usager session, if any (no fixation), and starts a
// new one holding values.
func (h *EspaceUsager) freshUsagerSession(c *fiber.Ctx, values map[any]any) error {
	old, err := h.usagerSession(c)
	if err != nil {
		return err
	}
	if !old.IsNew {
		old.Options.MaxAge = -1
		if err := h.saveUsagerSession(c, old); err != nil {
			return err
		}
	}
	fresh, err := h.Sessions.New(&http.Request{Header: http.Header{}}, UsagerSessionCookie)
	if err != nil {
		return err
	}
	for k, v := range values {
		fresh.Values[k] = v
	}
	c.Locals(usagerSessionLocal, &requestSession{req: (&http.Request{Header: http.Header{}}).WithContext(context.WithoutCancel(c.UserContext())), sess: fresh})
	return h.saveUsagerSession(c, fresh)
}

// endUsagerSession deletes the usager session (row and cookie).
func (h *EspaceUsager) endUsagerSession(c *fiber.Ctx) error {
	sess, err := h.usagerSession(c)
	if err != nil || sess.IsNew {
		return err
	}
	sess.Options.MaxAge = -1
	return h.saveUsagerSession(c, sess)
}

// MonEspaceLogin is the sign-in page: what the space is, and the FranceConnect button. A
// signed-in usager goes straight to their space.
func (h *EspaceUsager) MonEspaceLogin(c *fiber.Ctx) error {
	if usagerCurrent(c) != nil {
		return redirect(c, paths.MonEspace)
	}
	return render(c, fiber.StatusOK, monespace.Login(h.usagerShell(c, "Mon espace"), monespace.LoginData{Problem: c.Query("erreur")}))
}

// MonEspaceFCAuthorize starts the sign-in: a fresh session holding the round trip's state
// (its nonce is derived from it), then FranceConnect.
func (h *EspaceUsager) MonEspaceFCAuthorize(c *fiber.Ctx) error {
	state, err := randomHex(32)
	if err != nil {
		return err
	}
	if err := h.freshUsagerSession(c, map[any]any{sessUsagerState: state, sessUsagerStart: h.now().Unix()}); err != nil {
		return err
	}
	u, err := h.FC.AuthCodeURL(c.UserContext(), state, h.Store.FCNonce(state))
	if err != nil {
		h.Log.Error("franceconnect authorize (espace usager)", "err", err)
		return redirect(c, paths.MonEspaceLoginProblem(monespace.ProblemFailed))
	}
	return c.Redirect(u, fiber.StatusSeeOther)
}

// MonEspaceFCCallback receives the person back from FranceConnect: the state must be the
// session's (once, within the round trip's lifetime), then the person is matched to their
// usager record by the salted hash of their sub. Someone with no mandat in their name is
// logged out of FranceConnect and told so.
func (h *EspaceUsager) MonEspaceFCCallback(c *fiber.Ctx) error {
	ctx := c.UserContext()
	sess, err := h.usagerSession(c)
	if err != nil {
		return err
	}
	state, _ := sess.Values[sessUsagerState].(string)
	started, _ := sess.Values[sessUsagerStart].(int64)
	if state == "" {
		return redirect(c, paths.MonEspaceLoginProblem(monespace.ProblemExpired))
	}
	// The state is spent whatever happens next: a callback is never replayed.
	delete(sess.Values, sessUsagerState)
	if err := h.saveUsagerSession(c, sess); err != nil {
		return err
	}
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err := h.FC.CallbackError(q); err != nil {
		if errors.Is(err, ErrFCCancelled) {
			return redirect(c, paths.MonEspaceLoginProblem(monespace.ProblemCancelled))
		}
		h.Log.Warn("franceconnect callback error (espace usager)", "err", err)
		return redirect(c, paths.MonEspaceLoginProblem(monespace.ProblemFailed))
	}
	if subtle.ConstantTimeCompare([]byte(c.Query("state")), []byte(state)) != 1 || c.Query("code") == "" {
		h.Log.Warn("franceconnect callback (espace usager): unknown state or no code")
		return redirect(c, paths.MonEspaceLoginProblem(monespace.ProblemFailed))
	}
	if h.now().Sub(time.Unix(started, 0)) > usagerRoundTripTTL {
		return redirect(c, paths.MonEspaceLoginProblem(monespace.ProblemExpired))
	}
	identity, idToken, err := h.FC.Exchange(ctx, c.Query("code"), h.Store.FCNonce(state))
	switch {
	case errors.Is(err, ErrFCIncomplete):
		return redirect(c, paths.MonEspaceLoginProblem(monespace.ProblemIncomplete))
	case err != nil:
		h.Log.Warn("franceconnect exchange (espace usager)", "err", err)
		return redirect(c, paths.MonEspaceLoginProblem(monespace.ProblemFailed))
	}
	u, err := h.Store.FindUsagerByFCSub(ctx, identity.Sub)
	if errors.Is(err, store.ErrNotFound) {
		return h.logOutOfFC(c, idToken, usagerOutUnknown)
	}
	if err != nil {
		return err
	}
	sealed, err := h.Store.SealSessionSecret(idToken)
	if err != nil {
		return err
	}
	if err := h.freshUsagerSession(c, map[any]any{sessUsager: u.ID, sessUsagerToken: sealed}); err != nil {
		return err
	}
	return redirect(c, paths.MonEspace)
}

// MonEspaceLogout ends the usager's session here, then at FranceConnect (end_session with
// the ID token of the sign-in); FranceConnect comes back to MonEspaceLoggedOut.
func (h *EspaceUsager) MonEspaceLogout(c *fiber.Ctx) error {
	sess, err := h.usagerSession(c)
	if err != nil {
		return err
	}
	sealed, _ := sess.Values[sessUsagerToken].([]byte)
	if len(sealed) == 0 {
		if err := h.endUsagerSession(c); err != nil {
			return err
		}
		return redirect(c, paths.MonEspaceLoggedOut)
	}
	idToken, err := h.Store.OpenSessionSecret(sealed)
	if err != nil {
		return err
	}
	return h.logOutOfFC(c, idToken, usagerOutLogout)
}

// logOutOfFC replaces the usager session by one saying why they leave, and sends the
// browser to FranceConnect's logout. Without FranceConnect's logout URL, the page after it.
func (h *EspaceUsager) logOutOfFC(c *fiber.Ctx, idToken, why string) error {
	if err := h.freshUsagerSession(c, map[any]any{sessUsagerOut: why}); err != nil {
		return err
	}
	state, err := randomHex(16)
	if err != nil {
		return err
	}
	out, err := h.FC.LogoutURL(c.UserContext(), idToken, state)
	if err != nil {
		h.Log.Warn("franceconnect logout url (espace usager)", "err", err)
		return redirect(c, paths.MonEspaceLoggedOut)
	}
	return redirectAway(c, out)
}

// MonEspaceLoggedOut is where FranceConnect returns after its logout: the person is told
// they are logged out, or that no mandat exists in their name. Nothing of them is kept.
func (h *EspaceUsager) MonEspaceLoggedOut(c *fiber.Ctx) error {
	sess, err := h.usagerSession(c)
	if err != nil {
		return err
	}
	why, _ := sess.Values[sessUsagerOut].(string)
	if err := h.endUsagerSession(c); err != nil {
		return err
	}
	if why == usagerOutUnknown {
		return render(c, fiber.StatusOK, monespace.Unknown(h.usagerShell(c, "Aucun mandat à votre nom")))
	}
	return render(c, fiber.StatusOK, monespace.LoggedOut(h.usagerShell(c, "Vous êtes déconnecté")))
}
