package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// ConfirmKeyTTL is how long an email confirmation link works after it was sent.
const ConfirmKeyTTL = 3 * 24 * time.Hour

var (
	// ErrExpired is an email confirmation link older than ConfirmKeyTTL.
	ErrExpired = errors.New("habilitation: confirmation link expired")
	// ErrUnconfirmed is a demandeur whose email is not confirmed yet.
	ErrUnconfirmed = errors.New("habilitation: email not confirmed")
	// ErrIncomplete is a request submitted before its steps were all filled in.
	ErrIncomplete = errors.New("habilitation: request incomplete")
)

// DemandeurInput is the demandeur step.
type DemandeurInput struct {
	Email, FirstName, LastName, Profession, Phone string
}

// StartDemandeur is the form's first step. A new email gets a demandeur and a confirmation
// link; a known one gets a reminder of their space's link and nothing is created. Either way
// the page says the same: check your email.
func (s *Store) StartDemandeur(ctx context.Context, in DemandeurInput, mail HabilitationMailFunc) error {
	email := NormaliseEmail(in.Email)
	return s.InTx(ctx, func(tx *Store) error {
		d := new(Demandeur)
		err := tx.db.NewSelect().Model(d).Where("email = ?", email).For("UPDATE").Scan(ctx)
		if err == nil {
			return tx.remind(ctx, d, mail)
		}
		if notFound(err, "") != ErrNotFound {
			return fmt.Errorf("find demandeur: %w", err)
		}
		token, err := NewToken()
		if err != nil {
			return err
		}
		d = &Demandeur{Email: email, FirstName: in.FirstName, LastName: in.LastName, Profession: in.Profession,
			Phone: in.Phone, TokenHash: HashToken(token), CreatedAt: tx.Now()}
		if d.TokenSealed, err = tx.sealer.Seal([]byte(token)); err != nil {
			return err
		}
		if _, err := tx.db.NewInsert().Model(d).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("create demandeur: %w", err)
		}
		return tx.sendConfirmation(ctx, d, mail)
	})
}

// remind emails a known demandeur: their space's link once their email is confirmed, a new
// confirmation link before.
func (s *Store) remind(ctx context.Context, d *Demandeur, mail HabilitationMailFunc) error {
	if d.EmailConfirmedAt == nil {
		return s.sendConfirmation(ctx, d, mail)
	}
	token, err := s.sealer.Open(d.TokenSealed)
	if err != nil {
		return err
	}
	return s.tellHabilitation(ctx, mail, HabilitationNotice{Kind: "reminder", To: d.Email, FirstName: d.FirstName, Token: string(token)})
}

// sendConfirmation gives the demandeur a new confirmation key and emails it.
func (s *Store) sendConfirmation(ctx context.Context, d *Demandeur, mail HabilitationMailFunc) error {
	key, err := NewToken()
	if err != nil {
		return err
	}
	now := s.Now()
	if _, err := s.db.NewUpdate().Model(d).Set("confirm_key_hash = ?", HashToken(key)).Set("confirm_sent_at = ?", now).
		WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("confirmation key: %w", err)
	}
	return s.tellHabilitation(ctx, mail, HabilitationNotice{Kind: "confirm", To: d.Email, FirstName: d.FirstName, Key: key})
}

func (s *Store) tellHabilitation(ctx context.Context, mail HabilitationMailFunc, n HabilitationNotice) error {
	if mail == nil {
		return nil
	}
	e, err := mail(n)
	if err != nil {
		return err
	}
	return s.QueueEmail(ctx, e)
}

// FollowDemandeur is « Suivre ma demande »: a known email gets its reminder; an unknown one
// nothing (the page says the same either way).
func (s *Store) FollowDemandeur(ctx context.Context, email string, mail HabilitationMailFunc) error {
	return s.InTx(ctx, func(tx *Store) error {
		d := new(Demandeur)
		err := tx.db.NewSelect().Model(d).Where("email = ?", NormaliseEmail(email)).For("UPDATE").Scan(ctx)
		if notFound(err, "") == ErrNotFound {
			return nil
		}
		if err != nil {
			return fmt.Errorf("find demandeur: %w", err)
		}
		return tx.remind(ctx, d, mail)
	})
}

// ConfirmDemandeurEmail confirms the email of the link's demandeur and returns their space's
// token. Unknown key: ErrNotFound; older than ConfirmKeyTTL: ErrExpired.
func (s *Store) ConfirmDemandeurEmail(ctx context.Context, key string) (string, error) {
	var token string
	err := s.InTx(ctx, func(tx *Store) error {
		d := new(Demandeur)
		if err := tx.db.NewSelect().Model(d).Where("confirm_key_hash = ?", HashToken(key)).For("UPDATE").Scan(ctx); err != nil {
			return notFound(err, "find confirmation")
		}
		now := tx.Now()
		if d.ConfirmSentAt == nil || now.Sub(*d.ConfirmSentAt) > ConfirmKeyTTL {
			return ErrExpired
		}
		if d.EmailConfirmedAt == nil {
			if _, err := tx.db.NewUpdate().Model(d).Set("email_confirmed_at = ?", now).WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("confirm email: %w", err)
			}
		}
		t, err := tx.sealer.Open(d.TokenSealed)
		token = string(t)
		return err
	})
	return token, err
}

// demandeurByToken finds the space's demandeur, confirmed; lock for an action.
func (s *Store) demandeurByToken(ctx context.Context, token string, lock bool) (*Demandeur, error) {
	d := new(Demandeur)
	q := s.db.NewSelect().Model(d).Where("token_hash = ?", HashToken(token))
	if lock {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, notFound(err, "find demandeur")
	}
	if d.EmailConfirmedAt == nil {
		return d, ErrUnconfirmed
	}
	return d, nil
}

// DemandeurSpace is the demandeur's space: who they are and their requests, newest first.
type DemandeurSpace struct {
	Demandeur *Demandeur
	Requests  []OrganisationRequest
}

// GetDemandeurSpace opens a space by its token: unknown is ErrNotFound, unconfirmed
// ErrUnconfirmed.
func (s *Store) GetDemandeurSpace(ctx context.Context, token string) (*DemandeurSpace, error) {
	d, err := s.demandeurByToken(ctx, token, false)
	if err != nil {
		return nil, err
	}
	sp := &DemandeurSpace{Demandeur: d}
	if err := s.db.NewSelect().Model(&sp.Requests).Where("demandeur_id = ?", d.ID).OrderExpr("created_at DESC, id DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	return sp, nil
}

// CreateRequest starts a draft for a SIRET the directory knew, prefilled with what it said,
// and emails the demandeur its link. attachTo is the organisation already known with that
// SIRET that the demandeur chose to attach the request to (nil: a new organisation); one
// with another SIRET is ErrNotFound.
func (s *Store) CreateRequest(ctx context.Context, token string, e *Etablissement, attachTo *int64, mail HabilitationMailFunc) (*OrganisationRequest, error) {
	r := &OrganisationRequest{Status: HabilitationNew, Siret: e.Siret, Name: e.Name, LegalCategory: e.LegalCategory,
		Address: e.Address, Zipcode: e.Zipcode, City: e.City, CityCode: e.CityCode, Departement: Departement(e.Zipcode),
		AttachOrganisationID: attachTo}
	err := s.InTx(ctx, func(tx *Store) error {
		d, err := tx.demandeurByToken(ctx, token, true)
		if err != nil {
			return err
		}
		if attachTo != nil {
			n, err := tx.db.NewSelect().Table("organisations").Where("id = ? AND siret = ?", *attachTo, e.Siret).Count(ctx)
			if err != nil {
				return fmt.Errorf("organisation to attach: %w", err)
			}
			if n == 0 {
				return ErrNotFound
			}
		}
		r.DemandeurID, r.CreatedAt, r.UpdatedAt = d.ID, tx.Now(), tx.Now()
		if _, err := tx.db.NewInsert().Model(r).Returning("id, uuid").Exec(ctx); err != nil {
			return fmt.Errorf("create request: %w", err)
		}
		return tx.tellHabilitation(ctx, mail, HabilitationNotice{Kind: "created", To: d.Email, FirstName: d.FirstName, Token: token, Request: r})
	})
	return r, err
}

// RequestView is one request as its demandeur or the team sees it.
type RequestView struct {
	Request  *OrganisationRequest // with its demandeur and aidants
	Messages []RequestMessage
	Known    []Organisation // organisations already known with the request's SIRET
}

// GetRequest is one of the space's requests, by its uuid: another demandeur's is ErrNotFound.
func (s *Store) GetRequest(ctx context.Context, token, requestUUID string) (*RequestView, error) {
	if !ValidUUID(requestUUID) {
		return nil, ErrNotFound
	}
	d, err := s.demandeurByToken(ctx, token, false)
	if err != nil {
		return nil, err
	}
	return s.requestView(ctx, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("orq.uuid = ? AND orq.demandeur_id = ?", requestUUID, d.ID)
	})
}

func (s *Store) requestView(ctx context.Context, where func(*bun.SelectQuery) *bun.SelectQuery) (*RequestView, error) {
	v := &RequestView{Request: new(OrganisationRequest)}
	q := s.db.NewSelect().Model(v.Request).Relation("Demandeur").
		Relation("Aidants", func(q *bun.SelectQuery) *bun.SelectQuery { return q.OrderExpr("id") })
	if err := where(q).Scan(ctx); err != nil {
		return nil, notFound(err, "get request")
	}
	if err := s.db.NewSelect().Model(&v.Messages).Where("organisation_request_id = ?", v.Request.ID).OrderExpr("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	known, err := s.OrganisationsBySiret(ctx, v.Request.Siret)
	v.Known = known
	return v, err
}

// Attached is the known organisation the request is attached to (nil: a new one).
func (v *RequestView) Attached() *Organisation {
	for i := range v.Known {
		if a := v.Request.AttachOrganisationID; a != nil && v.Known[i].ID == *a {
			return &v.Known[i]
		}
	}
	return nil
}

// ValidUUID reports a canonical uuid (a public URL's request reference): anything else is
// answered 404 without asking the database, which would refuse the cast.
func ValidUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdef", r) {
				return false
			}
		}
	}
	return true
}

// editRequest locks one of the space's requests for a change by its demandeur: unknown is
// ErrNotFound, not editable in its status ErrTransition.
func (s *Store) editRequest(ctx context.Context, token, requestUUID string) (*Demandeur, *OrganisationRequest, error) {
	if !ValidUUID(requestUUID) {
		return nil, nil, ErrNotFound
	}
	d, err := s.demandeurByToken(ctx, token, true)
	if err != nil {
		return nil, nil, err
	}
	r := new(OrganisationRequest)
	if err := s.db.NewSelect().Model(r).Where("uuid = ? AND demandeur_id = ?", requestUUID, d.ID).For("UPDATE").Scan(ctx); err != nil {
		return nil, nil, notFound(err, "lock request")
	}
	if !r.Status.Editable() {
		return d, r, ErrTransition
	}
	return d, r, nil
}

// StructureInput is the structure step.
type StructureInput struct {
	Name, TypeName, TypeOther, Address, Zipcode, City, FranceServicesNumber, WebSite, MissionDescription string
}

// UpdateStructure saves the structure step of an editable request.
func (s *Store) UpdateStructure(ctx context.Context, token, requestUUID string, in StructureInput) error {
	return s.InTx(ctx, func(tx *Store) error {
		_, r, err := tx.editRequest(ctx, token, requestUUID)
		if err != nil {
			return err
		}
		_, err = tx.db.NewUpdate().Model(r).
			Set("name = ?, type_name = ?, type_other = ?, address = ?, zipcode = ?, city = ?, departement = ?", in.Name, in.TypeName, in.TypeOther, in.Address, in.Zipcode, in.City, Departement(in.Zipcode)).
			Set("france_services_number = ?, web_site = ?, mission_description = ?, updated_at = ?", in.FranceServicesNumber, in.WebSite, in.MissionDescription, tx.Now()).
			WherePK().Exec(ctx)
		return notFound(err, "update structure")
	})
}

// ReferentInput is the référent step.
type ReferentInput struct {
	FirstName, LastName, Email, Phone, Profession string
}

// UpdateReferent saves the référent step of an editable request.
func (s *Store) UpdateReferent(ctx context.Context, token, requestUUID string, in ReferentInput) error {
	return s.InTx(ctx, func(tx *Store) error {
		_, r, err := tx.editRequest(ctx, token, requestUUID)
		if err != nil {
			return err
		}
		_, err = tx.db.NewUpdate().Model(r).
			Set("referent_first_name = ?, referent_last_name = ?, referent_email = ?, referent_phone = ?, referent_profession = ?",
				in.FirstName, in.LastName, NormaliseEmail(in.Email), in.Phone, in.Profession).
			Set("updated_at = ?", tx.Now()).WherePK().Exec(ctx)
		return notFound(err, "update referent")
	})
}

// SetAidants replaces the people to accredit of an editable request (emails unique: the
// handler says which row repeats one; the table refuses it anyway), and whether the référent
// is an aidant too.
func (s *Store) SetAidants(ctx context.Context, token, requestUUID string, people []NewPerson, referentIsAidant bool) error {
	return s.InTx(ctx, func(tx *Store) error {
		_, r, err := tx.editRequest(ctx, token, requestUUID)
		if err != nil {
			return err
		}
		if _, err := tx.db.NewDelete().Model((*AidantRequest)(nil)).Where("organisation_request_id = ?", r.ID).Exec(ctx); err != nil {
			return fmt.Errorf("clear aidants: %w", err)
		}
		for _, p := range people {
			a := &AidantRequest{OrganisationRequestID: r.ID, Email: NormaliseEmail(p.Email), FirstName: p.FirstName,
				LastName: p.LastName, Profession: p.Profession, ConseillerNumerique: p.ConseillerNumerique}
			if _, err := tx.db.NewInsert().Model(a).Exec(ctx); err != nil {
				return fmt.Errorf("add aidant: %w", err)
			}
		}
		_, err = tx.db.NewUpdate().Model(r).Set("referent_is_aidant = ?, updated_at = ?", referentIsAidant, tx.Now()).WherePK().Exec(ctx)
		return notFound(err, "save aidants")
	})
}

// Commitments are the five boxes of the summary.
type Commitments struct {
	CGU, NotFree, DPO, ProfessionalsOnly, WithoutElected bool
}

// All reports the five ticked.
func (c Commitments) All() bool {
	return c.CGU && c.NotFree && c.DPO && c.ProfessionalsOnly && c.WithoutElected
}

// SubmitRequest submits an editable request with its five commitments: the structure and
// the référent must be there (ErrIncomplete), and at least one aidant unless the référent is
// one. A référent listed among the aidants becomes the référent-aidant. The first submission
// assigns the habilitation number (the zipcode's first three digits, then a counter); the
// demandeur is emailed.
func (s *Store) SubmitRequest(ctx context.Context, token, requestUUID string, c Commitments, mail HabilitationMailFunc) error {
	return s.InTx(ctx, func(tx *Store) error {
		d, r, err := tx.editRequest(ctx, token, requestUUID)
		if err != nil {
			return err
		}
		if !c.All() || !r.HasStructure() || !r.HasReferent() {
			return ErrIncomplete
		}
		res, err := tx.db.NewDelete().Model((*AidantRequest)(nil)).Where("organisation_request_id = ? AND email = ?", r.ID, r.ReferentEmail).Exec(ctx)
		if err != nil {
			return fmt.Errorf("referent aidant: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			r.ReferentIsAidant = true
		}
		aidants, err := tx.db.NewSelect().Model((*AidantRequest)(nil)).Where("organisation_request_id = ?", r.ID).Count(ctx)
		if err != nil {
			return fmt.Errorf("count aidants: %w", err)
		}
		if aidants == 0 && !r.ReferentIsAidant {
			return ErrIncomplete
		}
		kind := "modified"
		if r.HabilitationNumber == nil {
			kind = "submitted"
			var next int64
			if err := tx.db.NewRaw("SELECT nextval('habilitation_number_seq')").Scan(ctx, &next); err != nil {
				return fmt.Errorf("habilitation number: %w", err)
			}
			zip3 := "000"
			if len(r.Zipcode) >= 3 {
				zip3 = r.Zipcode[:3]
			}
			n, err := strconv.ParseInt(zip3+strconv.FormatInt(next, 10), 10, 64)
			if err != nil {
				return fmt.Errorf("habilitation number: %w", err)
			}
			r.HabilitationNumber = &n
		}
		to, _ := HabilitationTransition(r.Status, ActSubmit)
		now := tx.Now()
		r.Status, r.SubmittedAt, r.UpdatedAt = to, &now, now
		r.CGU, r.NotFree, r.DPO, r.ProfessionalsOnly, r.WithoutElected = true, true, true, true, true
		if _, err := tx.db.NewUpdate().Model(r).Column("status", "submitted_at", "updated_at", "habilitation_number", "referent_is_aidant",
			"cgu", "not_free", "dpo", "professionals_only", "without_elected").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("submit request: %w", err)
		}
		return tx.tellHabilitation(ctx, mail, HabilitationNotice{Kind: kind, To: d.Email, FirstName: d.FirstName, Token: token, Request: r})
	})
}

// AddDemandeurMessage is the demandeur writing to the team on one of their requests.
func (s *Store) AddDemandeurMessage(ctx context.Context, token, requestUUID, body string) error {
	if !ValidUUID(requestUUID) {
		return ErrNotFound
	}
	return s.InTx(ctx, func(tx *Store) error {
		d, err := tx.demandeurByToken(ctx, token, true)
		if err != nil {
			return err
		}
		var id int64
		if err := tx.db.NewSelect().Model((*OrganisationRequest)(nil)).Column("id").Where("uuid = ? AND demandeur_id = ?", requestUUID, d.ID).Scan(ctx, &id); err != nil {
			return notFound(err, "find request")
		}
		m := &RequestMessage{OrganisationRequestID: id, Sender: "demandeur", Body: body, CreatedAt: tx.Now()}
		_, err = tx.db.NewInsert().Model(m).Exec(ctx)
		return notFound(err, "add message")
	})
}
