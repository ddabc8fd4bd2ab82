package handlers

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	idpview "github.com/aidantsconnect/ac/views/idp"
)

// IdentityProvider is what the FI pages need of the OpenID provider (app/idp).
type IdentityProvider interface {
	// LogoutClient finds the client of a logout request from its client_id or id_token_hint
	// (which must be ours); anything else is store.ErrNotFound.
	LogoutClient(ctx context.Context, clientID, idTokenHint string) (*store.IdPClient, error)
}

// IdP serves the aidant's side of a FranceConnect login for a usager (we are FI): the guard of
// /authorize, the usager and démarche choices, cancel, and the logout endpoint.
type IdP struct {
	*Handlers
	Provider IdentityProvider
}

const idpPerPage = 20

// AuthorizeClient runs first before the provider's /authorize: a client or redirect URI we
// cannot trust gets a local page, never a redirect (FRANCECONNECT.md §1). The route table then
// requires an aidant who may create mandats and who proved a TOTP code recently
// (FranceConnect sends prompt=login, and it is never skipped); the detours to the login and
// the activity check come back to this very request.
func (h *IdP) AuthorizeClient(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		return fiber.ErrMethodNotAllowed
	}
	here := string(c.Request().URI().RequestURI())
	if isHTMX(c) { // after a login or an activity check: the provider's redirects need a real navigation
		return redirectAway(c, here)
	}
	q, err := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err != nil || len(q["client_id"]) != 1 || len(q["redirect_uri"]) != 1 {
		return h.badClient(c)
	}
	client, err := h.Store.GetIdPClient(c.UserContext(), q.Get("client_id"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !client.HasRedirectURI(q.Get("redirect_uri"))) {
		return h.badClient(c)
	}
	if err != nil {
		return err
	}
	return c.Next()
}

func (h *IdP) badClient(c *fiber.Ctx) error {
	return h.errorPage(c, fiber.StatusBadRequest, "Demande de connexion invalide",
		"Le service qui vous a envoyé ici n'est pas reconnu par Aidants Connect, ou son adresse de retour n'est pas autorisée. "+
			"Aucune information n'a été transmise. Retournez sur le service en ligne ; si le problème persiste, signalez-le à son support.")
}

// openFlow resolves the ?id= (or posted id) flow for the current aidant and organisation.
func (h *IdP) openFlow(c *fiber.Ctx, token string) (*store.IdPFlow, error) {
	cur := current(c)
	if !flowTokenOK(c, token) {
		return nil, store.ErrNotFound
	}
	return h.Store.OpenIdPFlow(c.UserContext(), token, cur.Aidant.ID, cur.Organisation.ID)
}

// flowError answers a flow that cannot go on: expired (a page that says so) or unknown (404).
func (h *IdP) flowError(c *fiber.Ctx, err error) error {
	if errors.Is(err, store.ErrIdPFlowExpired) {
		return render(c, fiber.StatusGone, idpview.Expired(h.shell(c, "Connexion expirée")))
	}
	return err
}

// page renders a step. Its forms end at the client's redirect URI (cancel, démarche): Chrome
// applies form-action to the redirects that follow a form submission, so the page's policy
// names that origin too. The origin is a registered one (checked at registration).
func (h *IdP) page(c *fiber.Ctx, status int, f *store.IdPFlow, comp templ.Component) error {
	if u, err := url.Parse(f.RedirectURI); err == nil && u.Scheme != "" && u.Host != "" {
		c.Locals(FormActionLocal, u.Scheme+"://"+u.Host)
	}
	return render(c, status, comp)
}

// usagerData fills step 1 from the query string (search and page) or the posted id.
func (h *IdP) usagerData(c *fiber.Ctx, token string, f *store.IdPFlow, offered []string) (idpview.UsagerChoiceData, error) {
	cur := current(c)
	d := idpview.UsagerChoiceData{Flow: token, Organisation: cur.Organisation, Restricted: len(f.RepScope) > 0,
		Query: strings.TrimSpace(c.Query("q")), Page: max(1, c.QueryInt("page", 1)), PerPage: idpPerPage}
	d.Demarches = store.FindDemarches(offered)
	if n := len([]rune(d.Query)); n == 1 || n > 100 {
		d.TooShort = n == 1
		return d, nil
	}
	var err error
	d.Usagers, d.Total, err = h.Store.ListIdPUsagers(c.UserContext(), cur.Organisation.ID, offered, d.Query, idpPerPage, (d.Page-1)*idpPerPage)
	return d, err
}

// usagerPage opens the flow and fills step 1 from the query string (search and page), the
// usagers listed in the same statement unless the search is too short or too long.
func (h *IdP) usagerPage(c *fiber.Ctx, token string) (*store.IdPFlow, idpview.UsagerChoiceData, error) {
	cur := current(c)
	d := idpview.UsagerChoiceData{Flow: token, Organisation: cur.Organisation,
		Query: strings.TrimSpace(c.Query("q")), Page: max(1, c.QueryInt("page", 1)), PerPage: idpPerPage}
	if !flowTokenOK(c, token) {
		return nil, d, store.ErrNotFound
	}
	n := len([]rune(d.Query))
	d.TooShort = n == 1
	f, page, err := h.Store.OpenIdPFlowListing(c.UserContext(), token, cur.Aidant.ID, cur.Organisation, n != 1 && n <= 100,
		d.Query, idpPerPage, (d.Page-1)*idpPerPage)
	if err != nil {
		return nil, d, err
	}
	d.Restricted = len(f.RepScope) > 0
	d.Demarches = store.FindDemarches(f.Offered(cur.Organisation))
	d.Usagers, d.Total = page.Usagers, page.Total
	return f, d, nil
}

// UsagerChoice is step 1 ("Étape 1 sur 2"), the page /authorize leads to.
func (h *IdP) UsagerChoice(c *fiber.Ctx) error {
	token := c.Query("id")
	f, d, err := h.usagerPage(c, token)
	if err != nil {
		return h.flowError(c, err)
	}
	if f.RepScopeUnmatched { // the service asked only for démarches that are not ours: say so
		return h.page(c, fiber.StatusOK, f, idpview.NoDemarche(h.shell(c, "Démarche non couverte"), token))
	}
	if len(f.Offered(current(c).Organisation)) == 0 { // rep_scope names only démarches the organisation does not offer
		return h.endFlow(c, token, "access_denied", "none of the requested rep_scope demarches is offered by the aidant's organisation")
	}
	return h.page(c, fiber.StatusOK, f, idpview.UsagerChoice(h.shell(c, "Sélection de l'usager"), d))
}

// UsagerResults is the fragment the step 1 search swaps in as the aidant types.
func (h *IdP) UsagerResults(c *fiber.Ctx) error {
	_, d, err := h.usagerPage(c, c.Query("id"))
	if errors.Is(err, store.ErrIdPFlowExpired) {
		return render(c, fiber.StatusGone, idpview.ExpiredNotice())
	}
	if err != nil {
		return err
	}
	csrf, _ := c.Locals(CSRFTokenLocal).(string)
	return render(c, fiber.StatusOK, idpview.UsagerResults(csrf, d))
}

// UsagerChoose records step 1, for a usager with an active mandat (checked again here: the
// form may have been forged).
func (h *IdP) UsagerChoose(c *fiber.Ctx) error {
	token := c.FormValue("id")
	cur := current(c)
	usagerID, perr := parseID(c.FormValue("usager"))
	var err error
	if perr == nil && flowTokenOK(c, token) { // the store reads the flow only when it refuses
		err = h.Store.ChooseIdPUsager(c.UserContext(), token, cur.Aidant.ID, cur.Organisation.ID, usagerID)
		if err == nil {
			return redirect(c, paths.IdPStep(paths.IdPDemarcheChoice, token))
		}
	}
	if perr != nil || errors.Is(err, store.ErrIdPNoAutorisation) || !flowTokenOK(c, token) {
		f, ferr := h.openFlow(c, token)
		if ferr != nil {
			return h.flowError(c, ferr)
		}
		d, derr := h.usagerData(c, token, f, f.Offered(cur.Organisation))
		if derr != nil {
			return derr
		}
		d.Errors.Add("", "Cette personne n'a pas de mandat actif avec votre organisation pour la démarche demandée. Choisissez une personne dans la liste.")
		return h.page(c, fiber.StatusUnprocessableEntity, f, idpview.UsagerChoice(h.shell(c, "Sélection de l'usager"), d))
	}
	return h.flowError(c, err)
}

// flowTokenOK reports whether a flow token may name a flow of the current aidant (openFlow's
// first checks).
func flowTokenOK(c *fiber.Ctx, token string) bool {
	return token != "" && len(token) <= 128 && current(c).Organisation != nil
}

// demarcheData fills step 2: the démarches the usager's active autorisations cover, among
// those offered.
func (h *IdP) demarcheData(c *fiber.Ctx, token string, f *store.IdPFlow) (idpview.DemarcheChoiceData, error) {
	org := current(c).Organisation
	keys, err := h.Store.CoveredDemarches(c.UserContext(), f, f.Offered(org))
	d := idpview.DemarcheChoiceData{Flow: token, Usager: f.Usager}
	d.Demarches = store.FindDemarches(keys)
	return d, err
}

// DemarcheChoice is step 2 ("Étape 2 sur 2").
func (h *IdP) DemarcheChoice(c *fiber.Ctx) error {
	token := c.Query("id")
	f, err := h.openFlow(c, token)
	if err != nil {
		return h.flowError(c, err)
	}
	if f.Usager == nil {
		return redirect(c, paths.IdPStep(paths.IdPUsagerChoice, token))
	}
	d, err := h.demarcheData(c, token, f)
	if err != nil {
		return err
	}
	return h.page(c, fiber.StatusOK, f, idpview.DemarcheChoice(h.shell(c, "Sélection de la démarche"), d))
}

// DemarcheChoose completes the flow: the code goes to the client's redirect URI with its state.
func (h *IdP) DemarcheChoose(c *fiber.Ctx) error {
	token := c.FormValue("id")
	if !flowTokenOK(c, token) {
		return h.flowError(c, store.ErrNotFound)
	}
	cur := current(c)
	code, done, err := h.Store.CompleteIdPFlow(c.UserContext(), token, cur.Aidant.ID, cur.Organisation.ID, c.FormValue("demarche"))
	if err == nil {
		return redirectAway(c, done.ResponseURL(url.Values{"code": {code}, "state": {done.State}}))
	}
	if errors.Is(err, store.ErrIdPNoAutorisation) { // the store reads the flow only when it refuses
		f, ferr := h.openFlow(c, token)
		if ferr != nil {
			return h.flowError(c, ferr)
		}
		if f.Usager != nil {
			d, derr := h.demarcheData(c, token, f)
			if derr != nil {
				return derr
			}
			d.Errors.Add("", "Cette démarche n'est pas couverte par un mandat actif de cette personne. Choisissez une des démarches proposées.")
			return h.page(c, fiber.StatusUnprocessableEntity, f, idpview.DemarcheChoice(h.shell(c, "Sélection de la démarche"), d))
		}
	}
	return h.flowError(c, err)
}

// Cancel ends the flow at the aidant's request: error=access_denied for the client.
func (h *IdP) Cancel(c *fiber.Ctx) error {
	return h.endFlow(c, c.FormValue("id"), "access_denied", "the aidant cancelled the authentication")
}

// endFlow forgets the flow and sends the aidant back to the client with an error. A flow
// whose rep_scope named none of our démarches says so, whatever ended it.
func (h *IdP) endFlow(c *fiber.Ctx, token, code, description string) error {
	cur := current(c)
	if token == "" || cur.Organisation == nil {
		return store.ErrNotFound
	}
	f, err := h.Store.CancelIdPFlow(c.UserContext(), token, cur.Aidant.ID, cur.Organisation.ID)
	if err != nil {
		return err
	}
	if f.RepScopeUnmatched {
		description = "none of the requested rep_scope values names a demarche of Aidants Connect"
	}
	return redirectAway(c, f.ResponseURL(url.Values{"error": {code}, "error_description": {description}, "state": {f.State}}))
}

// Logout is the end_session endpoint FranceConnect calls (GET, with or without a trailing
// slash): back to the client's registered post_logout_redirect_uri with the same state. An
// unknown client, URI or hint gets a local page, never a redirect. The aidant's own session
// is not ended: they keep working at the counter.
func (h *IdP) Logout(c *fiber.Ctx) error {
	q, err := url.ParseQuery(string(c.Request().URI().QueryString()))
	uri := q.Get("post_logout_redirect_uri")
	for _, vs := range q {
		if len(vs) > 1 {
			err = errors.New("repeated parameter")
		}
	}
	var client *store.IdPClient
	if err == nil && uri != "" {
		client, err = h.Provider.LogoutClient(c.UserContext(), q.Get("client_id"), q.Get("id_token_hint"))
	}
	if err != nil || uri == "" || !client.HasPostLogoutURI(uri) {
		return h.errorPage(c, fiber.StatusBadRequest, "Déconnexion impossible",
			"La demande de déconnexion est invalide : le service n'est pas reconnu, ou son adresse de retour n'est pas autorisée.")
	}
	target := uri
	if state := q.Get("state"); state != "" {
		target = (&store.IdPFlow{RedirectURI: uri}).ResponseURL(url.Values{"state": {state}})
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(target, fiber.StatusFound)
}
