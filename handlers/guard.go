package handlers

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/sessions"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/espace"
)

// This file owns who the request is for (Current) and every guard of the route table
// (Require*). A guard answers by itself or calls c.Next(); the route table lists each route's
// guards explicitly.

// Current is the logged-in aidant and their organisation context for this request.
type Current struct {
	Aidant       *store.Aidant
	Organisation *store.Organisation
	Memberships  []store.Membership
	// Stale is true when the aidant has been inactive longer than the activity timeout.
	Stale bool
	// Seen is the last activity recorded (activity is written at most once a minute).
	Seen time.Time
	// lastCodeProof is when the aidant last proved a TOTP code, read with the session (nil:
	// not read, needsCode asks the store).
	lastCodeProof *time.Time
}

// IsReferent reports whether the aidant is référent of the current organisation.
func (cur *Current) IsReferent() bool {
	if cur.Aidant == nil || cur.Organisation == nil {
		return false
	}
	for _, m := range cur.Memberships {
		if m.OrganisationID == cur.Organisation.ID {
			return m.IsReferent
		}
	}
	return false
}

// LoadCurrent is the middleware of every page: it resolves the session's aidant (none when
// anonymous, deactivated or deleted) and records activity.
func (h *Handlers) LoadCurrent(c *fiber.Ctx) error {
	if err := h.loadCurrent(c); err != nil {
		return err
	}
	return c.Next()
}

func (h *Handlers) loadCurrent(c *fiber.Ctx) error {
	cur := &Current{}
	c.Locals(currentLocal, cur)
	sess, err := h.Session(c)
	if err != nil {
		return err
	}
	id, ok := sess.Values[store.SessionAidantKey].(int64)
	if !ok {
		return nil
	}
	a, ms, proved, err := h.sessionAidant(c, sess, id)
	if a == nil || err != nil {
		return err
	}
	cur.lastCodeProof = proved
	cur.Aidant, cur.Memberships = a, ms
	for i := range ms {
		if ms[i].OrganisationID == a.CurrentOrganisationID {
			cur.Organisation = ms[i].Organisation
		}
	}
	seen, _ := sess.Values[sessSeen].(int64)
	now := h.now()
	cur.Stale = now.Sub(time.Unix(seen, 0)) > h.ActivityTimeout
	// Only activity while fresh extends the session's activity: a stale session stays stale
	// until a code is entered again. Writes are batched to one a minute.
	if !cur.Stale && now.Unix()-seen >= 60 {
		seen = now.Unix()
		sess.Values[sessSeen] = seen
		if err := h.SaveSession(c, sess); err != nil {
			return err
		}
	}
	cur.Seen = time.Unix(seen, 0)
	c.Set(ActivityHeader, strconv.Itoa(int(h.activityLeft(c).Seconds())))
	return nil
}

// sessionAidant is the session's aidant (nil when none is active), their memberships and last
// code proof: as the session's own query read them, or from the store for a session that was
// not loaded from the database.
func (h *Handlers) sessionAidant(c *fiber.Ctx, sess *sessions.Session, id int64) (*store.Aidant, []store.Membership, *time.Time, error) {
	if l, ok := store.LoadedAidant(sess); ok {
		if l.Aidant == nil || l.Aidant.ID != id {
			return nil, nil, nil, nil
		}
		return l.Aidant, l.Memberships, &l.LastCodeProof, nil
	}
	a, err := h.Store.GetAidant(c.UserContext(), id)
	if err == store.ErrNotFound {
		return nil, nil, nil, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	ms, err := h.Store.ListMemberships(c.UserContext(), a.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	return a, ms, nil, nil
}

// current returns what LoadCurrent resolved.
func current(c *fiber.Ctx) *Current {
	if cur, ok := c.Locals(currentLocal).(*Current); ok {
		return cur
	}
	return &Current{}
}

// RequireAidant sends anonymous visitors to the login page, then back here (for a GET).
func (h *Handlers) RequireAidant(c *fiber.Ctx) error {
	if current(c).Aidant != nil {
		return c.Next()
	}
	next := ""
	if c.Method() == fiber.MethodGet {
		next = string(c.Request().URI().RequestURI())
	}
	return redirect(c, paths.LoginThen(next))
}

// RequireOrganisation lets through an aidant whose current organisation is active and theirs
// (LoadCurrent finds it among their active memberships, or leaves it nil): every page after
// it may count on Current.Organisation. Otherwise the aidant is told why and offered their
// other organisations; with none left, the session ends and the login page says why.
func (h *Handlers) RequireOrganisation(c *fiber.Ctx) error {
	cur := current(c)
	if cur.Organisation != nil {
		return c.Next()
	}
	if len(cur.Memberships) == 0 && cur.Aidant.IsStaff {
		return redirect(c, paths.Staff) // the national team's accounts need no organisation
	}
	if len(cur.Memberships) == 0 {
		if err := h.endSession(c); err != nil {
			return err
		}
		h.setFlash(c, "no-organisation")
		return redirect(c, paths.Login)
	}
	next := paths.Espace
	if c.Method() == fiber.MethodGet {
		next = orDefault(SafeNext(string(c.Request().URI().RequestURI())))
	}
	return render(c, fiber.StatusForbidden, espace.OrganisationGone(h.shell(c, "Organisation inaccessible"), next))
}

// RequireMandatCreator lets only aidants who may create mandats, in a current organisation,
// through.
func (h *Handlers) RequireMandatCreator(c *fiber.Ctx) error {
	if cur := current(c); cur.Aidant != nil && cur.Aidant.CanCreateMandats && cur.Organisation != nil {
		return c.Next()
	}
	return h.errorPage(c, fiber.StatusForbidden, "Accès refusé",
		"Votre compte ne permet pas d'agir pour une personne accompagnée. Rapprochez-vous du référent de votre organisation.")
}

// RequireActivity asks for a code again after ActivityTimeout without activity.
func (h *Handlers) RequireActivity(c *fiber.Ctx) error {
	need, err := h.needsCode(c, false)
	if err != nil || !need {
		return nextIf(c, err)
	}
	return h.askCode(c)
}

// RequireRecentCode asks for a code again unless one was entered within ActivityTimeout: for
// the FI, where FranceConnect sends prompt=login.
func (h *Handlers) RequireRecentCode(c *fiber.Ctx) error {
	need, err := h.needsCode(c, true)
	if err != nil || !need {
		return nextIf(c, err)
	}
	return h.askCode(c)
}

// askCode sends the aidant to the activity check, then back to the page they asked for (for
// a POST, the page it came from, and the POST is kept to be sent again: keepPending).
func (h *Handlers) askCode(c *fiber.Ctx) error {
	next := string(c.Request().URI().RequestURI())
	if c.Method() != fiber.MethodGet {
		next = paths.Espace
		if ref := sameSiteReferer(c); ref != "" {
			next = ref
		}
		if err := h.keepPending(c, orDefault(SafeNext(next))); err != nil {
			return err
		}
	}
	return redirect(c, paths.ActivityCheckThen(SafeNext(next)))
}

// needsCode is the one rule for "the aidant must prove a code again": after ActivityTimeout
// without activity; and, where a code must have been entered recently (the FI, for which
// FranceConnect sends prompt=login), when the last code (login or activity check) is older
// than ActivityTimeout, however active the aidant has been since.
func (h *Handlers) needsCode(c *fiber.Ctx, sinceLastCode bool) (bool, error) {
	cur := current(c)
	if cur.Stale || !sinceLastCode {
		return cur.Stale, nil
	}
	if cur.lastCodeProof != nil {
		return h.now().Sub(*cur.lastCodeProof) > h.ActivityTimeout, nil
	}
	proved, err := h.Store.LastCodeProof(c.UserContext(), cur.Aidant.ID)
	if err != nil {
		return false, err
	}
	return h.now().Sub(proved) > h.ActivityTimeout, nil
}

// nextIf goes on to the next handler, unless err.
func nextIf(c *fiber.Ctx, err error) error {
	if err != nil {
		return err
	}
	return c.Next()
}

// RequireReferent lets only référents of the current organisation through. Another aidant
// gets 403 (the espace exists, it is not theirs), with a word for a référent whose current
// organisation is not one they manage.
func (h *Handlers) RequireReferent(c *fiber.Ctx) error {
	cur := current(c)
	if cur.IsReferent() {
		return c.Next()
	}
	msg := "L'espace référent est réservé aux référents des organisations. Rapprochez-vous du référent de la vôtre."
	for _, m := range cur.Memberships {
		if m.IsReferent {
			msg = "Vous n'êtes pas référent de l'organisation pour laquelle vous travaillez en ce moment. Changez d'organisation depuis l'espace aidant pour accéder à l'espace référent."
			break
		}
	}
	return h.errorPage(c, fiber.StatusForbidden, "Accès refusé", msg)
}

// RequireStaff lets only staff accounts of the national team through. Everyone else,
// anonymous included, gets the 404 page: the back-office does not say it exists.
func (h *Handlers) RequireStaff(c *fiber.Ctx) error {
	if a := current(c).Aidant; a != nil && a.IsStaff {
		return c.Next()
	}
	return fiber.ErrNotFound
}

// Espace usager: the usager's own session (EspaceUsager), never the aidant's.

// UsagerCurrent is the usager signed in to their space for this request.
type UsagerCurrent struct {
	Usager *store.Usager
}

// LoadUsager is the middleware of the espace usager's pages: it resolves the usager
// session's person (none when anonymous, expired, or with no mandat any more). It reads no
// aidant session.
func (h *EspaceUsager) LoadUsager(c *fiber.Ctx) error {
	sess, err := h.usagerSession(c)
	if err != nil {
		return err
	}
	if id, ok := sess.Values[sessUsager].(int64); ok {
		u, err := h.Store.GetUsagerByID(c.UserContext(), id)
		switch {
		case err == nil:
			c.Locals(usagerCurrentLocal, &UsagerCurrent{Usager: u})
		case err != store.ErrNotFound:
			return err
		}
	}
	return c.Next()
}

// usagerCurrent returns what LoadUsager resolved, nil for nobody.
func usagerCurrent(c *fiber.Ctx) *UsagerCurrent {
	cur, _ := c.Locals(usagerCurrentLocal).(*UsagerCurrent)
	return cur
}

// RequireUsager sends anyone not signed in to their space (an aidant's session counts for
// nothing here) to the space's sign-in page.
func (h *EspaceUsager) RequireUsager(c *fiber.Ctx) error {
	if usagerCurrent(c) != nil {
		return c.Next()
	}
	return redirect(c, paths.MonEspaceLogin)
}
