package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// The staff's journal actions, with the staff account as actor (journal.aidant_id).
const (
	ActionStaffValidateRequest = "validate_organisation_request"
	ActionStaffRefuseRequest   = "refuse_organisation_request"
	ActionStaffAskChanges      = "request_changes_organisation_request"
	ActionStaffProposeChanges  = "propose_changes_organisation_request"
	ActionStaffWaitRequest     = "wait_organisation_request"
	ActionStaffMessage         = "message_organisation_request"
	ActionStaffEligible        = "eligibility_habilitation_request"
	ActionStaffTrained         = "training_habilitation_request"
	ActionStaffRefuseAidant    = "refuse_habilitation_request"
	ActionStaffOrganisation    = "staff_organisation_active"
	ActionStaffAidant          = "staff_aidant_active"
)

// FirstLoginTTL is how long the new référent's first login link works: they have no code
// yet, and set up their app once logged in.
const FirstLoginTTL = 7 * 24 * time.Hour

// StaffPageSize is the requests list's page.
const StaffPageSize = 20

// RequestFilter narrows the staff's requests list.
type RequestFilter struct {
	Status      HabilitationStatus // "" for every status
	Departement string
	Region      string // a région's INSEE code (RegionByCode): its départements
	Type        string
	From, To    *time.Time // submitted within (a draft: created)
	Query       string     // name, SIRET, number, demandeur's or référent's email
	Page        int        // from 1
}

// RequestList is one page of requests.
type RequestList struct {
	Requests []OrganisationRequest
	Total    int
	Page     int
	Pages    int
}

// ListOrganisationRequests is the staff's requests list, newest first, one page.
func (s *Store) ListOrganisationRequests(ctx context.Context, f RequestFilter) (*RequestList, error) {
	var rs []OrganisationRequest
	q := s.db.NewSelect().Model(&rs).Relation("Demandeur")
	if f.Status != "" {
		q = q.Where("orq.status = ?", f.Status)
	}
	if f.Departement != "" {
		q = q.Where("orq.departement = ?", f.Departement)
	}
	if r, ok := RegionByCode(f.Region); ok {
		q = q.Where("orq.departement IN (?)", bun.In(r.Departements))
	}
	if f.Type != "" {
		q = q.Where("orq.type_name = ?", f.Type)
	}
	if f.From != nil {
		q = q.Where("coalesce(orq.submitted_at, orq.created_at) >= ?", *f.From)
	}
	if f.To != nil {
		q = q.Where("coalesce(orq.submitted_at, orq.created_at) < ?", *f.To)
	}
	if w := strings.TrimSpace(f.Query); w != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(w) + "%"
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("orq.name ILIKE ?", like).WhereOr("orq.siret = ?", strings.Join(strings.Fields(w), "")).
				WhereOr("orq.habilitation_number::text = ?", w).WhereOr("orq.referent_email ILIKE ?", like).
				WhereOr("demandeur.email ILIKE ?", like)
		})
	}
	page := max(f.Page, 1)
	total, err := q.OrderExpr("coalesce(orq.submitted_at, orq.created_at) DESC, orq.id DESC").
		Limit(StaffPageSize).Offset(int64((page - 1) * StaffPageSize)).ScanAndCount(ctx)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	n := int(total)
	return &RequestList{Requests: rs, Total: n, Page: page, Pages: max(1, (n+StaffPageSize-1)/StaffPageSize)}, nil
}

// GetRequestByID is a request as the team sees it.
func (s *Store) GetRequestByID(ctx context.Context, id int64) (*RequestView, error) {
	return s.requestView(ctx, func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where("orq.id = ?", id) })
}

// Decision is what the team writes with an action: the message to the demandeur (changes,
// refusal, validation: the email's edited subject and body).
type Decision struct {
	Subject, Body string
	// FirstLoginNext is where a new référent's first login leads (their espace).
	FirstLoginNext string
}

// Validated is what a validation created.
type Validated struct {
	Organisation *Organisation
	Referent     *Aidant
	// FirstLogin is the new référent's login link token (empty when they had an account).
	FirstLogin string
}

// DecideRequest applies a staff action to a request (ActValidate, ActRefuse, ActAsk,
// ActPropose, ActWait), in one transaction with its journal entry (the staff account as
// actor) and its emails; a status that does not allow it is ErrTransition. Validation creates
// the organisation (with the request's habilitation number), the référent's account (or
// makes an existing account référent of it) and one habilitation request per aidant (and for
// the référent if they are one).
func (s *Store) DecideRequest(ctx context.Context, staffID, requestID int64, act HabilitationAction, d Decision, mail HabilitationMailFunc) (*Validated, error) {
	var out *Validated
	err := s.InTx(ctx, func(tx *Store) error {
		r := new(OrganisationRequest)
		if err := tx.db.NewSelect().Model(r).Relation("Demandeur").Relation("Aidants").Where("orq.id = ?", requestID).For("UPDATE OF orq").Scan(ctx); err != nil {
			return notFound(err, "lock request")
		}
		to, ok := HabilitationTransition(r.Status, act)
		if !ok || act == ActSubmit || act == ActClose {
			return ErrTransition
		}
		now := tx.Now()
		r.Status, r.UpdatedAt = to, now
		j := &JournalEntry{AidantID: &staffID, Info: "demande n° " + numberText(r) + " (" + r.Name + ")"}
		kind := ""
		switch act {
		case ActValidate:
			j.Action, kind = ActionStaffValidateRequest, "validated"
			v, err := tx.createFromRequest(ctx, staffID, r, d.FirstLoginNext)
			if err != nil {
				return err
			}
			out, r.OrganisationID, j.OrganisationID = v, &v.Organisation.ID, &v.Organisation.ID
		case ActRefuse:
			j.Action, kind = ActionStaffRefuseRequest, "refused"
		case ActAsk:
			j.Action, kind = ActionStaffAskChanges, "changes"
		case ActPropose:
			j.Action, kind = ActionStaffProposeChanges, "proposed"
		case ActWait:
			j.Action, kind = ActionStaffWaitRequest, "waiting"
		}
		if _, err := tx.db.NewUpdate().Model(r).Column("status", "updated_at", "organisation_id").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("decide request: %w", err)
		}
		if (act == ActAsk || act == ActPropose) && d.Body != "" {
			if _, err := tx.db.NewInsert().Model(&RequestMessage{OrganisationRequestID: r.ID, Sender: "staff", StaffID: &staffID, Body: d.Body, CreatedAt: now}).Exec(ctx); err != nil {
				return fmt.Errorf("message: %w", err)
			}
		}
		if err := tx.appendJournal(ctx, j); err != nil {
			return err
		}
		token, err := tx.sealer.Open(r.Demandeur.TokenSealed)
		if err != nil {
			return err
		}
		if err := tx.tellHabilitation(ctx, mail, HabilitationNotice{Kind: kind, To: r.Demandeur.Email, FirstName: r.Demandeur.FirstName,
			Token: string(token), Request: r, Message: d.Body, Subject: d.Subject}); err != nil {
			return err
		}
		if out == nil {
			return nil
		}
		// The référent: their espace, with a first login link when the account is new.
		return tx.tellHabilitation(ctx, mail, HabilitationNotice{Kind: "referent", To: out.Referent.Email, FirstName: out.Referent.FirstName,
			Key: out.FirstLogin, Request: r})
	})
	return out, err
}

func numberText(r *OrganisationRequest) string {
	if r.HabilitationNumber == nil {
		return "—"
	}
	return strconv.FormatInt(*r.HabilitationNumber, 10)
}

// createFromRequest is validation's creations (see DecideRequest).
func (s *Store) createFromRequest(ctx context.Context, staffID int64, r *OrganisationRequest, next string) (*Validated, error) {
	typeName := r.TypeName
	if r.TypeOther != "" {
		typeName = r.TypeOther
	}
	o := &Organisation{Name: r.Name, TypeName: typeName, Siret: r.Siret, Address: r.Address, Zipcode: r.Zipcode, City: r.City,
		HabilitationNumber: r.HabilitationNumber}
	if r.AttachOrganisationID != nil {
		// Attached to an organisation already known with this SIRET: no second one. It keeps
		// its own details and number; the référent and the aidants join it.
		o = new(Organisation)
		if err := s.db.NewSelect().Model(o).Where("id = ? AND siret = ?", *r.AttachOrganisationID, r.Siret).For("UPDATE").Scan(ctx); err != nil {
			return nil, notFound(err, "organisation to attach")
		}
	} else if err := s.CreateOrganisation(ctx, o); err != nil {
		return nil, err
	}
	v := &Validated{Organisation: o}
	ref := new(Aidant)
	err := s.db.NewSelect().Model(ref).Where("email = ?", NormaliseEmail(r.ReferentEmail)).For("UPDATE").Scan(ctx)
	switch {
	case err == nil:
		if err := s.AddMembership(ctx, ref.ID, o.ID, true); err != nil {
			return nil, err
		}
	case notFound(err, "") == ErrNotFound:
		ref = &Aidant{Email: r.ReferentEmail, FirstName: r.ReferentFirstName, LastName: r.ReferentLastName, Profession: r.ReferentProfession,
			Phone: r.ReferentPhone, CurrentOrganisationID: o.ID, IsActive: true}
		if err := s.CreateAidant(ctx, ref, true); err != nil {
			return nil, err
		}
		token, err := NewToken()
		if err != nil {
			return nil, err
		}
		now := s.Now()
		if _, err := s.db.NewInsert().Model(&MagicToken{TokenHash: HashToken(token), AidantID: ref.ID, NextPath: next,
			CreatedAt: now, ExpiresAt: now.Add(FirstLoginTTL)}).Exec(ctx); err != nil {
			return nil, fmt.Errorf("first login: %w", err)
		}
		v.FirstLogin = token
	default:
		return nil, fmt.Errorf("find referent: %w", err)
	}
	v.Referent = ref
	people := r.Aidants
	if r.ReferentIsAidant {
		people = append(people, AidantRequest{Email: r.ReferentEmail, FirstName: r.ReferentFirstName, LastName: r.ReferentLastName, Profession: r.ReferentProfession})
	}
	now := s.Now()
	for i := range people {
		p := &people[i]
		hr := &HabilitationRequest{OrganisationID: o.ID, Email: NormaliseEmail(p.Email), FirstName: p.FirstName, LastName: p.LastName,
			Profession: p.Profession, ConseillerNumerique: p.ConseillerNumerique, Status: RequestProcessing, Origin: "habilitation",
			CreatedByAidantID: &staffID, CreatedAt: now, UpdatedAt: now}
		if _, err := s.db.NewInsert().Model(hr).Returning("id").Exec(ctx); err != nil {
			return nil, fmt.Errorf("habilitation request: %w", err)
		}
		if p.ID != 0 {
			if _, err := s.db.NewUpdate().Model(p).Set("habilitation_request_id = ?", hr.ID).WherePK().Exec(ctx); err != nil {
				return nil, fmt.Errorf("link aidant request: %w", err)
			}
		}
	}
	return v, nil
}

// AddStaffMessage is the team writing to the demandeur on a request (emailed, journaled).
func (s *Store) AddStaffMessage(ctx context.Context, staffID, requestID int64, body string, mail HabilitationMailFunc) error {
	return s.InTx(ctx, func(tx *Store) error {
		r := new(OrganisationRequest)
		if err := tx.db.NewSelect().Model(r).Relation("Demandeur").Where("orq.id = ?", requestID).Scan(ctx); err != nil {
			return notFound(err, "find request")
		}
		if _, err := tx.db.NewInsert().Model(&RequestMessage{OrganisationRequestID: r.ID, Sender: "staff", StaffID: &staffID, Body: body, CreatedAt: tx.Now()}).Exec(ctx); err != nil {
			return fmt.Errorf("message: %w", err)
		}
		if err := tx.appendJournal(ctx, &JournalEntry{Action: ActionStaffMessage, AidantID: &staffID, OrganisationID: r.OrganisationID,
			Info: "demande n° " + numberText(r)}); err != nil {
			return err
		}
		token, err := tx.sealer.Open(r.Demandeur.TokenSealed)
		if err != nil {
			return err
		}
		return tx.tellHabilitation(ctx, mail, HabilitationNotice{Kind: "message", To: r.Demandeur.Email, FirstName: r.Demandeur.FirstName,
			Token: string(token), Request: r, Message: body})
	})
}
