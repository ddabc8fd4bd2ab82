package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// StaffAidantRequest is a person to train as the team lists them, with their organisation.
type StaffAidantRequest struct {
	HabilitationRequest `bun:",extend"`
	OrganisationName    string     `bun:"organisation_name"`
	TrainingDate        *time.Time `bun:"training_date"`
	TrainingOrganisme   string     `bun:"training_organisme"`
}

// ListAidantRequests lists the habilitation requests of people to train (from the form and
// from référents), newest first, in a status ("" for those still to decide on) and matching
// a name, email or organisation.
func (s *Store) ListAidantRequests(ctx context.Context, status RequestStatus, query string) ([]StaffAidantRequest, error) {
	var rs []StaffAidantRequest
	q := s.db.NewSelect().Model(&rs).ColumnExpr("habilitation_request.*").ColumnExpr("o.name AS organisation_name").
		Join("JOIN organisations AS o ON o.id = habilitation_request.organisation_id")
	if status != "" {
		q = q.Where("habilitation_request.status = ?", status)
	} else {
		q = q.Where("habilitation_request.status IN (?)", bun.In(pendingHabilitationStatuses))
	}
	if w := strings.TrimSpace(query); w != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(w) + "%"
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("habilitation_request.email ILIKE ?", like).WhereOr("habilitation_request.last_name ILIKE ?", like).
				WhereOr("habilitation_request.first_name ILIKE ?", like).WhereOr("o.name ILIKE ?", like)
		})
	}
	if err := q.OrderExpr("habilitation_request.created_at DESC, habilitation_request.id DESC").Limit(200).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list aidant requests: %w", err)
	}
	return rs, nil
}

// lockAidantRequest locks a habilitation request for a staff action allowed from those
// statuses (else ErrUnavailable).
func (s *Store) lockAidantRequest(ctx context.Context, id int64, from ...RequestStatus) (*HabilitationRequest, *Organisation, error) {
	r := new(HabilitationRequest)
	if err := s.db.NewSelect().Model(r).Where("id = ?", id).For("UPDATE").Scan(ctx); err != nil {
		return nil, nil, notFound(err, "lock habilitation request")
	}
	if !slices.Contains(from, r.Status) {
		return nil, nil, ErrUnavailable
	}
	o := new(Organisation)
	if err := s.db.NewSelect().Model(o).Where("id = ?", r.OrganisationID).Scan(ctx); err != nil {
		return nil, nil, fmt.Errorf("organisation: %w", err)
	}
	return r, o, nil
}

func (s *Store) setAidantRequestStatus(ctx context.Context, r *HabilitationRequest, st RequestStatus) error {
	r.Status, r.UpdatedAt = st, s.Now()
	_, err := s.db.NewUpdate().Model(r).Column("status", "updated_at").WherePK().Exec(ctx)
	return notFound(err, "habilitation request status")
}

// tellReferents emails the organisation's référents.
func (s *Store) tellReferents(ctx context.Context, mail HabilitationMailFunc, o *Organisation, n HabilitationNotice) error {
	var refs []Aidant
	if err := s.db.NewSelect().Model(&refs).Join("JOIN aidant_organisations AS ao ON ao.aidant_id = aidant.id").
		Where("ao.organisation_id = ? AND ao.is_referent AND aidant.is_active", o.ID).OrderExpr("aidant.id").Scan(ctx); err != nil {
		return fmt.Errorf("referents: %w", err)
	}
	for _, r := range refs {
		n.To, n.FirstName = r.Email, r.FirstName
		if err := s.tellHabilitation(ctx, mail, n); err != nil {
			return err
		}
	}
	return nil
}

// MarkEligible validates a person's eligibility: they may now be trained. Journaled, the
// person emailed.
func (s *Store) MarkEligible(ctx context.Context, staffID, id int64, mail HabilitationMailFunc) error {
	return s.InTx(ctx, func(tx *Store) error {
		r, o, err := tx.lockAidantRequest(ctx, id, RequestWaitingList, RequestNew)
		if err != nil {
			return err
		}
		if err := tx.setAidantRequestStatus(ctx, r, RequestProcessing); err != nil {
			return err
		}
		if err := tx.appendJournal(ctx, &JournalEntry{Action: ActionStaffEligible, AidantID: &staffID, OrganisationID: &o.ID, Info: r.Email}); err != nil {
			return err
		}
		return tx.tellHabilitation(ctx, mail, HabilitationNotice{Kind: "eligible", To: r.Email, FirstName: r.FirstName,
			Request: &OrganisationRequest{Name: o.Name}})
	})
}

// MarkTrained records a person's training (date, organisme) and makes them an aidant of the
// organisation: a new account (who may create mandats), or a membership of an existing one.
// The organisation's référents are told to link a carte. Journaled.
func (s *Store) MarkTrained(ctx context.Context, staffID, id int64, day time.Time, organisme string, mail HabilitationMailFunc) (*Aidant, error) {
	var a *Aidant
	err := s.InTx(ctx, func(tx *Store) error {
		r, o, err := tx.lockAidantRequest(ctx, id, RequestProcessing, RequestProcessingP2P)
		if err != nil {
			return err
		}
		if _, err := tx.db.NewUpdate().Model(r).Set("training_date = ?, training_organisme = ?", day.Format("2006-01-02"), organisme).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("training: %w", err)
		}
		if err := tx.setAidantRequestStatus(ctx, r, RequestValidated); err != nil {
			return err
		}
		a = new(Aidant)
		err = tx.db.NewSelect().Model(a).Where("email = ?", r.Email).For("UPDATE").Scan(ctx)
		switch {
		case err == nil:
			if err := tx.AddMembership(ctx, a.ID, o.ID, isReferentOf(ctx, tx, a.ID, o.ID)); err != nil {
				return err
			}
			if _, err := tx.db.NewUpdate().Model(a).Set("can_create_mandats = true").WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("aidant may create mandats: %w", err)
			}
		case notFound(err, "") == ErrNotFound:
			a = &Aidant{Email: r.Email, FirstName: r.FirstName, LastName: r.LastName, Profession: r.Profession,
				CurrentOrganisationID: o.ID, CanCreateMandats: true, IsActive: true}
			if err := tx.CreateAidant(ctx, a, false); err != nil {
				return err
			}
		default:
			return fmt.Errorf("find aidant: %w", err)
		}
		if err := tx.appendJournal(ctx, &JournalEntry{Action: ActionStaffTrained, AidantID: &staffID, OrganisationID: &o.ID,
			Info: r.Email + ", formé le " + day.Format("02/01/2006") + " par " + organisme}); err != nil {
			return err
		}
		return tx.tellReferents(ctx, mail, o, HabilitationNotice{Kind: "trained", Request: &OrganisationRequest{Name: o.Name}, Message: r.FullName()})
	})
	return a, err
}

func isReferentOf(ctx context.Context, tx *Store, aidantID, orgID int64) bool {
	ok, _ := tx.db.NewSelect().Model((*Membership)(nil)).Where("aidant_id = ? AND organisation_id = ? AND is_referent", aidantID, orgID).Exists(ctx)
	return ok
}

// RefuseAidantRequest refuses a person; the référents are told. Journaled.
func (s *Store) RefuseAidantRequest(ctx context.Context, staffID, id int64, mail HabilitationMailFunc) error {
	return s.InTx(ctx, func(tx *Store) error {
		r, o, err := tx.lockAidantRequest(ctx, id, pendingHabilitationStatuses...)
		if err != nil {
			return err
		}
		if err := tx.setAidantRequestStatus(ctx, r, RequestRefused); err != nil {
			return err
		}
		if err := tx.appendJournal(ctx, &JournalEntry{Action: ActionStaffRefuseAidant, AidantID: &staffID, OrganisationID: &o.ID, Info: r.Email}); err != nil {
			return err
		}
		return tx.tellReferents(ctx, mail, o, HabilitationNotice{Kind: "aidant_refused", Request: &OrganisationRequest{Name: o.Name}, Message: r.FullName()})
	})
}
