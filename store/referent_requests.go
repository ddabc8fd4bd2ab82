package store

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// RequestStatus is a request's status, stored as these words (labels in the views).
type RequestStatus string

const (
	RequestWaitingList         RequestStatus = "waiting_list" // a habilitation request a référent filed
	RequestNew                 RequestStatus = "new"
	RequestProcessing          RequestStatus = "processing" // eligibility validated
	RequestProcessingP2P       RequestStatus = "processing_p2p"
	RequestValidated           RequestStatus = "validated"
	RequestRefused             RequestStatus = "refused"
	RequestCancelled           RequestStatus = "cancelled"
	RequestCancelledByReferent RequestStatus = "cancelled_by_referent"
)

// pendingHabilitationStatuses are those the team has still to decide on.
var pendingHabilitationStatuses = []RequestStatus{RequestWaitingList, RequestNew, RequestProcessing, RequestProcessingP2P}

// openHabilitationStatuses block a second request for the same person in the organisation
// (the partial unique index habilitation_requests_open_idx).
var openHabilitationStatuses = append(slices.Clone(pendingHabilitationStatuses), RequestValidated)

// HabilitationRequest is a person to train and accredit in an organisation.
type HabilitationRequest struct {
	bun.BaseModel `bun:"table:habilitation_requests"`

	ID                  int64         `bun:"id,pk,autoincrement"`
	OrganisationID      int64         `bun:"organisation_id"`
	Email               string        `bun:"email"`
	FirstName           string        `bun:"first_name"`
	LastName            string        `bun:"last_name"`
	Profession          string        `bun:"profession"`
	ConseillerNumerique bool          `bun:"conseiller_numerique"`
	Status              RequestStatus `bun:"status"`
	Origin              string        `bun:"origin"`
	CreatedByAidantID   *int64        `bun:"created_by_aidant_id"`
	CreatedAt           time.Time     `bun:"created_at"`
	UpdatedAt           time.Time     `bun:"updated_at"`
}

// FullName is "Prénom Nom".
func (r *HabilitationRequest) FullName() string {
	return strings.TrimSpace(r.FirstName + " " + r.LastName)
}

// Cancellable: the référent may still withdraw it (the team has not refused or closed it).
func (r *HabilitationRequest) Cancellable() bool {
	return slices.Contains(openHabilitationStatuses, r.Status)
}

// StructureChangeRequest asks the team to attach a trained aidant to an organisation.
type StructureChangeRequest struct {
	bun.BaseModel `bun:"table:structure_change_requests"`

	ID                      int64         `bun:"id,pk,autoincrement"`
	OrganisationID          int64         `bun:"organisation_id"`
	Email                   string        `bun:"email"`
	AidantID                *int64        `bun:"aidant_id"`
	PreviousOrganisationIDs []int64       `bun:"previous_organisation_ids,array"`
	Status                  RequestStatus `bun:"status"`
	CreatedByAidantID       *int64        `bun:"created_by_aidant_id"`
	CreatedAt               time.Time     `bun:"created_at"`
	UpdatedAt               time.Time     `bun:"updated_at"`
}

// Cancellable: still new.
func (r *StructureChangeRequest) Cancellable() bool { return r.Status == RequestNew }

// CoReferentRequest asks the team to create a référent who is not an aidant.
type CoReferentRequest struct {
	bun.BaseModel `bun:"table:coreferent_requests"`

	ID                int64         `bun:"id,pk,autoincrement"`
	OrganisationID    int64         `bun:"organisation_id"`
	Email             string        `bun:"email"`
	FirstName         string        `bun:"first_name"`
	LastName          string        `bun:"last_name"`
	Profession        string        `bun:"profession"`
	Phone             string        `bun:"phone"`
	Status            RequestStatus `bun:"status"`
	CreatedByAidantID *int64        `bun:"created_by_aidant_id"`
	CreatedAt         time.Time     `bun:"created_at"`
	UpdatedAt         time.Time     `bun:"updated_at"`
}

// FullName is "Prénom Nom".
func (r *CoReferentRequest) FullName() string {
	return strings.TrimSpace(r.FirstName + " " + r.LastName)
}

// Cancellable: still new.
func (r *CoReferentRequest) Cancellable() bool { return r.Status == RequestNew }

// RowProblem is why one row of a multi-person form was refused. Each is about the référent's
// own organisations only: nothing tells them about other organisations' aidants or requests.
type RowProblem string

const (
	RowDuplicate RowProblem = "duplicate"  // the same e-mail twice in the form
	RowMember    RowProblem = "member"     // already a member (of the organisation, or for a new person of any the référent manages)
	RowPending   RowProblem = "pending"    // a request is already open for that e-mail in the organisation
	RowNotAidant RowProblem = "not_aidant" // an account of the référent's organisations that is inactive or may not create mandats
)

// RowErrors are the refused rows of a form, by index: nothing was saved.
type RowErrors map[int]RowProblem

func (e RowErrors) Error() string { return fmt.Sprintf("%d ligne(s) refusée(s)", len(e)) }

// NewPerson is a person to train, as the référent enters them.
type NewPerson struct {
	Email, FirstName, LastName, Profession string
	ConseillerNumerique                    bool
}

// RequestHabilitations files a habilitation request for each person in the scope's
// organisation, in one transaction, or none when any row is refused (RowErrors): an e-mail
// twice in the list, a member of one of the référent's organisations, or a request already
// open in one of them. A person known elsewhere is filed like anyone else.
func (s *Store) RequestHabilitations(ctx context.Context, scope ReferentScope, people []NewPerson) error {
	return s.InTx(ctx, func(tx *Store) error {
		org, _, err := tx.scopeOf(ctx, scope)
		if err != nil {
			return err
		}
		if _, err := tx.db.NewRaw("SELECT id FROM organisations WHERE id = ? FOR UPDATE", org.ID).Exec(ctx); err != nil {
			return fmt.Errorf("lock organisation: %w", err)
		}
		emails := make([]string, len(people))
		for i := range people {
			emails[i] = NormaliseEmail(people[i].Email)
		}
		problems := duplicates(emails)
		var members, pending []string
		if err := tx.db.NewRaw(`SELECT a.email FROM aidants AS a JOIN aidant_organisations AS m ON m.aidant_id = a.id
			JOIN aidant_organisations AS r ON r.organisation_id = m.organisation_id AND r.aidant_id = ? AND r.is_referent
			WHERE a.email IN (?)`, scope.ReferentID, bun.In(emails)).Scan(ctx, &members); err != nil {
			return fmt.Errorf("members: %w", err)
		}
		if err := tx.db.NewRaw(`SELECT h.email FROM habilitation_requests AS h
			JOIN aidant_organisations AS r ON r.organisation_id = h.organisation_id AND r.aidant_id = ? AND r.is_referent
			WHERE h.email IN (?) AND h.status IN (?)`, scope.ReferentID, bun.In(emails), bun.In(openHabilitationStatuses)).Scan(ctx, &pending); err != nil {
			return fmt.Errorf("open requests: %w", err)
		}
		flag(problems, emails, members, RowMember)
		flag(problems, emails, pending, RowPending)
		if len(problems) > 0 {
			return problems
		}
		now := tx.Now()
		for i, p := range people {
			r := &HabilitationRequest{OrganisationID: org.ID, Email: emails[i], FirstName: strings.TrimSpace(p.FirstName),
				LastName: strings.TrimSpace(p.LastName), Profession: strings.TrimSpace(p.Profession), ConseillerNumerique: p.ConseillerNumerique,
				Status: RequestWaitingList, Origin: "referent", CreatedByAidantID: &scope.ReferentID, CreatedAt: now, UpdatedAt: now}
			if _, err := tx.db.NewInsert().Model(r).Returning("id").Exec(ctx); err != nil {
				return fmt.Errorf("insert habilitation request: %w", err)
			}
			if err := tx.appendJournal(ctx, &JournalEntry{Action: ActionHabilitationRequest, AidantID: &scope.ReferentID,
				OrganisationID: &org.ID, Info: fmt.Sprintf("demande #%d : %s", r.ID, r.FullName())}); err != nil {
				return err
			}
		}
		return nil
	})
}

// TrainedOutcome is what adding trained aidants did: those of the référent's other
// organisations were added at once; for the others a request goes to the team.
type TrainedOutcome struct {
	Added     []string // e-mails
	Requested []string
}

// AddTrainedAidants attaches trained aidants, by e-mail, to the scope's organisation. An
// active aidant who may create mandats, of another organisation the référent manages, is
// added at once (and told); any other e-mail becomes a structure-change request for the team,
// whether or not an account has it, so the answer reveals nothing about other organisations.
// Refused rows (RowErrors, nothing saved): twice in the list, already a member, a request
// already open, or an account of the référent's organisations that is not an active aidant.
func (s *Store) AddTrainedAidants(ctx context.Context, scope ReferentScope, emails []string, notify NoticeFunc) (*TrainedOutcome, error) {
	out := &TrainedOutcome{}
	err := s.InTx(ctx, func(tx *Store) error {
		org, ref, err := tx.scopeOf(ctx, scope)
		if err != nil {
			return err
		}
		if _, err := tx.db.NewRaw("SELECT id FROM organisations WHERE id = ? FOR UPDATE", org.ID).Exec(ctx); err != nil {
			return fmt.Errorf("lock organisation: %w", err)
		}
		for i := range emails {
			emails[i] = NormaliseEmail(emails[i])
		}
		problems := duplicates(emails)
		managed, err := tx.managedOrganisations(ctx, scope.ReferentID)
		if err != nil {
			return err
		}
		managedIDs := make([]int64, len(managed))
		for i := range managed {
			managedIDs[i] = managed[i].ID
		}
		type plan struct {
			aidant      *Aidant
			memberships []int64
		}
		plans := make([]plan, len(emails))
		for i, email := range emails {
			if problems[i] != "" {
				continue
			}
			a := new(Aidant)
			err := tx.db.NewSelect().Model(a).Where("email = ?", email).For("UPDATE").Scan(ctx)
			if err != nil && notFound(err, "") != ErrNotFound {
				return fmt.Errorf("find aidant: %w", err)
			}
			if err == nil {
				plans[i].aidant = a
				if err := tx.db.NewSelect().Table("aidant_organisations").Column("organisation_id").
					Where("aidant_id = ?", a.ID).Scan(ctx, &plans[i].memberships); err != nil {
					return fmt.Errorf("memberships: %w", err)
				}
			}
			pending, err := tx.db.NewSelect().Model((*StructureChangeRequest)(nil)).
				Where("organisation_id = ? AND email = ? AND status = ?", org.ID, email, RequestNew).Exists(ctx)
			if err != nil {
				return fmt.Errorf("open request: %w", err)
			}
			p := plans[i]
			switch {
			case p.aidant != nil && slices.Contains(p.memberships, org.ID):
				problems[i] = RowMember
			case pending:
				problems[i] = RowPending
			case p.aidant != nil && sharesAny(p.memberships, managedIDs) && !(p.aidant.IsActive && p.aidant.CanCreateMandats):
				problems[i] = RowNotAidant
			}
		}
		if len(problems) > 0 {
			return problems
		}
		now := tx.Now()
		for i, email := range emails {
			p := plans[i]
			if p.aidant != nil && sharesAny(p.memberships, managedIDs) {
				if err := tx.AddMembership(ctx, p.aidant.ID, org.ID, false); err != nil {
					return err
				}
				if err := tx.appendJournal(ctx, &JournalEntry{Action: ActionMembershipAdd, AidantID: &scope.ReferentID,
					OrganisationID: &org.ID, Info: aidantInfo(p.aidant)}); err != nil {
					return err
				}
				if err := tx.tell(ctx, notify, Notice{Kind: NoticeAddedToOrganisation, Aidant: p.aidant, Referent: ref, Organisation: org}); err != nil {
					return err
				}
				out.Added = append(out.Added, email)
				continue
			}
			r := &StructureChangeRequest{OrganisationID: org.ID, Email: email, PreviousOrganisationIDs: p.memberships,
				Status: RequestNew, CreatedByAidantID: &scope.ReferentID, CreatedAt: now, UpdatedAt: now}
			if r.PreviousOrganisationIDs == nil {
				r.PreviousOrganisationIDs = []int64{}
			}
			if p.aidant != nil {
				r.AidantID = &p.aidant.ID
			}
			if _, err := tx.db.NewInsert().Model(r).Returning("id").Exec(ctx); err != nil {
				return fmt.Errorf("insert structure change request: %w", err)
			}
			if err := tx.appendJournal(ctx, &JournalEntry{Action: ActionStructureChangeRequest, AidantID: &scope.ReferentID,
				OrganisationID: &org.ID, Info: fmt.Sprintf("demande #%d : %s", r.ID, email)}); err != nil {
				return err
			}
			out.Requested = append(out.Requested, email)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CoReferentInput is a référent who is not an aidant, as the référent enters them.
type CoReferentInput struct {
	Email, FirstName, LastName, Profession, Phone string
}

// RequestCoReferent files a request for a référent who is not an aidant; RowErrors{0: …}
// when the e-mail is a member of the organisation (promote them instead) or already asked for.
func (s *Store) RequestCoReferent(ctx context.Context, scope ReferentScope, in CoReferentInput) error {
	return s.InTx(ctx, func(tx *Store) error {
		org, _, err := tx.scopeOf(ctx, scope)
		if err != nil {
			return err
		}
		email := NormaliseEmail(in.Email)
		member, err := tx.db.NewSelect().TableExpr("aidants AS a").Where("a.email = ?", email).Where(memberOf, org.ID).Exists(ctx)
		if err != nil {
			return fmt.Errorf("member: %w", err)
		}
		pending, err := tx.db.NewSelect().Model((*CoReferentRequest)(nil)).
			Where("organisation_id = ? AND email = ? AND status = ?", org.ID, email, RequestNew).Exists(ctx)
		if err != nil {
			return fmt.Errorf("open request: %w", err)
		}
		switch {
		case member:
			return RowErrors{0: RowMember}
		case pending:
			return RowErrors{0: RowPending}
		}
		now := tx.Now()
		r := &CoReferentRequest{OrganisationID: org.ID, Email: email, FirstName: strings.TrimSpace(in.FirstName), LastName: strings.TrimSpace(in.LastName),
			Profession: strings.TrimSpace(in.Profession), Phone: in.Phone, Status: RequestNew, CreatedByAidantID: &scope.ReferentID, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.db.NewInsert().Model(r).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("insert co-referent request: %w", err)
		}
		return tx.appendJournal(ctx, &JournalEntry{Action: ActionCoReferentRequest, AidantID: &scope.ReferentID,
			OrganisationID: &org.ID, Info: fmt.Sprintf("demande #%d : %s", r.ID, r.FullName())})
	})
}

// RequestKind names the three kinds of requests a référent files.
type RequestKind int

const (
	HabilitationKind RequestKind = iota + 1
	StructureChangeKind
	CoReferentKind
)

func (k RequestKind) table() (table, action string, cancellable []RequestStatus) {
	switch k {
	case HabilitationKind:
		return "habilitation_requests", ActionHabilitationCancel, openHabilitationStatuses
	case StructureChangeKind:
		return "structure_change_requests", ActionStructureChangeCancel, []RequestStatus{RequestNew}
	default:
		return "coreferent_requests", ActionCoReferentRequestCancel, []RequestStatus{RequestNew}
	}
}

// CancelRequest withdraws one of the scope's organisation's requests. One of another
// organisation is ErrNotFound; one the team already decided on is ErrUnavailable.
func (s *Store) CancelRequest(ctx context.Context, scope ReferentScope, kind RequestKind, id int64) error {
	table, action, cancellable := kind.table()
	return s.InTx(ctx, func(tx *Store) error {
		org, _, err := tx.scopeOf(ctx, scope)
		if err != nil {
			return err
		}
		var status RequestStatus
		if err := tx.db.NewSelect().Table(table).Column("status").Where("id = ? AND organisation_id = ?", id, org.ID).
			For("UPDATE").Scan(ctx, &status); err != nil {
			return notFound(err, "find request")
		}
		if !slices.Contains(cancellable, status) {
			return ErrUnavailable
		}
		if _, err := tx.db.NewUpdate().Table(table).Set("status = ?, updated_at = ?", RequestCancelledByReferent, tx.Now()).
			Where("id = ?", id).Exec(ctx); err != nil {
			return fmt.Errorf("cancel request: %w", err)
		}
		return tx.appendJournal(ctx, &JournalEntry{Action: action, AidantID: &scope.ReferentID, OrganisationID: &org.ID,
			Info: fmt.Sprintf("demande #%d", id)})
	})
}

// ReferentRequests are an organisation's requests, newest first.
type ReferentRequests struct {
	Habilitations    []HabilitationRequest
	StructureChanges []StructureChangeRequest
	CoReferents      []CoReferentRequest
}

func (s *Store) listRequests(ctx context.Context, orgID int64) (*ReferentRequests, error) {
	r := &ReferentRequests{}
	for _, q := range []*bun.SelectQuery{
		s.db.NewSelect().Model(&r.Habilitations), s.db.NewSelect().Model(&r.StructureChanges), s.db.NewSelect().Model(&r.CoReferents),
	} {
		if err := q.Where("organisation_id = ?", orgID).OrderExpr("created_at DESC, id DESC").Scan(ctx); err != nil {
			return nil, fmt.Errorf("list requests: %w", err)
		}
	}
	return r, nil
}

// ReferentsPage is the co-référents page: the organisation's référents, the active members
// who could become one, and the requests for référents who are not aidants.
type ReferentsPage struct {
	Organisation *Organisation
	Referents    []ManagedAidant
	Candidates   []ManagedAidant
	Requests     []CoReferentRequest
}

// GetReferentsPage reads the co-référents page of the scope's organisation.
func (s *Store) GetReferentsPage(ctx context.Context, scope ReferentScope) (*ReferentsPage, error) {
	org, _, err := s.scopeOf(ctx, scope)
	if err != nil {
		return nil, err
	}
	p := &ReferentsPage{Organisation: org}
	var all []ManagedAidant
	if err := s.db.NewSelect().TableExpr("aidant_organisations AS m").Join(managedAidantJoins).ColumnExpr(managedAidantColumns).
		Where("m.organisation_id = ?", org.ID).
		OrderExpr("a.is_active DESC, lower(a.last_name), lower(a.first_name), a.id").Scan(ctx, &all); err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	for _, a := range all {
		switch {
		case a.IsReferent:
			p.Referents = append(p.Referents, a)
		case a.IsActive:
			p.Candidates = append(p.Candidates, a)
		}
	}
	// The référent reading the page first.
	sort.SliceStable(p.Referents, func(i, j int) bool {
		return p.Referents[i].ID == scope.ReferentID && p.Referents[j].ID != scope.ReferentID
	})
	reqs, err := s.listRequests(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	p.Requests = reqs.CoReferents
	return p, nil
}

// duplicates flags each repeated e-mail after its first row.
func duplicates(emails []string) RowErrors {
	problems := RowErrors{}
	seen := map[string]bool{}
	for i, e := range emails {
		if seen[e] {
			problems[i] = RowDuplicate
		}
		seen[e] = true
	}
	return problems
}

// flag marks the rows whose e-mail is among found, unless already refused.
func flag(problems RowErrors, emails, found []string, p RowProblem) {
	for i, e := range emails {
		if _, done := problems[i]; !done && slices.Contains(found, e) {
			problems[i] = p
		}
	}
}

func sharesAny(a, b []int64) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}
