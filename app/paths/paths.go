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
)

// Espace aidant.
const (
	Espace             = "/espace-aidant/"
	OrganisationSwitch = "/espace-aidant/organisations/switch_main"

	MandatNew                   = "/espace-aidant/creation_mandat/"
	MandatRecap                 = "/espace-aidant/creation_mandat/recapitulatif/"
	MandatRenewPattern          = "/espace-aidant/renew_mandat/:usager"
	MandatAttestationPattern    = "/espace-aidant/mandats/:mandat/attestation/"
	MandatAttestationPDFPattern = "/espace-aidant/mandats/:mandat/attestation.pdf"
	// From the recap: change the run's démarches and duration (no new FranceConnect round
	// trip), or give the run up.
	MandatRecapEdit = "/espace-aidant/creation_mandat/recapitulatif/modifier/"
	MandatCancel    = "/espace-aidant/creation_mandat/annuler/"

	Usagers                       = "/espace-aidant/usagers/"
	UsagerPattern                 = "/espace-aidant/usagers/:usager/"
	MandatRevokePattern           = "/espace-aidant/mandats/:mandat/revoquer/"
	MandatRevokeDonePattern       = "/espace-aidant/mandats/:mandat/revoquer/succes/"
	MandatRevocationPattern       = "/espace-aidant/mandats/:mandat/revocation/"
	AutorisationRevokePattern     = "/espace-aidant/mandats/:mandat/autorisations/:autorisation/revoquer/"
	AutorisationRevokeDonePattern = "/espace-aidant/mandats/:mandat/autorisations/:autorisation/revoquer/succes/"
	AutorisationRevocationPattern = "/espace-aidant/mandats/:mandat/autorisations/:autorisation/revocation/"
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

// Transport.
const (
	Healthz = "/healthz"
	Readyz  = "/readyz"
	Static  = "/static/" // assets, under content-hashed names
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

func MandatRevoke(mandatID int64) string { return fill(MandatRevokePattern, id(mandatID)) }

func MandatRevokeDone(mandatID int64) string { return fill(MandatRevokeDonePattern, id(mandatID)) }

func MandatRevocation(mandatID int64) string { return fill(MandatRevocationPattern, id(mandatID)) }

func AutorisationRevoke(mandatID, autID int64) string {
	return fill(AutorisationRevokePattern, id(mandatID), id(autID))
}

func AutorisationRevokeDone(mandatID, autID int64) string {
	return fill(AutorisationRevokeDonePattern, id(mandatID), id(autID))
}

func AutorisationRevocation(mandatID, autID int64) string {
	return fill(AutorisationRevocationPattern, id(mandatID), id(autID))
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
