package store

import (
	"time"

	"github.com/uptrace/bun"
)

// HabilitationStatus is where an organisation request stands.
type HabilitationStatus string

const (
	HabilitationNew             HabilitationStatus = "new"
	HabilitationProcessing      HabilitationStatus = "ac_validation_processing"
	HabilitationValidated       HabilitationStatus = "validated"
	HabilitationRefused         HabilitationStatus = "refused"
	HabilitationClosed          HabilitationStatus = "closed"
	HabilitationChangesRequired HabilitationStatus = "changes_required"
	HabilitationChangesProposed HabilitationStatus = "changes_proposed"
)

// HabilitationStatuses are every status, in the order of a request's life.
func HabilitationStatuses() []HabilitationStatus {
	return []HabilitationStatus{HabilitationNew, HabilitationProcessing, HabilitationChangesRequired,
		HabilitationChangesProposed, HabilitationValidated, HabilitationRefused, HabilitationClosed}
}

// Label is the status as the demandeur and the team read it.
func (s HabilitationStatus) Label() string {
	switch s {
	case HabilitationNew:
		return "Brouillon"
	case HabilitationProcessing:
		return "En attente de validation d'éligibilité avant inscription en formation des aidants"
	case HabilitationValidated:
		return "Éligibilité validée"
	case HabilitationRefused:
		return "Éligibilité refusée"
	case HabilitationClosed:
		return "Clôturée"
	case HabilitationChangesRequired:
		return "Demande de modifications par l'équipe Aidants Connect"
	case HabilitationChangesProposed:
		return "Modifications proposées par Aidants Connect"
	}
	return string(s)
}

// Editable reports a status in which the demandeur may still change the request and submit it.
func (s HabilitationStatus) Editable() bool {
	return s == HabilitationNew || s == HabilitationChangesRequired || s == HabilitationChangesProposed
}

// ParseHabilitationStatus reads a status from a filter.
func ParseHabilitationStatus(v string) (HabilitationStatus, bool) {
	for _, s := range HabilitationStatuses() {
		if string(s) == v {
			return s, true
		}
	}
	return "", false
}

// HabilitationAction is what moves a request from one status to another.
type HabilitationAction string

const (
	ActSubmit   HabilitationAction = "submit"   // the demandeur submits (first time, or after changes)
	ActValidate HabilitationAction = "validate" // the team validates: organisation and accounts created
	ActRefuse   HabilitationAction = "refuse"   // the team refuses
	ActAsk      HabilitationAction = "ask"      // the team asks the demandeur for changes
	ActPropose  HabilitationAction = "propose"  // the team proposes changes of its own
	ActWait     HabilitationAction = "wait"     // the team puts the request back in waiting
	ActClose    HabilitationAction = "close"    // the référent of the validated request is set up
)

// HabilitationActions are every action, for the transition table's test.
func HabilitationActions() []HabilitationAction {
	return []HabilitationAction{ActSubmit, ActValidate, ActRefuse, ActAsk, ActPropose, ActWait, ActClose}
}

// habilitationTransitions is the whole table: for each action, the statuses it leaves from
// and the one it leads to. Anything else is refused.
var habilitationTransitions = map[HabilitationAction]struct {
	from []HabilitationStatus
	to   HabilitationStatus
}{
	ActSubmit:   {[]HabilitationStatus{HabilitationNew, HabilitationChangesRequired, HabilitationChangesProposed}, HabilitationProcessing},
	ActValidate: {[]HabilitationStatus{HabilitationProcessing}, HabilitationValidated},
	ActRefuse:   {[]HabilitationStatus{HabilitationProcessing, HabilitationChangesRequired, HabilitationChangesProposed}, HabilitationRefused},
	ActAsk:      {[]HabilitationStatus{HabilitationProcessing, HabilitationChangesProposed}, HabilitationChangesRequired},
	ActPropose:  {[]HabilitationStatus{HabilitationProcessing}, HabilitationChangesProposed},
	ActWait:     {[]HabilitationStatus{HabilitationChangesRequired, HabilitationChangesProposed, HabilitationRefused}, HabilitationProcessing},
	ActClose:    {[]HabilitationStatus{HabilitationValidated}, HabilitationClosed},
}

// HabilitationTransition is the status an action leads to from a status, and whether the
// table allows it.
func HabilitationTransition(from HabilitationStatus, act HabilitationAction) (HabilitationStatus, bool) {
	t, ok := habilitationTransitions[act]
	if !ok {
		return from, false
	}
	for _, f := range t.from {
		if f == from {
			return t.to, true
		}
	}
	return from, false
}

// ErrTransition is an action the request's status does not allow (a stale page).
var ErrTransition = errTransition{}

type errTransition struct{}

func (errTransition) Error() string { return "habilitation: transition not allowed" }

// Demandeur is the person filing habilitation requests, without an account.
type Demandeur struct {
	bun.BaseModel `bun:"table:demandeurs"`

	ID               int64      `bun:"id,pk,autoincrement"`
	Email            string     `bun:"email"`
	FirstName        string     `bun:"first_name"`
	LastName         string     `bun:"last_name"`
	Profession       string     `bun:"profession"`
	Phone            string     `bun:"phone"`
	TokenHash        []byte     `bun:"token_hash"`
	TokenSealed      []byte     `bun:"token_sealed"`
	ConfirmKeyHash   []byte     `bun:"confirm_key_hash"`
	ConfirmSentAt    *time.Time `bun:"confirm_sent_at"`
	EmailConfirmedAt *time.Time `bun:"email_confirmed_at"`
	CreatedAt        time.Time  `bun:"created_at"`
}

// FullName is "Prénom Nom".
func (d *Demandeur) FullName() string { return d.FirstName + " " + d.LastName }

// OrganisationRequest is a structure's habilitation request.
type OrganisationRequest struct {
	bun.BaseModel `bun:"table:organisation_requests,alias:orq"`

	ID                   int64              `bun:"id,pk,autoincrement"`
	UUID                 string             `bun:"uuid,type:uuid,nullzero,default:gen_random_uuid()"`
	DemandeurID          int64              `bun:"demandeur_id"`
	Status               HabilitationStatus `bun:"status"`
	Siret                string             `bun:"siret"`
	Name                 string             `bun:"name"`
	TypeName             string             `bun:"type_name"`
	TypeOther            string             `bun:"type_other"`
	LegalCategory        string             `bun:"legal_category"`
	Address              string             `bun:"address"`
	Zipcode              string             `bun:"zipcode"`
	City                 string             `bun:"city"`
	CityCode             string             `bun:"city_code"`
	Departement          string             `bun:"departement"`
	FranceServicesNumber string             `bun:"france_services_number"`
	WebSite              string             `bun:"web_site"`
	MissionDescription   string             `bun:"mission_description"`
	ReferentFirstName    string             `bun:"referent_first_name"`
	ReferentLastName     string             `bun:"referent_last_name"`
	ReferentEmail        string             `bun:"referent_email"`
	ReferentPhone        string             `bun:"referent_phone"`
	ReferentProfession   string             `bun:"referent_profession"`
	ReferentIsAidant     bool               `bun:"referent_is_aidant"`
	CGU                  bool               `bun:"cgu"`
	NotFree              bool               `bun:"not_free"`
	DPO                  bool               `bun:"dpo"`
	ProfessionalsOnly    bool               `bun:"professionals_only"`
	WithoutElected       bool               `bun:"without_elected"`
	HabilitationNumber   *int64             `bun:"habilitation_number"`
	OrganisationID       *int64             `bun:"organisation_id"`
	AttachOrganisationID *int64             `bun:"attach_organisation_id"` // the known organisation chosen on the SIRET step
	SubmittedAt          *time.Time         `bun:"submitted_at"`
	CreatedAt            time.Time          `bun:"created_at"`
	UpdatedAt            time.Time          `bun:"updated_at"`

	Demandeur *Demandeur      `bun:"rel:belongs-to,join:demandeur_id=id"`
	Aidants   []AidantRequest `bun:"rel:has-many,join:id=organisation_request_id"`
}

// HasReferent reports a request whose référent step was filled in.
func (r *OrganisationRequest) HasReferent() bool { return r.ReferentEmail != "" }

// ReferentName is the référent's "Prénom Nom".
func (r *OrganisationRequest) ReferentName() string {
	return r.ReferentFirstName + " " + r.ReferentLastName
}

// HasStructure reports a request whose structure step was filled in.
func (r *OrganisationRequest) HasStructure() bool { return r.Name != "" && r.TypeName != "" }

// AidantRequest is a person to accredit in an organisation request.
type AidantRequest struct {
	bun.BaseModel `bun:"table:aidant_requests"`

	ID                    int64  `bun:"id,pk,autoincrement"`
	OrganisationRequestID int64  `bun:"organisation_request_id"`
	Email                 string `bun:"email"`
	FirstName             string `bun:"first_name"`
	LastName              string `bun:"last_name"`
	Profession            string `bun:"profession"`
	ConseillerNumerique   bool   `bun:"conseiller_numerique"`
	HabilitationRequestID *int64 `bun:"habilitation_request_id"`
}

// RequestMessage is a message on a request, from the team or from the demandeur.
type RequestMessage struct {
	bun.BaseModel `bun:"table:request_messages"`

	ID                    int64     `bun:"id,pk,autoincrement"`
	OrganisationRequestID int64     `bun:"organisation_request_id"`
	Sender                string    `bun:"sender"` // "staff" or "demandeur"
	StaffID               *int64    `bun:"staff_id"`
	Body                  string    `bun:"body"`
	CreatedAt             time.Time `bun:"created_at"`
}

// FromStaff reports a message of the team.
func (m *RequestMessage) FromStaff() bool { return m.Sender == "staff" }

// OrganisationTypes are the structure types the form offers (the reference's list).
func OrganisationTypes() []string {
	return []string{"Réseau France Services", "Commune", "CCAS", "CIAS", "Département", "Intercommunalité",
		"Bibliothèque / Médiathèque", "Préfecture, sous-préfecture", "Centre social", "Structure d'accueil d'une administration",
		"Délégation de service public", "Association", "Autre"}
}

// HabilitationNotice is an email the habilitation's actions send: its kind, whom to, and what
// it says. The handlers write it (views/mail) with the link to the demandeur's space.
type HabilitationNotice struct {
	Kind      string // confirm, reminder, created, submitted, modified, validated, refused, changes, message, waiting
	To        string
	FirstName string
	Token     string // the demandeur's space (empty for a message to a référent)
	Key       string // the email confirmation's key (kind confirm)
	Request   *OrganisationRequest
	Message   string // the team's message, or the editable validation email's body
	Subject   string // an edited subject (validation, refusal)
}

// HabilitationMailFunc writes a notice's email; the store queues it in the action's
// transaction.
type HabilitationMailFunc func(n HabilitationNotice) (Email, error)
