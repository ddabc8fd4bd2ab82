package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/mandat"
)

// FranceConnect is the FS side of FranceConnect as the wizard needs it. The app adapts its
// client to this, mapping failures onto the ErrFC* errors below.
type FranceConnect interface {
	AuthCodeURL(ctx context.Context, state, nonce string) (string, error)
	CallbackError(q url.Values) error
	Exchange(ctx context.Context, code, nonce string) (store.FCIdentity, string, error)
	LogoutURL(ctx context.Context, idTokenHint, state string) (string, error)
}

// FranceConnect failures, each with its own message to the aidant.
var (
	ErrFCCancelled  = errors.New("franceconnect: cancelled by the usager")
	ErrFCIncomplete = errors.New("franceconnect: identity incomplete")
	ErrFCFailed     = errors.New("franceconnect: failed")
)

const sessMandatFlow = "mflow"

const (
	msgDemarcheRequired = "Sélectionnez au moins une démarche."
	msgDemarcheRefused  = "Une des démarches choisies n'est pas proposée par votre organisation."
	msgDureeRequired    = "Choisissez la durée du mandat."
)

// MandatNew shows step 1 and forgets any earlier unfinished run; after a failed run it comes
// back with that run's démarches and duration.
func (h *Handlers) MandatNew(c *fiber.Ctx) error {
	if err := h.dropFlow(c); err != nil {
		return err
	}
	d := h.newData(c, nil)
	choice, err := h.takeChoice(c)
	if err != nil {
		return err
	}
	if choice != nil {
		d.Selected, d.Duree = choice.Demarches, choice.Duree
	}
	return render(c, fiber.StatusOK, mandat.New(h.shell(c, "Nouveau mandat"), d))
}

func (h *Handlers) newData(c *fiber.Ctx, renewal *store.Usager) mandat.NewData {
	cur := current(c)
	return mandat.NewData{Organisation: cur.Organisation, MultiOrg: len(cur.Memberships) > 1, Renewal: renewal}
}

// readChoice validates step 1's démarches and duration against the organisation.
func (h *Handlers) readChoice(c *fiber.Ctx, d *mandat.NewData) store.MandatChoice {
	args := c.Request().PostArgs()
	for _, v := range args.PeekMulti("demarche") {
		d.Selected = append(d.Selected, string(v))
	}
	d.Duree = c.FormValue("duree")
	switch {
	case len(d.Selected) == 0:
		d.Errors.Add("demarche", msgDemarcheRequired)
	default:
		for _, k := range d.Selected {
			if !d.Organisation.Allows(k) {
				d.Errors.Add("demarche", msgDemarcheRefused)
				break
			}
		}
	}
	if _, ok := store.FindDuree(d.Duree); !ok {
		d.Errors.Add("duree", msgDureeRequired)
	}
	return store.MandatChoice{Demarches: d.Selected, Duree: d.Duree}
}

// MandatCreate records step 1 and sends the browser to FranceConnect.
func (h *Handlers) MandatCreate(c *fiber.Ctx) error {
	d := h.newData(c, nil)
	choice := h.readChoice(c, &d)
	if d.Errors.Any() {
		return render(c, fiber.StatusUnprocessableEntity, mandat.New(h.shell(c, "Nouveau mandat"), d))
	}
	cur := current(c)
	token, err := h.Store.StartMandatFlow(c.UserContext(), cur.Aidant.ID, cur.Organisation.ID, choice, nil)
	if errors.Is(err, store.ErrDemarcheNotAllowed) {
		d.Errors.Add("demarche", msgDemarcheRefused)
		return render(c, fiber.StatusUnprocessableEntity, mandat.New(h.shell(c, "Nouveau mandat"), d))
	}
	if err != nil {
		return err
	}
	if err := h.setFlow(c, token); err != nil {
		return err
	}
	return redirectAway(c, paths.FCAuthorize)
}

// FCAuthorize starts the FranceConnect round trip for the session's flow.
func (h *Handlers) FCAuthorize(c *fiber.Ctx) error {
	token, aidantID, err := h.flowToken(c)
	if err != nil {
		return h.backToStart(c, "flow-expired")
	}
	state, err := randomHex(32)
	if err != nil {
		return err
	}
	nonce := h.Store.FCNonce(state)
	if err := h.Store.SetFCState(c.UserContext(), aidantID, token, state, nonce); err != nil {
		if errors.Is(err, store.ErrFlowExpired) {
			return h.backToStart(c, "flow-expired")
		}
		return err
	}
	u, err := h.FC.AuthCodeURL(c.UserContext(), state, nonce)
	if err != nil {
		h.Log.Error("franceconnect authorize", "err", err)
		return h.backToStart(c, "fc-failed")
	}
	return c.Redirect(u, fiber.StatusSeeOther)
}

// FCCallback receives the usager back from FranceConnect.
func (h *Handlers) FCCallback(c *fiber.Ctx) error {
	ctx := c.UserContext()
	token, aidantID, err := h.flowToken(c)
	if err != nil {
		return h.backToStart(c, "flow-expired")
	}
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err := h.FC.CallbackError(q); err != nil {
		if errors.Is(err, ErrFCCancelled) {
			return h.backToStart(c, "fc-cancelled")
		}
		h.Log.Warn("franceconnect callback error", "err", err)
		return h.backToStart(c, "fc-failed")
	}
	state, code := c.Query("state"), c.Query("code")
	if state == "" || code == "" {
		return h.backToStart(c, "fc-failed")
	}
	f, err := h.Store.FlowForCallback(ctx, aidantID, token, state)
	if errors.Is(err, store.ErrFlowOtherOrganisation) { // nothing recorded: the recap says why
		return redirect(c, paths.MandatRecap)
	}
	if errors.Is(err, store.ErrNotFound) {
		h.Log.Warn("franceconnect callback: unknown or replayed state")
		return h.backToStart(c, "fc-failed")
	}
	if errors.Is(err, store.ErrFlowExpired) {
		return h.backToStart(c, "flow-expired")
	}
	if err != nil {
		return err
	}
	identity, idToken, err := h.FC.Exchange(ctx, code, h.Store.FCNonce(state))
	switch {
	case errors.Is(err, ErrFCIncomplete):
		return h.backToStart(c, "fc-incomplete")
	case err != nil:
		h.Log.Warn("franceconnect exchange", "err", err)
		return h.backToStart(c, "fc-failed")
	}
	if _, err := h.Store.IdentifyUsager(ctx, f, identity); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return h.backToStart(c, "fc-failed")
		}
		return err
	}
	// Log the usager out of FranceConnect so the next person at the counter starts afresh.
	logoutState, err := randomHex(16)
	if err != nil {
		return err
	}
	out, err := h.FC.LogoutURL(ctx, idToken, logoutState)
	if err != nil {
		h.Log.Warn("franceconnect logout url", "err", err)
		return c.Redirect(paths.MandatRecap, fiber.StatusSeeOther)
	}
	return c.Redirect(out, fiber.StatusSeeOther)
}

// FCLogoutCallback is where FranceConnect returns after logging the usager out.
func (h *Handlers) FCLogoutCallback(c *fiber.Ctx) error {
	return c.Redirect(paths.MandatRecap, fiber.StatusSeeOther)
}

// MandatRecap shows step 3, or says that the run's mandat exists (Back from the attestation).
func (h *Handlers) MandatRecap(c *fiber.Ctx) error {
	d, err := h.recapData(c)
	if signed, ok := errors.AsType[*store.AlreadySignedError](err); ok {
		return h.alreadySigned(c, signed)
	}
	if err != nil {
		return h.flowEnded(c, err)
	}
	return render(c, fiber.StatusOK, mandat.Recap(h.shell(c, "Récapitulatif du mandat"), d))
}

// flowEnded answers a recap whose flow cannot go on: begun in another organisation (a page
// that says which, and offers to start again), or expired or missing (step 1, with a message).
func (h *Handlers) flowEnded(c *fiber.Ctx, err error) error {
	var other otherOrganisation
	if errors.As(err, &other) {
		return render(c, fiber.StatusConflict, mandat.OtherOrganisation(h.shell(c, "Mandat commencé pour une autre organisation"),
			other.f.Organisation.Name))
	}
	return h.backToStart(c, "flow-expired")
}

// otherOrganisation carries the flow of an ErrFlowOtherOrganisation to flowEnded.
type otherOrganisation struct{ f *store.MandatFlow }

func (o otherOrganisation) Error() string { return store.ErrFlowOtherOrganisation.Error() }
func (o otherOrganisation) Unwrap() error { return store.ErrFlowOtherOrganisation }

func (h *Handlers) recapData(c *fiber.Ctx) (mandat.RecapData, error) {
	token, aidantID, err := h.flowToken(c)
	if err != nil {
		return mandat.RecapData{}, err
	}
	f, err := h.Store.GetMandatFlow(c.UserContext(), aidantID, token)
	if errors.Is(err, store.ErrFlowOtherOrganisation) {
		return mandat.RecapData{}, otherOrganisation{f}
	}
	if err != nil {
		return mandat.RecapData{}, err
	}
	if f.MandatID != nil {
		return mandat.RecapData{}, &store.AlreadySignedError{MandatID: *f.MandatID}
	}
	if f.Usager == nil {
		return mandat.RecapData{}, store.ErrFlowExpired
	}
	duree, _ := store.FindDuree(f.Duree)
	ds := store.FindDemarches(f.Demarches)
	d := mandat.RecapData{Usager: f.Usager, Organisation: f.Organisation, Demarches: ds, Duree: duree, Now: h.now(), Loc: h.Loc}
	// What the usager already has with the organisation: the recap says what the new mandat
	// replaces. A usager new to the organisation has nothing (ErrNotFound).
	file, err := h.Store.GetUsagerFile(c.UserContext(), f.OrganisationID, f.Usager.ID)
	switch {
	case err == nil:
		d.Current = file.Mandats
	case !errors.Is(err, store.ErrNotFound):
		return mandat.RecapData{}, err
	}
	return d, nil
}

// MandatRecapEdit shows step 1's démarches and duration for the run, from its recap: the usager
// is identified already, so the form goes back to the recap.
func (h *Handlers) MandatRecapEdit(c *fiber.Ctx) error {
	f, err := h.identifiedFlow(c)
	if signed, ok := errors.AsType[*store.AlreadySignedError](err); ok {
		return h.alreadySigned(c, signed)
	}
	if err != nil {
		return h.backToStart(c, "flow-expired")
	}
	d := h.newData(c, nil)
	d.Organisation, d.Editing, d.Selected, d.Duree = f.Organisation, f.Usager, f.Demarches, f.Duree
	return render(c, fiber.StatusOK, mandat.New(h.shell(c, "Modifier les démarches"), d))
}

// MandatRecapUpdate records the run's new démarches and duration and returns to the recap.
func (h *Handlers) MandatRecapUpdate(c *fiber.Ctx) error {
	f, err := h.identifiedFlow(c)
	if signed, ok := errors.AsType[*store.AlreadySignedError](err); ok {
		return h.alreadySigned(c, signed)
	}
	if err != nil {
		return h.backToStart(c, "flow-expired")
	}
	d := h.newData(c, nil)
	d.Organisation, d.Editing = f.Organisation, f.Usager
	choice := h.readChoice(c, &d)
	if d.Errors.Any() {
		return render(c, fiber.StatusUnprocessableEntity, mandat.New(h.shell(c, "Modifier les démarches"), d))
	}
	token, aidantID, _ := h.flowToken(c)
	err = h.Store.ChangeMandatFlowChoice(c.UserContext(), aidantID, token, choice)
	switch {
	case errors.Is(err, store.ErrDemarcheNotAllowed):
		d.Errors.Add("demarche", msgDemarcheRefused)
		return render(c, fiber.StatusUnprocessableEntity, mandat.New(h.shell(c, "Modifier les démarches"), d))
	case errors.Is(err, store.ErrFlowExpired), errors.Is(err, store.ErrNotFound):
		return h.backToStart(c, "flow-expired")
	case err != nil:
		return err
	}
	return redirect(c, paths.MandatRecap)
}

// MandatCancel gives the run up from its recap: nothing is saved, the usager's data in the run
// is deleted.
func (h *Handlers) MandatCancel(c *fiber.Ctx) error {
	if err := h.dropFlow(c); err != nil {
		return err
	}
	h.setFlash(c, "mandat-cancelled")
	return redirect(c, paths.Espace)
}

// identifiedFlow is the session's run once FranceConnect identified the usager.
func (h *Handlers) identifiedFlow(c *fiber.Ctx) (*store.MandatFlow, error) {
	token, aidantID, err := h.flowToken(c)
	if err != nil {
		return nil, err
	}
	f, err := h.Store.GetMandatFlow(c.UserContext(), aidantID, token)
	if err != nil {
		return nil, err
	}
	if f.MandatID != nil {
		return nil, &store.AlreadySignedError{MandatID: *f.MandatID}
	}
	if f.Usager == nil {
		return nil, store.ErrFlowExpired
	}
	return f, nil
}

// MandatSign creates the mandat from the recap. A second submission of the same run (double
// click, Back then submit) creates nothing and says where the mandat is.
func (h *Handlers) MandatSign(c *fiber.Ctx) error {
	d, err := h.recapData(c)
	if signed, ok := errors.AsType[*store.AlreadySignedError](err); ok {
		return h.alreadySigned(c, signed)
	}
	if err != nil {
		return h.flowEnded(c, err)
	}
	d.Consent = c.FormValue("personal_data") == "on"
	code := normaliseCode(c.FormValue("otp_token"))
	if !d.Consent {
		d.Errors.Add("personal_data", "Cochez cette case pour confirmer que l'usager a été informé et a donné son accord.")
	}
	if !validCode(code) {
		d.Errors.Add("otp_token", "Saisissez le code à 6 chiffres, sans lettres.")
	}
	if d.Errors.Any() {
		return render(c, fiber.StatusUnprocessableEntity, mandat.Recap(h.shell(c, "Récapitulatif du mandat"), d))
	}
	token, aidantID, _ := h.flowToken(c)
	m, err := h.Store.CreateMandat(c.UserContext(), store.CreateMandatInput{AidantID: aidantID, FlowToken: token, Code: code, Verify: h.Verify, AllowDemo: h.Dev()})
	if signed, ok := errors.AsType[*store.AlreadySignedError](err); ok {
		return h.alreadySigned(c, signed)
	}
	switch {
	case errors.Is(err, store.ErrCodeRefused):
		d.Errors.Add("otp_token", "Ce code n'est pas valide. Attendez le code suivant et réessayez.")
		return render(c, fiber.StatusUnprocessableEntity, mandat.Recap(h.shell(c, "Récapitulatif du mandat"), d))
	case errors.Is(err, store.ErrFlowExpired), errors.Is(err, store.ErrNotFound):
		return h.backToStart(c, "flow-expired")
	case err != nil:
		return err
	}
	// The session keeps the signed run: a repeated submission finds it (see alreadySigned).
	return redirect(c, paths.MandatAttestationCreated(m.ID))
}

// alreadySigned is the truthful answer to a repeated submission: the mandat exists, once.
func (h *Handlers) alreadySigned(c *fiber.Ctx, e *store.AlreadySignedError) error {
	return render(c, fiber.StatusOK, mandat.AlreadySigned(h.shell(c, "Mandat déjà créé"), mandat.AlreadySignedData{MandatID: e.MandatID}))
}

// MandatRenewNew shows the renewal form for a usager with a renewable mandat.
func (h *Handlers) MandatRenewNew(c *fiber.Ctx) error {
	u, err := h.renewableUsager(c)
	if err != nil {
		return err
	}
	if err := h.dropFlow(c); err != nil {
		return err
	}
	d := h.newData(c, u)
	file, err := h.Store.GetUsagerFile(c.UserContext(), current(c).Organisation.ID, u.ID)
	if err != nil {
		return err
	}
	d.Selected = renewedDemarches(file.Mandats, h.now(), d.Organisation)
	return render(c, fiber.StatusOK, mandat.New(h.shell(c, "Renouveler un mandat"), d))
}

// renewedDemarches are what a renewal starts from: the démarches in force, or, when every
// mandat has ended, those of the newest renewable one; only those the organisation offers.
func renewedDemarches(ms []store.Mandat, now time.Time, org *store.Organisation) []string {
	var keys []string
	for _, m := range ms {
		if m.Status(now) != store.StatusActive {
			continue
		}
		for _, a := range m.Autorisations {
			if a.RevokedAt == nil {
				keys = append(keys, a.Demarche)
			}
		}
	}
	if len(keys) == 0 {
		for _, m := range ms { // newest first
			if m.Renewable(now) {
				keys = m.Demarches()
				break
			}
		}
	}
	var out []string
	for _, k := range store.DemarcheKeys() {
		if org.Allows(k) && slices.Contains(keys, k) {
			out = append(out, k)
		}
	}
	return out
}

// MandatRenewCreate records the renewal's choices and goes straight to the recap.
func (h *Handlers) MandatRenewCreate(c *fiber.Ctx) error {
	u, err := h.renewableUsager(c)
	if err != nil {
		return err
	}
	d := h.newData(c, u)
	choice := h.readChoice(c, &d)
	if d.Errors.Any() {
		return render(c, fiber.StatusUnprocessableEntity, mandat.New(h.shell(c, "Renouveler un mandat"), d))
	}
	cur := current(c)
	token, err := h.Store.StartMandatFlow(c.UserContext(), cur.Aidant.ID, cur.Organisation.ID, choice, &u.ID)
	switch {
	case errors.Is(err, store.ErrDemarcheNotAllowed):
		d.Errors.Add("demarche", msgDemarcheRefused)
		return render(c, fiber.StatusUnprocessableEntity, mandat.New(h.shell(c, "Renouveler un mandat"), d))
	case errors.Is(err, store.ErrNotRenewable):
		return store.ErrNotFound
	case err != nil:
		return err
	}
	if err := h.setFlow(c, token); err != nil {
		return err
	}
	return redirect(c, paths.MandatRecap)
}

// renewableUsager resolves the :usager parameter within the current organisation; anything
// else (foreign, unknown, nothing renewable) is "introuvable ou inaccessible".
func (h *Handlers) renewableUsager(c *fiber.Ctx) (*store.Usager, error) {
	id, err := idParam(c, "usager")
	if err != nil {
		return nil, err
	}
	u, err := h.Store.GetRenewableUsager(c.UserContext(), current(c).Organisation.ID, id)
	if err != nil {
		return nil, h.usagerElsewhere(c, err, id)
	}
	return u, nil
}

func (h *Handlers) flowToken(c *fiber.Ctx) (string, int64, error) {
	sess, err := h.Session(c)
	if err != nil {
		return "", 0, err
	}
	token, _ := sess.Values[sessMandatFlow].(string)
	a := current(c).Aidant
	if token == "" || a == nil {
		return "", 0, store.ErrFlowExpired
	}
	return token, a.ID, nil
}

func (h *Handlers) setFlow(c *fiber.Ctx, token string) error {
	sess, err := h.Session(c)
	if err != nil {
		return err
	}
	// The run it replaces (one the form was posted over, a signed one) goes now rather than
	// when purged.
	if old, _ := sess.Values[sessMandatFlow].(string); old != "" && old != token {
		if err := h.Store.CancelMandatFlow(c.UserContext(), current(c).Aidant.ID, old); err != nil {
			return err
		}
	}
	sess.Values[sessMandatFlow] = token
	return h.SaveSession(c, sess)
}

// dropFlow forgets the session's unfinished flow, if any.
func (h *Handlers) dropFlow(c *fiber.Ctx) error {
	token, aidantID, err := h.flowToken(c)
	if err != nil {
		return nil
	}
	if err := h.Store.CancelMandatFlow(c.UserContext(), aidantID, token); err != nil {
		return err
	}
	sess, _ := h.Session(c)
	delete(sess.Values, sessMandatFlow)
	return h.SaveSession(c, sess)
}

// backToStart returns the aidant to step 1 with a message. Nothing of the run is kept but its
// choices (démarches and duration, no personal data), for step 1 to show them again.
func (h *Handlers) backToStart(c *fiber.Ctx, flash string) error {
	if err := h.abandonFlow(c); err != nil {
		return err
	}
	h.setFlash(c, flash)
	return redirect(c, paths.MandatNew)
}

// sessMandatChoice holds a failed run's step-1 choices until step 1 shows them.
const sessMandatChoice = "mchoice"

func (h *Handlers) abandonFlow(c *fiber.Ctx) error {
	token, aidantID, err := h.flowToken(c)
	if err != nil {
		return nil
	}
	choice, err := h.Store.AbandonMandatFlow(c.UserContext(), aidantID, token)
	if err != nil {
		return err
	}
	sess, err := h.Session(c)
	if err != nil {
		return err
	}
	delete(sess.Values, sessMandatFlow)
	if choice != nil {
		sess.Values[sessMandatChoice] = choice.Duree + "|" + strings.Join(choice.Demarches, ",")
	}
	return h.SaveSession(c, sess)
}

// takeChoice returns, once, the choices a failed run left; they are checked again on submit.
func (h *Handlers) takeChoice(c *fiber.Ctx) (*store.MandatChoice, error) {
	sess, err := h.Session(c)
	if err != nil {
		return nil, err
	}
	v, ok := sess.Values[sessMandatChoice].(string)
	if !ok {
		return nil, nil
	}
	delete(sess.Values, sessMandatChoice)
	if err := h.SaveSession(c, sess); err != nil {
		return nil, err
	}
	duree, demarches, _ := strings.Cut(v, "|")
	return &store.MandatChoice{Duree: duree, Demarches: strings.Split(demarches, ",")}, nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
