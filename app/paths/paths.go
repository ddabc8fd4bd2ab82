// Package paths names every URL the service answers: the route table registers the patterns,
// handlers redirect to the builders, views link to them, and nothing else writes a path.
//
// A pattern with parameters ("/espace-aidant/usagers/:usager/") has a builder of the same name
// without the Pattern suffix (Usager(id)) that fills the parameters in order; TestBuilders
// checks that each builder's output is matched by its pattern. The package is a leaf: it
// imports nothing of ours, so views, handlers, app/idp and tests may all use it.
package paths

import (
	"net/url"
	"strconv"
	"strings"
)

// Public pages.
const (
	Home            = "/"
	Accessibilite   = "/accessibilite/"
	MentionsLegales = "/mentions-legales/"
	CGU             = "/cgu/"
	// MandatVerifyPattern is the public check of a mandat, behind its QR code.
	MandatVerifyPattern = "/mandats/verifier/:token"
)

// Login and session (the reference service's URLs are kept).
const (
	LegacyLogin          = "/login/"
	Login                = "/accounts/login/"
	LoginSent            = "/accounts/login/confirmation/"
	MagicLinkWaitPattern = "/chargement/code/:token/" // what the e-mail links to: a page, never a login by GET
	MagicLinkPattern     = "/code/:token/"            // the POST that consumes the link
	Logout               = "/logout-session/"
	ActivityCheck        = "/activity_check/"
	ActivityExtend       = "/activity_check/rester-connecte/" // « Rester connecté », from the warning before the check
)

// Espace aidant.
const (
	Espace             = "/espace-aidant/"
	OrganisationSwitch = "/espace-aidant/organisations/switch_main"
	// EspacePreferences is the aidant's « Mon compte » preferences (the weekly digest).
	EspacePreferences = "/espace-aidant/mon-compte/preferences/"

	MandatNew          = "/espace-aidant/creation_mandat/"
	MandatRecap        = "/espace-aidant/creation_mandat/recapitulatif/"
	MandatRenewPattern = "/espace-aidant/renew_mandat/:usager"
	// Mandats begins the address of every page of one mandat (Mandats + its id + "/…").
	Mandats                     = "/espace-aidant/mandats/"
	MandatAttestationPattern    = Mandats + ":mandat/attestation/"
	MandatAttestationPDFPattern = Mandats + ":mandat/attestation.pdf"
	// From the recap: change the run's démarches and duration (no new FranceConnect round
	// trip), or give the run up.
	MandatRecapEdit = "/espace-aidant/creation_mandat/recapitulatif/modifier/"
	MandatCancel    = "/espace-aidant/creation_mandat/annuler/"

	Usagers                       = "/espace-aidant/usagers/"
	UsagerPattern                 = "/espace-aidant/usagers/:usager/"
	MandatRevokePattern           = Mandats + ":mandat/revoquer/"
	MandatRevokeDonePattern       = Mandats + ":mandat/revoquer/succes/"
	MandatRevocationPattern       = Mandats + ":mandat/revocation/"
	MandatRevocationPDFPattern    = Mandats + ":mandat/revocation.pdf"
	AutorisationRevokePattern     = Mandats + ":mandat/autorisations/:autorisation/revoquer/"
	AutorisationRevokeDonePattern = Mandats + ":mandat/autorisations/:autorisation/revoquer/succes/"
	AutorisationRevocationPattern = Mandats + ":mandat/autorisations/:autorisation/revocation/"
	// AutorisationRevocationPDFPattern is the revocation attestation of one autorisation, as a PDF.
	AutorisationRevocationPDFPattern = Mandats + ":mandat/autorisations/:autorisation/revocation.pdf"
)

// Espace référent: the organisation a référent manages, its aidants and their cartes. The
// reference's paths are kept; its older /espace-responsable/… ones answer 301 (LegacyReferent).
const (
	Referent             = "/espace-referent/"
	ReferentOrganisation = "/espace-referent/organisation/"
	ReferentDemarches    = "/espace-referent/organisation/demarches/"
	ReferentSwitch       = "/espace-referent/organisation/changer/"
	ReferentAidants      = "/espace-referent/aidants/"

	ReferentAidantPattern        = "/espace-referent/aidant/:aidant/"
	ReferentCarteLinkPattern     = "/espace-referent/aidant/:aidant/lier-carte/"
	ReferentCarteValidatePattern = "/espace-referent/aidant/:aidant/valider-carte/"
	ReferentCarteUnlinkPattern   = "/espace-referent/aidant/:aidant/supprimer-carte/"
	ReferentAppStartPattern      = "/espace-referent/aidant/:aidant/ajouter-otp-app/"
	ReferentAppConfirmPattern    = "/espace-referent/aidant/:aidant/valider-otp-app/"
	ReferentAppRemovePattern     = "/espace-referent/aidant/:aidant/supprimer-otp-app/"
	ReferentDeactivatePattern    = "/espace-referent/aidant/:aidant/desactiver/"
	ReferentReactivatePattern    = "/espace-referent/aidant/:aidant/reactiver/"
	ReferentMembershipsPattern   = "/espace-referent/aidant/:aidant/changer-organisations/"

	ReferentAddAidant                    = "/espace-referent/aidant/ajouter/profil/"
	ReferentAddUntrained                 = "/espace-referent/aidant/ajouter/aidants-non-formes/"
	ReferentAddTrained                   = "/espace-referent/aidant/ajouter/aidants-formes/"
	ReferentHabilitationCancelPattern    = "/espace-referent/aidant-a-former/:demande/annuler-demande/"
	ReferentStructureChangeCancelPattern = "/espace-referent/demande-changement-structure/:demande/annuler/"

	ReferentCoReferents             = "/espace-referent/referents/"
	ReferentCoReferentRequest       = "/espace-referent/referents/non-aidant/"
	ReferentCoReferentCancelPattern = "/espace-referent/referents/non-aidant/:demande/annuler/"

	// The référent's own first authenticator app.
	ReferentOTPWelcome  = "/espace-referent/configurer-otp/bienvenue/"
	ReferentOTPDismiss  = "/espace-referent/configurer-otp/quitter/"
	ReferentOTPDownload = "/espace-referent/configurer-otp/telecharger-application/"
	ReferentOTPScan     = "/espace-referent/configurer-otp/scanner-qr-code/"
	ReferentOTPDone     = "/espace-referent/configurer-otp/felicitations/"

	// LegacyReferent is the reference's former prefix; what follows it is kept.
	LegacyReferent = "/espace-responsable/"
)

// Our FranceConnect client (we are FS when a mandat is created): the round trip's three ends.
const (
	FCAuthorize      = "/fc_authorize/"
	FCCallback       = "/callbackv2/"
	FCLogoutCallback = "/logout-callback/"
)

// Our FranceConnect identity provider (we are FI). The OIDC endpoints sit at the issuer's
// root; FranceConnect registers /authorize, /token, /userinfo and /logout with a trailing
// slash, and both forms are served.
const (
	IdPAuthorize = "/authorize"
	IdPToken     = "/token"
	IdPUserinfo  = "/userinfo"
	IdPLogout    = "/logout"
	IdPJWKS      = "/jwks"
	IdPDiscovery = "/.well-known/openid-configuration"
	// The aidant's pages of a login, each carrying the flow's token as ?id=.
	IdPUsagerChoice   = "/select_usager/"
	IdPUsagerResults  = "/select_usager/resultats/" // the step 1 search's fragment
	IdPDemarcheChoice = "/select_demarche/"
	IdPCancel         = "/annuler_connexion/"
)

// Espace usager: the person represented, signed in through FranceConnect (we are FS), sees
// the mandats in their name and what was done with them, and may revoke. Everything lives
// under MonEspace, where the usager's session cookie is scoped.
const (
	MonEspace                              = "/mon-espace/"
	MonEspaceLogin                         = "/mon-espace/connexion/"               // the page with the FranceConnect button
	MonEspaceFCAuthorize                   = "/mon-espace/connexion/franceconnect/" // starts the round trip
	MonEspaceFCCallback                    = "/mon-espace/connexion/retour/"        // FranceConnect's redirect URI for the space
	MonEspaceLogout                        = "/mon-espace/deconnexion/"             // POST: our session ends, then FranceConnect's
	MonEspaceLoggedOut                     = "/mon-espace/deconnexion/fin/"         // FranceConnect's post-logout redirect URI
	MonEspaceUses                          = "/mon-espace/demarches/"
	MonEspaceMandatPDFPattern              = "/mon-espace/mandats/:mandat/attestation.pdf"
	MonEspaceMandatRevokePattern           = "/mon-espace/mandats/:mandat/revoquer/"
	MonEspaceMandatRevocationPattern       = "/mon-espace/mandats/:mandat/revocation/"
	MonEspaceAutorisationRevokePattern     = "/mon-espace/mandats/:mandat/autorisations/:autorisation/revoquer/"
	MonEspaceAutorisationRevocationPattern = "/mon-espace/mandats/:mandat/autorisations/:autorisation/revocation/"
	// The revocation attestations as PDF, like the aidants' (MandatRevocationPDFPattern).
	MonEspaceMandatRevocationPDFPattern       = "/mon-espace/mandats/:mandat/revocation.pdf"
	MonEspaceAutorisationRevocationPDFPattern = "/mon-espace/mandats/:mandat/autorisations/:autorisation/revocation.pdf"
)

// Public statistics.
const (
	Stats    = "/stats/"
	StatsCSV = "/stats/statistiques.csv"
)

// Development and sandbox only.
const (
	DevEmails = "/dev/emails/"
	// FCSim is the FranceConnect simulator's issuer.
	FCSim = "/fcsim"
)

// The simulator's own paths, below its issuer: FranceConnect's endpoints as it publishes them
// in discovery, its login page, and the demo service site that plays FranceConnect's broker
// for our FI.
const (
	FCSimAuthorize    = "/authorize"
	FCSimToken        = "/token"
	FCSimUserinfo     = "/userinfo"
	FCSimEndSession   = "/session/end" // FC v2's own path
	FCSimJWKS         = "/jwks"
	FCSimLogin        = "/login"
	FCSimDemo         = "/demo/"
	FCSimDemoLogin    = "/demo/connexion"
	FCSimDemoCallback = "/demo/callback"
)

// The journal's signed checkpoints, public: an auditor fetches and keeps them (no personal
// data), and `ac journal verify` checks the journal against the copies.
const JournalCheckpoints = "/journal/points-de-controle.json"

// Transport.
const (
	Healthz = "/healthz"
	Readyz  = "/readyz"
	Static  = "/static/" // assets, under content-hashed names
	// Metrics is served on AC_METRICS_ADDR only, a listener of its own: never on the public one.
	Metrics = "/metrics"
	// Favicon is where browsers look for an icon whatever the page names.
	Favicon = "/favicon.ico"
)

// MagicLinkWait is the page an e-mailed login link opens.
func MagicLinkWait(token string) string { return fill(MagicLinkWaitPattern, token) }

// MagicLink is where the wait page posts the token.
func MagicLink(token string) string { return fill(MagicLinkPattern, token) }

// MandatVerify is the public check of a mandat (the QR code holds BaseURL + this).
func MandatVerify(token string) string { return fill(MandatVerifyPattern, token) }

// LoginThen is the login page, coming back to next afterwards ("" for the default).
func LoginThen(next string) string { return withNext(Login, next) }

// ActivityCheckThen asks for a code again, then comes back to next.
func ActivityCheckThen(next string) string { return withNext(ActivityCheck, next) }

func MandatRenew(usagerID int64) string { return fill(MandatRenewPattern, id(usagerID)) }

func MandatAttestation(mandatID int64) string { return fill(MandatAttestationPattern, id(mandatID)) }

// MandatAttestationCreated is the attestation right after the mandat was signed.
func MandatAttestationCreated(mandatID int64) string {
	return MandatAttestation(mandatID) + "?cree=1"
}

func MandatAttestationPDF(mandatID int64) string {
	return fill(MandatAttestationPDFPattern, id(mandatID))
}

func Usager(usagerID int64) string { return fill(UsagerPattern, id(usagerID)) }

// UsagersTab is the usagers list on a tab and page, keeping the search q ("" for none).
func UsagersTab(tab, q string, page int) string {
	v := url.Values{"onglet": {tab}}
	if q != "" {
		v.Set("q", q)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return Usagers + "?" + v.Encode()
}

// ExpireSoonParam and ExpireSoonValue narrow the actifs tab to the mandats ending within 30
// days (?expire=bientot): the espace home's notice links there.
const (
	ExpireSoonParam = "expire"
	ExpireSoonValue = "bientot"
)

// UsagersExpiringSoon is the actifs tab narrowed to the mandats ending within 30 days, on a
// page, keeping the search q.
func UsagersExpiringSoon(q string, page int) string {
	v := url.Values{"onglet": {"actifs"}, ExpireSoonParam: {ExpireSoonValue}}
	if q != "" {
		v.Set("q", q)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return Usagers + "?" + v.Encode()
}

func MandatRevoke(mandatID int64) string { return fill(MandatRevokePattern, id(mandatID)) }

func MandatRevokeDone(mandatID int64) string { return fill(MandatRevokeDonePattern, id(mandatID)) }

func MandatRevocation(mandatID int64) string { return fill(MandatRevocationPattern, id(mandatID)) }

// MandatRevocationPDF is the whole-mandat revocation attestation as a PDF.
func MandatRevocationPDF(mandatID int64) string {
	return fill(MandatRevocationPDFPattern, id(mandatID))
}

func AutorisationRevoke(mandatID, autID int64) string {
	return fill(AutorisationRevokePattern, id(mandatID), id(autID))
}

func AutorisationRevokeDone(mandatID, autID int64) string {
	return fill(AutorisationRevokeDonePattern, id(mandatID), id(autID))
}

func AutorisationRevocation(mandatID, autID int64) string {
	return fill(AutorisationRevocationPattern, id(mandatID), id(autID))
}

// AutorisationRevocationPDF is one autorisation's revocation attestation as a PDF.
func AutorisationRevocationPDF(mandatID, autID int64) string {
	return fill(AutorisationRevocationPDFPattern, id(mandatID), id(autID))
}

func ReferentAidant(aidantID int64) string { return fill(ReferentAidantPattern, id(aidantID)) }

func ReferentCarteLink(aidantID int64) string { return fill(ReferentCarteLinkPattern, id(aidantID)) }

func ReferentCarteValidate(aidantID int64) string {
	return fill(ReferentCarteValidatePattern, id(aidantID))
}

func ReferentCarteUnlink(aidantID int64) string {
	return fill(ReferentCarteUnlinkPattern, id(aidantID))
}

func ReferentAppStart(aidantID int64) string { return fill(ReferentAppStartPattern, id(aidantID)) }

func ReferentAppConfirm(aidantID int64) string { return fill(ReferentAppConfirmPattern, id(aidantID)) }

func ReferentAppRemove(aidantID int64) string { return fill(ReferentAppRemovePattern, id(aidantID)) }

func ReferentDeactivate(aidantID int64) string { return fill(ReferentDeactivatePattern, id(aidantID)) }

func ReferentReactivate(aidantID int64) string { return fill(ReferentReactivatePattern, id(aidantID)) }

func ReferentMemberships(aidantID int64) string {
	return fill(ReferentMembershipsPattern, id(aidantID))
}

func ReferentHabilitationCancel(requestID int64) string {
	return fill(ReferentHabilitationCancelPattern, id(requestID))
}

func ReferentStructureChangeCancel(requestID int64) string {
	return fill(ReferentStructureChangeCancelPattern, id(requestID))
}

func ReferentCoReferentCancel(requestID int64) string {
	return fill(ReferentCoReferentCancelPattern, id(requestID))
}

// ReferentAidantsFiltered is the aidants list narrowed by q and a status, on a page.
func ReferentAidantsFiltered(q, status string, page int) string {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	if status != "" {
		v.Set("statut", status)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return ReferentAidants
	}
	return ReferentAidants + "?" + v.Encode()
}

// IdPStep is one of the FI pages (IdPUsagerChoice, IdPUsagerResults, IdPDemarcheChoice) for
// the flow with that token.
func IdPStep(page, flow string) string { return page + "?" + url.Values{"id": {flow}}.Encode() }

func withNext(page, next string) string {
	if next == "" {
		return page
	}
	return page + "?" + url.Values{"next": {next}}.Encode()
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

// fill replaces the pattern's ":name" segments, in order, with the values, escaped as path
// segments. A value missing leaves the rest of the pattern as it is: TestBuilders catches it.
func fill(pattern string, values ...string) string {
	parts := strings.Split(pattern, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") && len(values) > 0 {
			parts[i], values = url.PathEscape(values[0]), values[1:]
		}
	}
	return strings.Join(parts, "/")
}

// MonEspaceUsesPage is one page of "what was done for me".
func MonEspaceUsesPage(page int) string {
	if page <= 1 {
		return MonEspaceUses
	}
	return MonEspaceUses + "?" + url.Values{"page": {strconv.Itoa(page)}}.Encode()
}

func MonEspaceMandatPDF(mandatID int64) string {
	return fill(MonEspaceMandatPDFPattern, id(mandatID))
}

func MonEspaceMandatRevoke(mandatID int64) string {
	return fill(MonEspaceMandatRevokePattern, id(mandatID))
}

func MonEspaceMandatRevocation(mandatID int64) string {
	return fill(MonEspaceMandatRevocationPattern, id(mandatID))
}

func MonEspaceAutorisationRevoke(mandatID, autID int64) string {
	return fill(MonEspaceAutorisationRevokePattern, id(mandatID), id(autID))
}

func MonEspaceAutorisationRevocation(mandatID, autID int64) string {
	return fill(MonEspaceAutorisationRevocationPattern, id(mandatID), id(autID))
}

func MonEspaceMandatRevocationPDF(mandatID int64) string {
	return fill(MonEspaceMandatRevocationPDFPattern, id(mandatID))
}

func MonEspaceAutorisationRevocationPDF(mandatID, autID int64) string {
	return fill(MonEspaceAutorisationRevocationPDFPattern, id(mandatID), id(autID))
}

// MonEspaceLoginProblem is the sign-in page telling why the last attempt failed (a key the
// page maps to its message: nothing typed in the URL is shown).
func MonEspaceLoginProblem(key string) string {
	return MonEspaceLogin + "?" + url.Values{"erreur": {key}}.Encode()
}

// MonEspaceMandatRevoked is the mandat's revocation page right after the usager revoked it.
func MonEspaceMandatRevoked(mandatID int64) string {
	return MonEspaceMandatRevocation(mandatID) + "?fait=1"
}

// MonEspaceAutorisationRevoked is the démarche's revocation page right after the usager revoked it.
func MonEspaceAutorisationRevoked(mandatID, autID int64) string {
	return MonEspaceAutorisationRevocation(mandatID, autID) + "?fait=1"
}

// The bac à sable (dev and sandbox only): a trainee's sign-up, and their own outbox and
// accounts, at a URL whose token was given at sign-up.
const (
	SandboxSignup        = "/bac-a-sable/inscription/"
	SandboxOutboxPattern = "/bac-a-sable/boite/:token/"
)

// SandboxOutbox is a trainee's own outbox.
func SandboxOutbox(token string) string { return fill(SandboxOutboxPattern, token) }
