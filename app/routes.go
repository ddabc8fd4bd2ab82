package app

import (
	"slices"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"

	"github.com/aidantsconnect/ac/app/idp"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/assets"
)

// routes is THE route table: every method, path, guard chain and handler, one block per
// audience. Every route names its chain: nothing is guarded by the order it is registered in
// (in Fiber v2 a group without a prefix of its own is Use, which guards every route registered
// after it). The route table test (routes_test.go) asserts what each audience gets from every
// route.
func (a *App) routes() {
	h, fi, f := a.Handlers, a.idpPages, a.Fiber

	// Transport, for every request.
	f.Use(a.requestID, a.accessLog, a.recoverPanic, a.securityHeaders, a.checkInput)

	// The guard chains. A page is compressed, CSRF-checked on unsafe methods, and knows its
	// session's aidant; the audiences narrow from there.
	page := []fiber.Handler{compress.New(compress.Config{Level: compress.LevelDefault}), a.csrf, h.LoadCurrent}
	signedIn := chain(page, h.RequireAidant)             // logged in, whatever their current organisation
	aidant := chain(signedIn, h.RequireOrganisation)     // … in a current organisation, active and theirs
	active := chain(aidant, h.RequireActivity)           // … and active recently (else the activity check)
	creator := chain(active, h.RequireMandatCreator)     // … and allowed to create mandats
	fcRoundTrip := chain(aidant, h.RequireMandatCreator) // no activity check: FranceConnect may take the usager a while
	referent := chain(active, h.RequireReferent)         // … and référent of the current organisation
	// The usager's chains are in its block.
	staffOnly := chain(page, h.RequireStaff, h.RequireActivity) // a staff account (else 404), active recently

	// Assets and health: no session, no CSRF.
	f.Get(paths.Healthz, a.healthz)
	f.Get(paths.Readyz, a.readyz)
	f.Get(paths.Static+"*", assets.Handler())
	f.Get(paths.Favicon, assets.Favicon())

	// The journal's signed checkpoints, for auditors: no session, no personal data.
	f.Get(paths.JournalCheckpoints, h.JournalCheckpoints)

	// OIDC back channel of our identity provider: /token, /userinfo (with or without a trailing
	// slash), discovery and JWKS answer relying parties' servers in OIDC's JSON. No session, no
	// CSRF check.
	for _, path := range idp.BackChannelPaths() {
		mountHTTP(f, path, a.idp.Handler())
	}
	if a.fcsim != nil {
		// Dev and sandbox: the FranceConnect simulator is its own OpenID provider, with its own
		// forms and back channel; they are not ours to CSRF-check.
		mountHTTP(f, paths.FCSim, a.fcsim.Handler())
	}

	// Public pages.
	f.Get(paths.Home, with(page, h.Home)...)
	f.Get(paths.Accessibilite, with(page, h.TextPage("Déclaration d'accessibilité",
		"Aidants Connect s'engage à rendre son service accessible, conformément à l'article 47 de la loi n° 2005-102 du 11 février 2005.",
		"État de conformité : partiellement conforme, en attente d'un audit complet.",
		"Pour signaler un défaut d'accessibilité, écrivez à l'équipe : vous recevrez une réponse ou l'information sous une autre forme."))...)
	f.Get(paths.MentionsLegales, with(page, h.TextPage("Mentions légales",
		"Aidants Connect est un service public numérique de l'État.",
		"Les données personnelles sont traitées pour la seule exécution des mandats et la sécurité du service."))...)
	f.Get(paths.CGU, with(page, h.TextPage("Conditions générales d'utilisation",
		"L'aidant utilise Aidants Connect dans le cadre de ses missions professionnelles, après une formation et une habilitation.",
		"Chaque action réalisée pour le compte d'un usager est enregistrée dans un journal."))...)
	f.Get(paths.MandatVerifyPattern, with(page, h.MandatVerify)...) // behind the attestation's QR code
	f.Get(paths.Stats, with(page, h.StatsShow)...)                  // the last recount's figures (one row read)
	f.Get(paths.StatsCSV, with(page, h.StatsCSV)...)
	if a.Cfg.Dev() {
		f.Get(paths.DevEmails, with(page, h.DevEmails)...) // the outbox, dev and sandbox only (sandbox: the demo accounts' mail only)
		// The bac à sable: a trainee's sign-up, and their own outbox at the token given then.
		sb := a.sandboxPages
		f.Get(paths.SandboxSignup, with(page, sb.SignupNew)...)
		f.Post(paths.SandboxSignup, with(page, sb.SignupCreate)...)
		f.Get(paths.SandboxOutboxPattern, with(page, sb.Outbox)...)
	}

	// Login, for anyone; the activity check, for a logged-in aidant.
	f.Get(paths.LegacyLogin, with(page, h.LegacyLogin)...)
	f.Get(paths.Login, with(page, h.LoginNew)...)
	f.Post(paths.Login, with(page, h.LoginCreate)...)
	f.Get(paths.LoginSent, with(page, h.LoginSent)...)
	f.Get(paths.MagicLinkWaitPattern, with(page, h.MagicLinkWait)...)
	f.Post(paths.MagicLinkPattern, with(page, h.MagicLinkLogin)...)
	f.Post(paths.Logout, with(page, h.Logout)...)
	// The activity check and the organisation switch need no current organisation: they are
	// how an aidant whose organisation was deactivated moves to another (RequireOrganisation).
	f.Get(paths.ActivityCheck, with(signedIn, h.ActivityCheckNew)...)
	f.Post(paths.ActivityCheck, with(signedIn, h.ActivityCheckCreate)...)
	f.Post(paths.ActivityExtend, with(signedIn, h.ActivityExtend)...)

	// Espace aidant: any aidant, active recently.
	f.Get(paths.Espace, with(active, h.EspaceHome)...)
	f.Get(paths.EspacePreferences, with(active, h.EspacePreferences)...)
	f.Post(paths.EspacePreferences, with(active, h.EspacePreferencesSave)...)
	f.Post(paths.OrganisationSwitch, with(chain(signedIn, h.RequireActivity), h.OrganisationSwitch)...)

	// Aidants who may create mandats: the wizard, renewal, attestations, usagers and
	// revocation. Every id is resolved within the current organisation (404 "introuvable ou
	// inaccessible" otherwise).
	f.Get(paths.MandatNew, with(creator, h.MandatNew)...)
	f.Post(paths.MandatNew, with(creator, h.MandatCreate)...)
	f.Get(paths.MandatRecap, with(creator, h.MandatRecap)...)
	f.Post(paths.MandatRecap, with(creator, h.MandatSign)...)
	f.Get(paths.MandatRecapEdit, with(creator, h.MandatRecapEdit)...)
	f.Post(paths.MandatRecapEdit, with(creator, h.MandatRecapUpdate)...)
	f.Post(paths.MandatCancel, with(creator, h.MandatCancel)...)
	f.Get(paths.MandatRenewPattern, with(creator, h.MandatRenewNew)...)
	f.Post(paths.MandatRenewPattern, with(creator, h.MandatRenewCreate)...)
	f.Get(paths.MandatAttestationPattern, with(creator, h.MandatAttestation)...)
	f.Get(paths.MandatAttestationPDFPattern, with(creator, h.MandatAttestationPDF)...)
	f.Get(paths.FCAuthorize, with(fcRoundTrip, h.FCAuthorize)...)
	f.Get(paths.FCCallback, with(fcRoundTrip, h.FCCallback)...)
	f.Get(paths.FCLogoutCallback, with(fcRoundTrip, h.FCLogoutCallback)...)
	f.Get(paths.Usagers, with(creator, h.UsagersIndex)...) // full page, or the results fragment for the live search
	f.Get(paths.UsagerPattern, with(creator, h.UsagerShow)...)
	f.Get(paths.MandatRevokePattern, with(creator, h.MandatRevokeNew)...)
	f.Post(paths.MandatRevokePattern, with(creator, h.MandatRevokeCreate)...)
	f.Get(paths.MandatRevokeDonePattern, with(creator, h.MandatRevokeDone)...)
	f.Get(paths.MandatRevocationPattern, with(creator, h.MandatRevocation)...)
	f.Get(paths.MandatRevocationPDFPattern, with(creator, h.MandatRevocationPDF)...)
	f.Get(paths.AutorisationRevokePattern, with(creator, h.AutorisationRevokeNew)...)
	f.Post(paths.AutorisationRevokePattern, with(creator, h.AutorisationRevokeCreate)...)
	f.Get(paths.AutorisationRevokeDonePattern, with(creator, h.AutorisationRevokeDone)...)
	f.Get(paths.AutorisationRevocationPattern, with(creator, h.AutorisationRevocation)...)
	f.Get(paths.AutorisationRevocationPDFPattern, with(creator, h.AutorisationRevocationPDF)...)

	// Identity provider pages (we are FranceConnect's FI): /authorize (with or without a
	// trailing slash) first checks the client and its redirect URI (a page if they are bad,
	// never a redirect), then wants an aidant who may create mandats and entered a code
	// recently (the login and the activity check come back to it); then the provider checks
	// the rest (errors go back to the client) and leads to step 1.
	authorize := chain(page, fi.AuthorizeClient, h.RequireAidant, h.RequireOrganisation, h.RequireMandatCreator, h.RequireRecentCode)
	mountHTTP(f, paths.IdPAuthorize, a.idp.Handler(), authorize...)
	f.Get(paths.IdPUsagerChoice, with(creator, fi.UsagerChoice)...)
	f.Get(paths.IdPUsagerResults, with(creator, fi.UsagerResults)...)
	f.Post(paths.IdPUsagerChoice, with(creator, fi.UsagerChoose)...)
	f.Get(paths.IdPDemarcheChoice, with(creator, fi.DemarcheChoice)...)
	f.Post(paths.IdPDemarcheChoice, with(creator, fi.DemarcheChoose)...)
	f.Post(paths.IdPCancel, with(creator, fi.Cancel)...)
	f.Get(paths.IdPLogout, with(page, fi.Logout)...) // end_session, for FranceConnect; with or without a trailing slash

	// Espace référent: a référent of the current organisation, active recently. Every id is
	// resolved within the organisations they manage, in the store's SQL (404 "introuvable ou
	// inaccessible" otherwise); the reference's former /espace-responsable/… paths answer 301.
	r := a.referentPages
	f.Get(paths.LegacyReferent+"*", with(page, h.LegacyReferent)...)
	f.Get(paths.Referent, with(referent, r.ReferentHome)...)
	f.Get(paths.ReferentOrganisation, with(referent, r.ReferentOrganisation)...)
	f.Post(paths.ReferentDemarches, with(referent, r.ReferentDemarchesUpdate)...)
	f.Post(paths.ReferentSwitch, with(referent, r.ReferentSwitch)...)
	f.Get(paths.ReferentAidants, with(referent, r.ReferentAidants)...) // full page, or the results fragment for the live filter
	f.Get(paths.ReferentAddAidant, with(referent, r.ReferentAddAidant)...)
	f.Get(paths.ReferentAddUntrained, with(referent, r.UntrainedNew)...)
	f.Post(paths.ReferentAddUntrained, with(referent, r.UntrainedCreate)...)
	f.Get(paths.ReferentAddTrained, with(referent, r.TrainedNew)...)
	f.Post(paths.ReferentAddTrained, with(referent, r.TrainedCreate)...)
	f.Get(paths.ReferentAidantPattern, with(referent, r.ReferentAidantShow)...)
	f.Post(paths.ReferentCarteLinkPattern, with(referent, r.CarteLink)...)
	f.Post(paths.ReferentCarteValidatePattern, with(referent, r.CarteValidate)...)
	f.Post(paths.ReferentCarteUnlinkPattern, with(referent, r.CarteUnlink)...)
	f.Post(paths.ReferentAppStartPattern, with(referent, r.AppStart)...)
	f.Post(paths.ReferentAppConfirmPattern, with(referent, r.AppConfirm)...)
	f.Post(paths.ReferentAppRemovePattern, with(referent, r.AppRemove)...)
	f.Post(paths.ReferentDeactivatePattern, with(referent, r.AidantDeactivate)...)
	f.Post(paths.ReferentReactivatePattern, with(referent, r.AidantReactivate)...)
	f.Post(paths.ReferentMembershipsPattern, with(referent, r.AidantMemberships)...)
	f.Post(paths.ReferentHabilitationCancelPattern, with(referent, r.HabilitationCancel)...)
	f.Post(paths.ReferentStructureChangeCancelPattern, with(referent, r.StructureChangeCancel)...)
	f.Get(paths.ReferentCoReferents, with(referent, r.CoReferents)...)
	f.Post(paths.ReferentCoReferents, with(referent, r.CoReferentPromote)...)
	f.Post(paths.ReferentCoReferentRequest, with(referent, r.CoReferentRequestCreate)...)
	f.Post(paths.ReferentCoReferentCancelPattern, with(referent, r.CoReferentCancel)...)
	f.Get(paths.ReferentOTPWelcome, with(referent, r.OTPWelcome)...)
	f.Post(paths.ReferentOTPDismiss, with(referent, r.OTPDismiss)...)
	f.Get(paths.ReferentOTPDownload, with(referent, r.OTPDownload)...)
	f.Post(paths.ReferentOTPDownload, with(referent, r.OTPStart)...)
	f.Get(paths.ReferentOTPScan, with(referent, r.OTPScan)...)
	f.Post(paths.ReferentOTPScan, with(referent, r.OTPConfirm)...)
	f.Get(paths.ReferentOTPDone, with(referent, r.OTPDone)...)

	// The habilitation form: public, no account. The demandeur's pages are reached by the
	// token of their space (a random secret, never an id); every store call checks that the
	// request is theirs.
	hb := a.habPages
	f.Get(paths.Habilitation, with(page, hb.HabilitationStart)...)
	f.Get(paths.HabilitationDemandeur, with(page, hb.DemandeurNew)...)
	f.Post(paths.HabilitationDemandeur, with(page, hb.DemandeurCreate)...)
	f.Get(paths.HabilitationEmailSent, with(page, hb.HabilitationEmailSent)...)
	f.Get(paths.HabilitationFollow, with(page, hb.FollowNew)...)
	f.Post(paths.HabilitationFollow, with(page, hb.FollowCreate)...)
	f.Get(paths.HabilitationConfirmPattern, with(page, hb.HabilitationConfirm)...)
	f.Get(paths.HabilitationSpacePattern, with(page, hb.DemandeurSpace)...)
	f.Get(paths.HabilitationSiretPattern, with(page, hb.SiretNew)...)
	f.Post(paths.HabilitationSiretPattern, with(page, hb.SiretCreate)...)
	f.Get(paths.HabilitationRequestPattern, with(page, hb.RequestShow)...)
	f.Get(paths.HabilitationStructurePattern, with(page, hb.StructureEdit)...)
	f.Post(paths.HabilitationStructurePattern, with(page, hb.StructureUpdate)...)
	f.Get(paths.HabilitationReferentPattern, with(page, hb.ReferentEdit)...)
	f.Post(paths.HabilitationReferentPattern, with(page, hb.ReferentUpdate)...)
	f.Get(paths.HabilitationAidantsPattern, with(page, hb.AidantsEdit)...)
	f.Post(paths.HabilitationAidantsPattern, with(page, hb.AidantsUpdate)...)
	f.Get(paths.HabilitationSummaryPattern, with(page, hb.SummaryShow)...)
	f.Post(paths.HabilitationSummaryPattern, with(page, hb.SummarySubmit)...)
	f.Post(paths.HabilitationMessagePattern, with(page, hb.MessageCreate)...)

	// Staff back-office: the national team's staff accounts, active recently; 404 to
	// everyone else, anonymous included.
	st := a.staffPages
	f.Get(paths.Staff, with(staffOnly, st.StaffHome)...)
	f.Get(paths.StaffRequests, with(staffOnly, st.StaffRequests)...)
	f.Get(paths.StaffRequestPattern, with(staffOnly, st.StaffRequestShow)...)
	f.Post(paths.StaffRequestValidatePattern, with(staffOnly, st.StaffRequestValidate)...)
	f.Post(paths.StaffRequestRefusePattern, with(staffOnly, st.StaffRequestRefuse)...)
	f.Post(paths.StaffRequestAskPattern, with(staffOnly, st.StaffRequestAsk)...)
	f.Post(paths.StaffRequestWaitPattern, with(staffOnly, st.StaffRequestWait)...)
	f.Post(paths.StaffRequestMessagePattern, with(staffOnly, st.StaffRequestMessage)...)
	f.Post(paths.StaffRequestProposePattern, with(staffOnly, st.StaffRequestPropose)...)
	f.Get(paths.StaffAidantRequests, with(staffOnly, st.StaffAidantRequests)...)
	f.Post(paths.StaffAidantRequestEligiblePattern, with(staffOnly, st.StaffAidantRequestEligible)...)
	f.Post(paths.StaffAidantRequestTrainedPattern, with(staffOnly, st.StaffAidantRequestTrained)...)
	f.Post(paths.StaffAidantRequestRefusePattern, with(staffOnly, st.StaffAidantRequestRefuse)...)
	f.Get(paths.StaffCartes, with(staffOnly, st.StaffCartes)...)
	f.Get(paths.StaffCartesImport, with(staffOnly, st.StaffCartesImportNew)...)
	f.Post(paths.StaffCartesImport, with(staffOnly, st.StaffCartesImport)...)
	f.Post(paths.StaffCarteUnlinkPattern, with(staffOnly, st.StaffCarteUnlink)...)
	f.Get(paths.StaffOrganisations, with(staffOnly, st.StaffOrganisations)...)
	f.Get(paths.StaffOrganisationPattern, with(staffOnly, st.StaffOrganisationShow)...)
	f.Post(paths.StaffOrganisationDeactivatePattern, with(staffOnly, st.StaffOrganisationDeactivate)...)
	f.Post(paths.StaffOrganisationReactivatePattern, with(staffOnly, st.StaffOrganisationReactivate)...)
	f.Get(paths.StaffAidants, with(staffOnly, st.StaffAidants)...)
	f.Get(paths.StaffAidantPattern, with(staffOnly, st.StaffAidantShow)...)
	f.Post(paths.StaffAidantDeactivatePattern, with(staffOnly, st.StaffAidantDeactivate)...)
	f.Post(paths.StaffAidantReactivatePattern, with(staffOnly, st.StaffAidantReactivate)...)
	f.Get(paths.StaffJobs, with(staffOnly, st.StaffJobs)...)
	f.Post(paths.StaffJobRetryPattern, with(staffOnly, st.StaffJobRetry)...)
	f.Post(paths.StaffJobCancelPattern, with(staffOnly, st.StaffJobCancel)...)

	// Espace usager: the person represented, signed in through FranceConnect into a session
	// of their own (its cookie, scoped to the space, in its own store). No aidant session is
	// read here, and the usager's session reaches nothing outside. Every id is resolved
	// within the usager's own mandats.
	u := a.usagerPages
	usagerPage := []fiber.Handler{compress.New(compress.Config{Level: compress.LevelDefault}), a.csrf, u.LoadUsager}
	usagerSpace := chain(usagerPage, u.RequireUsager) // signed in (else the space's sign-in page)
	f.Get(paths.MonEspaceLogin, with(usagerPage, u.MonEspaceLogin)...)
	f.Get(paths.MonEspaceFCAuthorize, with(usagerPage, u.MonEspaceFCAuthorize)...)
	f.Get(paths.MonEspaceFCCallback, with(usagerPage, u.MonEspaceFCCallback)...)
	f.Get(paths.MonEspaceLoggedOut, with(usagerPage, u.MonEspaceLoggedOut)...)
	f.Post(paths.MonEspaceLogout, with(usagerSpace, u.MonEspaceLogout)...)
	f.Get(paths.MonEspace, with(usagerSpace, u.MonEspaceHome)...)
	f.Get(paths.MonEspaceUses, with(usagerSpace, u.MonEspaceUsesIndex)...)
	f.Get(paths.MonEspaceMandatPDFPattern, with(usagerSpace, u.MonEspaceMandatPDF)...)
	f.Get(paths.MonEspaceMandatRevokePattern, with(usagerSpace, u.MonEspaceMandatRevokeNew)...)
	f.Post(paths.MonEspaceMandatRevokePattern, with(usagerSpace, u.MonEspaceMandatRevokeCreate)...)
	f.Get(paths.MonEspaceMandatRevocationPattern, with(usagerSpace, u.MonEspaceMandatRevocation)...)
	f.Get(paths.MonEspaceAutorisationRevokePattern, with(usagerSpace, u.MonEspaceAutorisationRevokeNew)...)
	f.Post(paths.MonEspaceAutorisationRevokePattern, with(usagerSpace, u.MonEspaceAutorisationRevokeCreate)...)
	f.Get(paths.MonEspaceAutorisationRevocationPattern, with(usagerSpace, u.MonEspaceAutorisationRevocation)...)
	f.Get(paths.MonEspaceMandatRevocationPDFPattern, with(usagerSpace, u.MonEspaceMandatRevocationPDF)...)
	f.Get(paths.MonEspaceAutorisationRevocationPDFPattern, with(usagerSpace, u.MonEspaceAutorisationRevocationPDF)...)

	// Anything else: the 404 page, with the session so the header shows who is logged in.
	notFound := with(page, func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	f.Use(anys(notFound)...)
}

// chain is a guard chain extended by more guards, in a new slice: appending to a shared
// chain could overwrite another route's handlers.
func chain(base []fiber.Handler, more ...fiber.Handler) []fiber.Handler {
	return slices.Concat(base, more)
}

// with is a chain ending in its handler, for fiber's variadic Get/Post.
func with(base []fiber.Handler, handler fiber.Handler) []fiber.Handler {
	return slices.Concat(base, []fiber.Handler{handler})
}

// anys is a chain as fiber's Use takes it.
func anys(handlers []fiber.Handler) []any {
	out := make([]any, len(handlers))
	for i, h := range handlers {
		out[i] = h
	}
	return out
}
