package app

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"

	"github.com/aidantsconnect/ac/app/idp"
	"github.com/aidantsconnect/ac/assets"
)

// routes is THE route table: every method, path, middleware chain and handler.
func (a *App) routes() {
	h := a.Handlers
	f := a.Fiber

	f.Use(a.requestID, a.accessLog, a.recoverPanic, a.securityHeaders)

	f.Get("/healthz", a.healthz)
	f.Get("/readyz", a.readyz)
	f.Get("/static/*", assets.Handler())
	if a.fcsim != nil {
		// The simulator is its own OpenID provider: its forms and token endpoint are not ours to CSRF-check.
		mountHTTP(f, fcSimPrefix, a.fcsim.Handler())
	}

	// ---- FranceConnect identity provider (issue 4): the relying parties' back channel ----
	// /token, /userinfo (with or without a trailing slash), discovery and JWKS answer in OIDC's
	// JSON: no session, no CSRF check.
	for _, path := range idp.BackChannelPaths() {
		mountHTTP(f, path, a.idp.Handler())
	}
	// ---- end of issue 4 ----

	// Everything below is a page: CSRF on unsafe methods, session and current aidant loaded.
	pages := f.Group("", compress.New(compress.Config{Level: compress.LevelDefault}), a.csrf, a.loadCurrent)

	pages.Get("/", h.Home)
	pages.Get("/accessibilite/", h.TextPage("Déclaration d'accessibilité",
		"Aidants Connect s'engage à rendre son service accessible, conformément à l'article 47 de la loi n° 2005-102 du 11 février 2005.",
		"État de conformité : partiellement conforme, en attente d'un audit complet.",
		"Pour signaler un défaut d'accessibilité, écrivez à l'équipe : vous recevrez une réponse ou l'information sous une autre forme."))
	pages.Get("/mentions-legales/", h.TextPage("Mentions légales",
		"Aidants Connect est un service public numérique de l'État.",
		"Les données personnelles sont traitées pour la seule exécution des mandats et la sécurité du service."))
	pages.Get("/cgu/", h.TextPage("Conditions générales d'utilisation",
		"L'aidant utilise Aidants Connect dans le cadre de ses missions professionnelles, après une formation et une habilitation.",
		"Chaque action réalisée pour le compte d'un usager est enregistrée dans un journal."))

	// Login (reference URLs kept).
	pages.Get("/login/", func(c *fiber.Ctx) error { return c.Redirect("/accounts/login/", fiber.StatusMovedPermanently) })
	pages.Get("/accounts/login/", h.LoginNew)
	pages.Post("/accounts/login/", h.LoginCreate)
	pages.Get("/accounts/login/confirmation/", h.LoginSent)
	pages.Get("/chargement/code/:token/", h.MagicLinkWait)
	pages.Post("/code/:token/", h.MagicLinkLogin)
	pages.Post("/logout-session/", h.Logout)
	pages.Get("/activity_check/", a.requireAidant, h.ActivityCheckNew)
	pages.Post("/activity_check/", a.requireAidant, h.ActivityCheckCreate)

	// Espace aidant: logged in, and active recently (activity check).
	espace := pages.Group("/espace-aidant", a.requireAidant, a.requireActivity)
	espace.Get("/", h.EspaceHome)
	espace.Post("/organisations/switch_main", h.OrganisationSwitch)

	// Mandat creation and renewal: aidants who can create mandats.
	mandats := espace.Group("", a.requireMandatCreator)
	mandats.Get("/creation_mandat/", h.MandatNew)
	mandats.Post("/creation_mandat/", h.MandatCreate)
	mandats.Get("/creation_mandat/recapitulatif/", h.MandatRecap)
	mandats.Post("/creation_mandat/recapitulatif/", h.MandatSign)
	mandats.Get("/renew_mandat/:usager", h.MandatRenewNew)
	mandats.Post("/renew_mandat/:usager", h.MandatRenewCreate)
	espace.Get("/mandats/:mandat/attestation/", h.MandatAttestation)
	espace.Get("/mandats/:mandat/attestation.pdf", h.MandatAttestationPDF)
	// The FranceConnect round trip (no activity check: FranceConnect may take the usager a while).
	pages.Get("/fc_authorize/", a.requireAidant, a.requireMandatCreator, h.FCAuthorize)
	pages.Get("/callbackv2/", a.requireAidant, a.requireMandatCreator, h.FCCallback)
	pages.Get("/logout-callback/", a.requireAidant, a.requireMandatCreator, h.FCLogoutCallback)

	// Public verification of a mandat, reached from the QR code.
	pages.Get("/mandats/verifier/:token", h.MandatVerify)

	// ---- FranceConnect identity provider (issue 4): the aidant's pages ----
	// /authorize (and /authorize/): the guard answers a bad client or redirect URI with a page,
	// sends the aidant to log in or to the activity check and back, then the provider checks
	// the rest (errors go back to the client) and leads to step 1.
	ip := a.idpPages
	mountHTTP(pages.Group(idp.PathAuthorize, ip.AuthorizeGuard), "", a.idp.Handler())
	fi := []fiber.Handler{a.requireAidant, a.requireActivity, a.requireMandatCreator}
	pages.Get("/select_usager/", append(fi, ip.UsagerChoice)...)
	pages.Get("/select_usager/resultats/", append(fi, ip.UsagerResults)...) // the search's fragment
	pages.Post("/select_usager/", append(fi, ip.UsagerChoose)...)
	pages.Get("/select_demarche/", append(fi, ip.DemarcheChoice)...)
	pages.Post("/select_demarche/", append(fi, ip.DemarcheChoose)...)
	pages.Post("/annuler_connexion/", append(fi, ip.Cancel)...)
	pages.Get(idp.PathLogout, ip.Logout) // end_session, with or without a trailing slash
	// ---- end of issue 4 ----

	// ---- Espace aidant: usagers, search, revocation (issue 5) ----
	// For aidants who may create mandats (the home shows these tiles to them only). Note that
	// `mandats` is espace.Group("", …): Fiber mounts its guard on the whole /espace-aidant
	// prefix, so every /espace-aidant route registered after it is guarded anyway; saying
	// `mandats` here keeps the table honest. Every id is resolved within the current
	// organisation (404 "introuvable ou inaccessible" otherwise).
	mandats.Get("/usagers/", h.UsagersIndex) // full page, or the results fragment for the live search
	mandats.Get("/usagers/:usager/", h.UsagerShow)
	mandats.Get("/mandats/:mandat/revoquer/", h.MandatRevokeNew)
	mandats.Post("/mandats/:mandat/revoquer/", h.MandatRevokeCreate)
	mandats.Get("/mandats/:mandat/revoquer/succes/", h.MandatRevokeDone)
	mandats.Get("/mandats/:mandat/revocation/", h.MandatRevocation)
	mandats.Get("/mandats/:mandat/autorisations/:autorisation/revoquer/", h.AutorisationRevokeNew)
	mandats.Post("/mandats/:mandat/autorisations/:autorisation/revoquer/", h.AutorisationRevokeCreate)
	mandats.Get("/mandats/:mandat/autorisations/:autorisation/revoquer/succes/", h.AutorisationRevokeDone)
	mandats.Get("/mandats/:mandat/autorisations/:autorisation/revocation/", h.AutorisationRevocation)
	// ---- end of issue 5 routes ----

	if a.Cfg.Dev() {
		pages.Get("/dev/emails/", h.DevEmails)
	}

	f.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}
