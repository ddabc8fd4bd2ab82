// Package habilitation renders the public habilitation form: the demandeur, their space, the
// steps of a request (SIRET, structure, référent, aidants, summary) and its read-only view
// with the messages of the team.
package habilitation

import (
	"strconv"

	"github.com/a-h/templ"

	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
	"github.com/aidantsconnect/ac/views/ui"
)

// Title of the form's pages, and its first breadcrumb.
const Title = "Demande d'habilitation"

// MaxRows bounds the aidants of one request typed at once.
const MaxRows = 30

// StepID is the region of a step's page (from its breadcrumb to its form) that the step's
// form swaps with JavaScript: the next step, or the same one with its errors, replaces it
// and the rest of the page stays (without JavaScript the form posts as a plain page).
const StepID = "habilitation-step"

// stepSwap makes a step's form swap the step's region: htmx posts it, and the answer's
// region (a whole page: the same one with its errors, or the next step through
// HX-Location) replaces this one.
func stepSwap(action string) templ.Attributes {
	return templ.Attributes{"hx-post": action, "hx-target": "#" + StepID, "hx-select": "#" + StepID, "hx-swap": "outerHTML"}
}

// FieldID is the name and id of a field of an aidant row.
func FieldID(i int, name string) string { return "aidant-" + strconv.Itoa(i) + "-" + name }

func itoa(n int) string { return strconv.Itoa(n) }

func numberOf(r *store.OrganisationRequest) string {
	if r.HabilitationNumber == nil {
		return ""
	}
	return strconv.FormatInt(*r.HabilitationNumber, 10)
}

// DemandeurData is the demandeur step.
type DemandeurData struct {
	In     store.DemandeurInput
	Errors ui.Errors
}

// FollowData is « Suivre ma demande ».
type FollowData struct {
	Email  string
	Sent   bool
	Errors ui.Errors
}

// SpaceData is the demandeur's space.
type SpaceData struct {
	Token string
	Space *store.DemandeurSpace
}

// SiretData is the SIRET step; Directory lists the fictitious establishments (dev, sandbox).
type SiretData struct {
	Token     string
	Siret     string
	Directory []store.Etablissement
	// Known are the organisations already known with the SIRET: the step asks whether to
	// attach the request to one of them (Choice: its uuid) or create one (NewStructure).
	Known  []store.Organisation
	Choice string
	Errors ui.Errors
}

// NewStructure is the SIRET step's choice of a new organisation over the known ones.
const NewStructure = "nouvelle"

// StepData is what every step of a request shows: the request, and where it stands.
type StepData struct {
	Token  string
	View   *store.RequestView
	Errors ui.Errors
}

func (d StepData) uuid() string { return d.View.Request.UUID }

// StructureData is the structure step.
type StructureData struct {
	StepData
	In       store.StructureInput
	Labelled bool // France Services
}

// ReferentData is the référent step.
type ReferentData struct {
	StepData
	In store.ReferentInput
}

// PersonRow is one aidant row as typed.
type PersonRow struct {
	Email, FirstName, LastName, Profession string
	ConseillerNumerique                    bool
}

// AidantsData is the aidants step.
type AidantsData struct {
	StepData
	Rows             []PersonRow
	ReferentIsAidant bool
	Added            bool // the last row was just added: focus goes to it
}

// SummaryData is the summary with the five commitments.
type SummaryData struct {
	StepData
	C store.Commitments
}

// RequestData is the read-only view with the messages.
type RequestData struct {
	StepData
	Message string
}

// commitments are the summary's five boxes: field name, label.
var commitments = [5][2]string{
	{"cgu", "J'ai lu et j'accepte les conditions générales d'utilisation d'Aidants Connect."},
	{"not_free", "J'ai compris que la formation des aidants est payante, et que des financements existent."},
	{"dpo", "J'ai informé le ou la déléguée à la protection des données de ma structure de cette demande."},
	{"professionals_only", "Les aidants à habiliter sont exclusivement des professionnels salariés ou fonctionnaires (pas de service civique, de bénévoles, d'apprentis ni de stagiaires)."},
	{"without_elected", "Aucun élu ou élue ne sera habilité à Aidants Connect."},
}

func (d SummaryData) ticked(name string) bool {
	switch name {
	case "cgu":
		return d.C.CGU
	case "not_free":
		return d.C.NotFree
	case "dpo":
		return d.C.DPO
	case "professionals_only":
		return d.C.ProfessionalsOnly
	}
	return d.C.WithoutElected
}

func stepCrumbs(token, here string) []ui.Crumb {
	return []ui.Crumb{ui.CrumbTo(Title, paths.Habilitation), ui.CrumbTo("Mon espace demandeur", paths.HabilitationSpace(token)), ui.Here(here)}
}

func badgeClass(s store.HabilitationStatus) string {
	switch s {
	case store.HabilitationValidated, store.HabilitationClosed:
		return "fr-badge fr-badge--success"
	case store.HabilitationRefused:
		return "fr-badge fr-badge--error"
	case store.HabilitationChangesRequired, store.HabilitationChangesProposed:
		return "fr-badge fr-badge--warning"
	case store.HabilitationProcessing:
		return "fr-badge fr-badge--info"
	}
	return "fr-badge"
}
