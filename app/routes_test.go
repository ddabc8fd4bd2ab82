package app_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/assets"
)

// The audiences of the route table, in the order of a row's answers.
const (
	anonymous = iota
	aidant    // an aidant who may not create mandats
	creator   // an aidant who may
	referent  // the organisation's référent (an aidant who may create mandats)
	staff     // the national team: a staff account, of no organisation
	usager    // a usager signed in to their space through FranceConnect (its own session, scoped to the space)
	audiences
)

var audienceNames = [audiences]string{"anonymous", "aidant", "creator", "référent", "staff", "usager"}

// answer is what a request gets: a status and, for a redirect, the start of its Location
// ({url} stands for the server's base URL).
type answer struct {
	status int
	to     string
}

func (a answer) String() string {
	if a.to != "" {
		return fmt.Sprintf("%d → %s…", a.status, a.to)
	}
	return fmt.Sprint(a.status)
}

var (
	ok        = answer{status: http.StatusOK}
	toLogin   = answer{http.StatusSeeOther, paths.Login}
	forbidden = answer{status: http.StatusForbidden}
	notFound  = answer{status: http.StatusNotFound}
	invalid   = answer{status: http.StatusUnprocessableEntity}
	bad       = answer{status: http.StatusBadRequest}
	noMethod  = answer{status: http.StatusMethodNotAllowed}

	unauthorized = answer{status: http.StatusUnauthorized}
)

func see(to string) answer { return answer{http.StatusSeeOther, to} }

type answers [audiences]answer

// everyone gets the same answer.
func everyone(a answer) answers {
	var as answers
	for i := range as {
		as[i] = a
	}
	return as
}

// byAccount is a row's answers when they depend on the aidant account. A usager gets what
// anonymous visitors get: their session counts for nothing outside their space (the test
// sends its cookie everywhere).
func byAccount(anon, aidantAnswer, creatorAnswer, referentAnswer, staffAnswer answer) answers {
	return answers{anon, aidantAnswer, creatorAnswer, referentAnswer, staffAnswer, anon}
}

// toStaff is where a staff account, of no organisation, is sent from the aidants' pages.
var toStaff = see(paths.Staff)

// staffs is a row of the back-office: the staff account gets a, everyone else 404.
func staffs(a answer) answers {
	as := everyone(notFound)
	as[staff] = a
	return as
}

// usagers is a row of the espace usager: the signed-in usager gets a, everyone else (aidant
// sessions included) the space's sign-in page.
func usagers(a answer) answers {
	as := everyone(see(paths.MonEspaceLogin))
	as[usager] = a
	return as
}

// Guarded answers, by chain (app/routes.go).
var (
	activeAidants = func(a answer) answers { return byAccount(toLogin, a, a, a, toStaff) }
	// Signed in, whatever the organisation: staff accounts too.
	signedInAccounts = func(a answer) answers { return byAccount(toLogin, a, a, a, a) }
	creators         = func(a answer) answers { return byAccount(toLogin, forbidden, a, a, toStaff) }
	// The espace référent: aidants who are not référents of their current organisation get 403
	// (the espace exists; it is not theirs). Past the guard, an id of nobody's is 404.
	referents = func(a answer) answers { return byAccount(toLogin, forbidden, forbidden, a, toStaff) }
)

// route is one row of the table: a registered pattern, the path requested for it, and the
// answers by method. A method missing from the map takes "HEAD" from "GET" (Fiber registers
// both), then "*".
type route struct {
	pattern string
	sample  string // "" means the pattern itself; {url} is the base URL
	answers map[string]answers
	// endsSession: the request ends the session it is sent with, so each audience sends it
	// from a session of its own.
	endsSession bool
}

func get(pattern, sample string, as answers) route {
	return route{pattern: pattern, sample: sample, answers: map[string]answers{"GET": as}}
}

func post(pattern, sample string, as answers) route {
	return route{pattern: pattern, sample: sample, answers: map[string]answers{"POST": as}}
}

func getPost(pattern, sample string, g, p answers) route {
	return route{pattern: pattern, sample: sample, answers: map[string]answers{"GET": g, "POST": p}}
}

// mounted is a net/http handler served for every method at pattern and at every path below
// it (sampled by below).
func mounted(pattern, sample, below string, as map[string]answers) []route {
	return []route{{pattern: pattern, sample: sample, answers: as}, {pattern: pattern + "/*", sample: below, answers: as}}
}

// routeTable is what every audience gets from every route. A route without a row fails
// TestRouteTable: each new route brings its row.
func routeTable() []route {
	const id = "1" // an id nobody's data has: past the guards, the handler answers 404
	const nobody = 999_999
	flowEnd := see(paths.MandatNew)
	rows := []route{
		// Assets and health.
		get(paths.Healthz, "", everyone(ok)),
		get(paths.Readyz, "", everyone(ok)),
		get(paths.Static+"*", assets.Path("css/app.css"), everyone(ok)),
		get(paths.Favicon, "", everyone(ok)),

		// The journal's signed checkpoints.
		get(paths.JournalCheckpoints, "", everyone(ok)),

		// Public pages.
		get(paths.Home, "", everyone(ok)),
		get(paths.Accessibilite, "", everyone(ok)),
		get(paths.MentionsLegales, "", everyone(ok)),
		get(paths.CGU, "", everyone(ok)),
		get(paths.MandatVerifyPattern, paths.MandatVerify(strings.Repeat("A", 22)), everyone(notFound)),
		get(paths.DevEmails, "", everyone(ok)), // dev and sandbox only
		// The bac à sable, dev and sandbox only: the sign-up (an empty form: 422), a trainee's
		// space by its token (nobody's: 404). Absent in production: TestSandboxAbsentInProduction.
		getPost(paths.SandboxSignup, "", everyone(ok), everyone(invalid)),
		get(paths.SandboxOutboxPattern, paths.SandboxOutbox("inconnu"), everyone(notFound)),
		get(paths.Stats, "", everyone(ok)),
		get(paths.StatsCSV, "", everyone(notFound)), // before the first recount

		// Login and session.
		get(paths.LegacyLogin, "", everyone(answer{http.StatusMovedPermanently, paths.Login})),
		getPost(paths.Login, "", byAccount(ok, see(paths.Espace), see(paths.Espace), see(paths.Espace), see(paths.Espace)), everyone(invalid)),
		get(paths.LoginSent, "", everyone(ok)),
		get(paths.MagicLinkWaitPattern, paths.MagicLinkWait("unknown"), everyone(ok)),
		post(paths.MagicLinkPattern, paths.MagicLink("unknown"), everyone(see(paths.Login))),
		{pattern: paths.Logout, answers: map[string]answers{"POST": everyone(see(paths.Home))}, endsSession: true},
		getPost(paths.ActivityCheck, "", signedInAccounts(ok), signedInAccounts(invalid)),
		post(paths.ActivityExtend, "", signedInAccounts(ok)),

		// Espace aidant.
		get(paths.Espace, "", activeAidants(ok)),
		getPost(paths.EspacePreferences, "", activeAidants(ok), activeAidants(invalid)), // POST: no choice
		post(paths.OrganisationSwitch, "", signedInAccounts(notFound)),

		// Aidants who may create mandats.
		getPost(paths.MandatNew, "", creators(ok), creators(invalid)),
		getPost(paths.MandatRecap, "", creators(flowEnd), creators(flowEnd)),
		getPost(paths.MandatRecapEdit, "", creators(flowEnd), creators(flowEnd)),
		post(paths.MandatCancel, "", creators(see(paths.Espace))),
		getPost(paths.MandatRenewPattern, paths.MandatRenew(1), creators(notFound), creators(notFound)),
		get(paths.MandatAttestationPattern, paths.MandatAttestation(1), creators(notFound)),
		get(paths.MandatAttestationPDFPattern, paths.MandatAttestationPDF(1), creators(notFound)),
		get(paths.FCAuthorize, "", creators(flowEnd)),
		get(paths.FCCallback, "", creators(flowEnd)),
		get(paths.FCLogoutCallback, "", creators(see(paths.MandatRecap))),
		get(paths.Usagers, "", creators(ok)),
		get(paths.UsagerPattern, paths.Usager(1), creators(notFound)),
		getPost(paths.MandatRevokePattern, paths.MandatRevoke(1), creators(notFound), creators(notFound)),
		get(paths.MandatRevokeDonePattern, paths.MandatRevokeDone(1), creators(notFound)),
		get(paths.MandatRevocationPattern, paths.MandatRevocation(1), creators(notFound)),
		get(paths.MandatRevocationPDFPattern, paths.MandatRevocationPDF(1), creators(notFound)),
		getPost(paths.AutorisationRevokePattern, paths.AutorisationRevoke(1, 1), creators(notFound), creators(notFound)),
		get(paths.AutorisationRevokeDonePattern, paths.AutorisationRevokeDone(1, 1), creators(notFound)),
		get(paths.AutorisationRevocationPattern, paths.AutorisationRevocation(1, 1), creators(notFound)),
		get(paths.AutorisationRevocationPDFPattern, paths.AutorisationRevocationPDF(1, 1), creators(notFound)),

		// Identity provider pages: without a flow of theirs, the steps are 404 to creators.
		getPost(paths.IdPUsagerChoice, paths.IdPStep(paths.IdPUsagerChoice, id), creators(notFound), creators(notFound)),
		get(paths.IdPUsagerResults, paths.IdPStep(paths.IdPUsagerResults, id), creators(notFound)),
		getPost(paths.IdPDemarcheChoice, paths.IdPStep(paths.IdPDemarcheChoice, id), creators(notFound), creators(notFound)),
		post(paths.IdPCancel, "", creators(notFound)),
		get(paths.IdPLogout, "", everyone(bad)), // end_session without a client: a page, never a redirect

		// Espace référent. The référent has an app, so the first-app setup sends them home. The
		// audiences share one organisation, so ids here are nobody's (an aidant of theirs would
		// be acted upon).
		get(paths.LegacyReferent+"*", "/espace-responsable/aidants/?q=jean", everyone(answer{http.StatusMovedPermanently, paths.Referent + "aidants/?q=jean"})),
		get(paths.Referent, "", referents(ok)),
		get(paths.ReferentOrganisation, "", referents(ok)),
		post(paths.ReferentDemarches, "", referents(invalid)), // no démarche ticked
		post(paths.ReferentSwitch, "", referents(notFound)),   // no organisation
		get(paths.ReferentAidants, "", referents(ok)),
		get(paths.ReferentAddAidant, "", referents(ok)),
		getPost(paths.ReferentAddUntrained, "", referents(ok), referents(invalid)),
		getPost(paths.ReferentAddTrained, "", referents(ok), referents(invalid)),
		get(paths.ReferentAidantPattern, paths.ReferentAidant(nobody), referents(notFound)),
		post(paths.ReferentCarteLinkPattern, paths.ReferentCarteLink(nobody), referents(notFound)),
		post(paths.ReferentCarteValidatePattern, paths.ReferentCarteValidate(nobody), referents(notFound)),
		post(paths.ReferentCarteUnlinkPattern, paths.ReferentCarteUnlink(nobody), referents(notFound)),
		post(paths.ReferentAppStartPattern, paths.ReferentAppStart(nobody), referents(notFound)),
		post(paths.ReferentAppConfirmPattern, paths.ReferentAppConfirm(nobody), referents(notFound)),
		post(paths.ReferentAppRemovePattern, paths.ReferentAppRemove(nobody), referents(notFound)),
		post(paths.ReferentDeactivatePattern, paths.ReferentDeactivate(nobody), referents(notFound)),
		post(paths.ReferentReactivatePattern, paths.ReferentReactivate(nobody), referents(notFound)),
		post(paths.ReferentMembershipsPattern, paths.ReferentMemberships(nobody), referents(notFound)),
		post(paths.ReferentHabilitationCancelPattern, paths.ReferentHabilitationCancel(nobody), referents(notFound)),
		post(paths.ReferentStructureChangeCancelPattern, paths.ReferentStructureChangeCancel(nobody), referents(notFound)),
		getPost(paths.ReferentCoReferents, "", referents(ok), referents(notFound)), // POST: no candidate
		post(paths.ReferentCoReferentRequest, "", referents(invalid)),
		post(paths.ReferentCoReferentCancelPattern, paths.ReferentCoReferentCancel(nobody), referents(notFound)),
		get(paths.ReferentOTPWelcome, "", referents(see(paths.Referent))),
		post(paths.ReferentOTPDismiss, "", referents(see(paths.Referent))),
		getPost(paths.ReferentOTPDownload, "", referents(see(paths.Referent)), referents(see(paths.Referent))),
		getPost(paths.ReferentOTPScan, "", referents(see(paths.Referent)), referents(see(paths.ReferentOTPDownload))),
		get(paths.ReferentOTPDone, "", referents(ok)),
	}
	// The habilitation form: public; a token that opens no space is the link page (404), as is
	// the confirmation of an unknown key.
	const tok, dem = "jeton-inconnu", "0b7e2a4c-1d2e-4f60-9a8b-123456789abc"
	rows = append(rows,
		get(paths.Habilitation, "", everyone(ok)),
		getPost(paths.HabilitationDemandeur, "", everyone(ok), everyone(invalid)),
		get(paths.HabilitationEmailSent, "", everyone(ok)),
		getPost(paths.HabilitationFollow, "", everyone(ok), everyone(invalid)),
		get(paths.HabilitationConfirmPattern, paths.HabilitationConfirm("inconnue"), everyone(notFound)),
		get(paths.HabilitationSpacePattern, paths.HabilitationSpace(tok), everyone(notFound)),
		getPost(paths.HabilitationSiretPattern, paths.HabilitationSiret(tok), everyone(notFound), everyone(notFound)),
		get(paths.HabilitationRequestPattern, paths.HabilitationRequest(tok, dem), everyone(notFound)),
		getPost(paths.HabilitationStructurePattern, paths.HabilitationStructure(tok, dem), everyone(notFound), everyone(notFound)),
		getPost(paths.HabilitationReferentPattern, paths.HabilitationReferent(tok, dem), everyone(notFound), everyone(notFound)),
		getPost(paths.HabilitationAidantsPattern, paths.HabilitationAidants(tok, dem), everyone(notFound), everyone(notFound)),
		getPost(paths.HabilitationSummaryPattern, paths.HabilitationSummary(tok, dem), everyone(notFound), everyone(notFound)),
		post(paths.HabilitationMessagePattern, paths.HabilitationMessage(tok, dem), everyone(notFound)),
	)
	// Staff back-office: 404 to everyone but staff accounts.
	rows = append(rows,
		get(paths.Staff, "", staffs(ok)),
		get(paths.StaffRequests, "", staffs(ok)),
		get(paths.StaffRequestPattern, paths.StaffRequest(nobody), staffs(notFound)),
		post(paths.StaffRequestValidatePattern, paths.StaffRequestValidate(nobody), staffs(notFound)),
		post(paths.StaffRequestRefusePattern, paths.StaffRequestRefuse(nobody), staffs(notFound)),
		post(paths.StaffRequestAskPattern, paths.StaffRequestAsk(nobody), staffs(notFound)),
		post(paths.StaffRequestWaitPattern, paths.StaffRequestWait(nobody), staffs(notFound)),
		post(paths.StaffRequestProposePattern, paths.StaffRequestPropose(nobody), staffs(notFound)),
		post(paths.StaffRequestMessagePattern, paths.StaffRequestMessage(nobody), staffs(notFound)),
		get(paths.StaffAidantRequests, "", staffs(ok)),
		post(paths.StaffAidantRequestEligiblePattern, paths.StaffAidantRequestEligible(nobody), staffs(notFound)),
		post(paths.StaffAidantRequestTrainedPattern, paths.StaffAidantRequestTrained(nobody), staffs(invalid)), // no date: checked first
		post(paths.StaffAidantRequestRefusePattern, paths.StaffAidantRequestRefuse(nobody), staffs(notFound)),
		get(paths.StaffCartes, "", staffs(ok)),
		getPost(paths.StaffCartesImport, "", staffs(ok), staffs(invalid)), // POST: no file
		post(paths.StaffCarteUnlinkPattern, paths.StaffCarteUnlink(nobody), staffs(notFound)),
		get(paths.StaffOrganisations, "", staffs(ok)),
		get(paths.StaffOrganisationPattern, paths.StaffOrganisation(nobody), staffs(notFound)),
		post(paths.StaffOrganisationDeactivatePattern, paths.StaffOrganisationDeactivate(nobody), staffs(notFound)),
		post(paths.StaffOrganisationReactivatePattern, paths.StaffOrganisationReactivate(nobody), staffs(notFound)),
		get(paths.StaffAidants, "", staffs(ok)),
		get(paths.StaffAidantPattern, paths.StaffAidant(nobody), staffs(notFound)),
		post(paths.StaffAidantDeactivatePattern, paths.StaffAidantDeactivate(nobody), staffs(notFound)),
		post(paths.StaffAidantReactivatePattern, paths.StaffAidantReactivate(nobody), staffs(notFound)),
		get(paths.StaffJobs, "", staffs(ok)),
		post(paths.StaffJobRetryPattern, paths.StaffJobRetry(nobody), staffs(notFound)),
		post(paths.StaffJobCancelPattern, paths.StaffJobCancel(nobody), staffs(notFound)),
	)
	// Espace usager: signing in is for anyone (a signed-in usager goes to their space); a
	// callback without the session's state is an expired sign-in; past the guard, an id that
	// is not the usager's is 404.
	const other = 9999 // no one's mandat
	signedIn := everyone(ok)
	signedIn[usager] = see(paths.MonEspace)
	rows = append(rows,
		get(paths.MonEspaceLogin, "", signedIn),
		// Starting a sign-in replaces the session (and its state is what the callback wants).
		route{pattern: paths.MonEspaceFCAuthorize, answers: map[string]answers{"GET": everyone(see("{url}" + paths.FCSim + paths.FCSimAuthorize + "?"))}, endsSession: true},
		get(paths.MonEspaceFCCallback, "", everyone(see(paths.MonEspaceLoginProblem("expire")))),
		route{pattern: paths.MonEspaceLoggedOut, answers: map[string]answers{"GET": everyone(ok)}, endsSession: true},
		route{pattern: paths.MonEspaceLogout, answers: map[string]answers{"POST": usagers(see("{url}" + paths.FCSim + paths.FCSimEndSession + "?"))}, endsSession: true},
		get(paths.MonEspace, "", usagers(ok)),
		get(paths.MonEspaceUses, "", usagers(ok)),
		get(paths.MonEspaceMandatPDFPattern, paths.MonEspaceMandatPDF(other), usagers(notFound)),
		getPost(paths.MonEspaceMandatRevokePattern, paths.MonEspaceMandatRevoke(other), usagers(notFound), usagers(notFound)),
		get(paths.MonEspaceMandatRevocationPattern, paths.MonEspaceMandatRevocation(other), usagers(notFound)),
		getPost(paths.MonEspaceAutorisationRevokePattern, paths.MonEspaceAutorisationRevoke(other, other), usagers(notFound), usagers(notFound)),
		get(paths.MonEspaceAutorisationRevocationPattern, paths.MonEspaceAutorisationRevocation(other, other), usagers(notFound)),
		get(paths.MonEspaceMandatRevocationPDFPattern, paths.MonEspaceMandatRevocationPDF(other), usagers(notFound)),
		get(paths.MonEspaceAutorisationRevocationPDFPattern, paths.MonEspaceAutorisationRevocationPDF(other, other), usagers(notFound)),
	)
	// /authorize with the demo broker's registration: the guards, then the provider, which
	// sends the missing parameters' error back to the client.
	demoCallback := "{url}" + paths.FCSim + paths.FCSimDemoCallback
	authorize := paths.IdPAuthorize + "?" + url.Values{"client_id": {app.DemoBrokerID}, "redirect_uri": {demoCallback}}.Encode()
	authorizeSlash := paths.IdPAuthorize + "/?" + strings.SplitN(authorize, "?", 2)[1]
	rows = append(rows, mounted(paths.IdPAuthorize, authorize, authorizeSlash, map[string]answers{
		"GET": byAccount(toLogin, forbidden, answer{http.StatusFound, demoCallback}, answer{http.StatusFound, demoCallback}, toStaff),
		"*":   everyone(noMethod),
	})...)
	// The OIDC back channel answers without a session, the same to everyone, whatever the
	// method: discovery and the JWKS to any; /token takes POST only, and refuses a request
	// without a grant; /userinfo wants a bearer token, by GET or POST.
	for path, as := range map[string]map[string]answers{
		paths.IdPDiscovery: {"*": everyone(ok)},
		paths.IdPJWKS:      {"*": everyone(ok)},
		paths.IdPToken:     {"POST": everyone(bad), "*": everyone(noMethod)},
		paths.IdPUserinfo:  {"GET": everyone(unauthorized), "POST": everyone(unauthorized), "*": everyone(noMethod)},
	} {
		rows = append(rows, mounted(path, path, path+"/", as)...)
	}
	// The simulator (dev and sandbox): its discovery, and its root, which is no page (its mux
	// redirects; CONNECT carries no path it could redirect).
	rows = append(rows, route{pattern: paths.FCSim, answers: map[string]answers{
		"CONNECT": everyone(notFound), "*": everyone(answer{http.StatusTemporaryRedirect, paths.Home})}},
		route{pattern: paths.FCSim + "/*", sample: paths.FCSim + paths.IdPDiscovery, answers: map[string]answers{"*": everyone(ok)}})
	return rows
}

// registered is every method and pattern the app serves, Use middleware excluded.
func registered(a *app.App) []string {
	var out []string
	for _, r := range a.Fiber.GetRoutes(true) {
		out = append(out, r.Method+" "+r.Path)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// lookup finds the answers of a method at a pattern, and whether the table has them.
func lookup(rows []route, method, pattern string) (route, answers, bool) {
	for _, r := range rows {
		if r.pattern != pattern {
			continue
		}
		for _, m := range []string{method, map[string]string{"HEAD": "GET"}[method], "*"} {
			if as, ok := r.answers[m]; ok && m != "" {
				return r, as, true
			}
		}
	}
	return route{}, answers{}, false
}

// missing lists the registered routes the table has no answers for, and the rows that match
// no registered route.
func missing(rows []route, routes []string) (unlisted, stale []string) {
	seen := map[string]bool{}
	for _, mp := range routes {
		method, pattern, _ := strings.Cut(mp, " ")
		if _, _, ok := lookup(rows, method, pattern); !ok {
			unlisted = append(unlisted, mp)
		}
		seen[pattern] = true
	}
	for _, r := range rows {
		if !seen[r.pattern] {
			stale = append(stale, r.pattern)
		}
	}
	return unlisted, stale
}

func TestRouteTableCoversEveryRoute(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	unlisted, stale := missing(routeTable(), registered(e.App))
	for _, r := range unlisted {
		t.Errorf("route %s has no row in the route table test: add what every audience gets from it", r)
	}
	for _, p := range stale {
		t.Errorf("the route table test has a row for %s, which the app does not serve", p)
	}
	// The check itself: a route added without a row is reported, and so is a row left behind.
	unlisted, stale = missing(routeTable(), append(registered(e.App), "GET /espace-aidant/nouvelle-page/"))
	if !slices.Equal(unlisted, []string{"GET /espace-aidant/nouvelle-page/"}) || len(stale) != 0 {
		t.Errorf("an unlisted route: reported %q, stale %q", unlisted, stale)
	}
}

func TestRouteTable(t *testing.T) {
	t.Parallel()
	e := apptest.Start(t)
	org := e.Org("MFS Beaugency")
	logins := [audiences]func() *apptest.Browser{
		anonymous: e.Browser,
		aidant: func() *apptest.Browser {
			return e.Login(e.AidantWithoutMandats(apptest.RandomHex(t)[:12]+"@lecteur.fr", org))
		},
		creator:  func() *apptest.Browser { return e.Login(e.Aidant(apptest.RandomHex(t)[:12]+"@aidant.fr", org, true)) },
		referent: func() *apptest.Browser { return e.Login(e.Referent(apptest.RandomHex(t)[:12]+"@referent.fr", org)) },
		staff:    func() *apptest.Browser { return e.Login(e.Staff(apptest.RandomHex(t)[:12] + "@staff.fr")) },
		usager:   func() *apptest.Browser { return e.LoginUsager(0) },
	}
	// The usager has a mandat with another organisation than the aidants'.
	e.UsagerWithMandat(0, e.Org("CCAS de Meung"), "LONG", "papiers", "famille")
	var sessions [audiences]*apptest.Browser
	for i, login := range logins {
		sessions[i] = login()
		sessions[i].Get(paths.Home) // the CSRF cookie, as a browser that opened a page has it
	}
	rows := routeTable()
	for _, mp := range registered(e.App) {
		method, pattern, _ := strings.Cut(mp, " ")
		r, want, ok := lookup(rows, method, pattern)
		if !ok {
			continue // TestRouteTableCoversEveryRoute reports it
		}
		sample := r.sample
		if sample == "" {
			sample = pattern
		}
		sample = strings.NewReplacer("{url}", e.URL, url.QueryEscape("{url}"), url.QueryEscape(e.URL)).Replace(sample)
		for who := range audiences {
			b := sessions[who]
			if r.endsSession {
				b = logins[who]()
				b.Get(paths.Home)
			}
			got := request(b, method, sample)
			w := want[who]
			w.to = strings.ReplaceAll(w.to, "{url}", e.URL)
			if got.Status != w.status || !strings.HasPrefix(got.Location, w.to) || (w.to == "") != (got.Location == "") {
				t.Errorf("%s %s as %s: got %d %q, want %s", method, sample, audienceNames[who], got.Status, got.Location, w)
			}
		}
	}
}

// request sends method to path from b's session with the CSRF token as htmx sends it, so that
// what answers is the route's chain and handler (the CSRF check has tests of its own). An
// unsafe request carries an empty form.
func request(b *apptest.Browser, method, path string) apptest.Page {
	req := httptest.NewRequest(method, b.Env.URL+path, strings.NewReader(""))
	req.Header.Set(app.CSRFHeader, b.Jar[app.CSRFCookie])
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.Do(req)
}
