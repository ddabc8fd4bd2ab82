package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
)

func likePattern(w string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.TrimSpace(w)) + "%"
}

// SearchOrganisations finds organisations by name, SIRET or habilitation number (50 at most).
func (s *Store) SearchOrganisations(ctx context.Context, query string) ([]Organisation, error) {
	var os []Organisation
	q := s.db.NewSelect().Model(&os)
	if w := strings.TrimSpace(query); w != "" {
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("name ILIKE ?", likePattern(w)).WhereOr("siret = ?", strings.Join(strings.Fields(w), "")).
				WhereOr("habilitation_number::text = ?", w)
		})
	}
	if err := q.OrderExpr("name, id").Limit(50).Scan(ctx); err != nil {
		return nil, fmt.Errorf("search organisations: %w", err)
	}
	return os, nil
}

// StaffOrganisation is an organisation with its members, for the team.
type StaffOrganisation struct {
	Organisation *Organisation
	Members      []Aidant
	Referents    map[int64]bool
}

// GetStaffOrganisation is an organisation and its members.
func (s *Store) GetStaffOrganisation(ctx context.Context, id int64) (*StaffOrganisation, error) {
	so := &StaffOrganisation{Organisation: new(Organisation), Referents: map[int64]bool{}}
	if err := s.db.NewSelect().Model(so.Organisation).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "get organisation")
	}
	var ms []Membership
	if err := s.db.NewSelect().Model(&ms).Where("organisation_id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	ids := []int64{}
	for _, m := range ms {
		ids = append(ids, m.AidantID)
		so.Referents[m.AidantID] = m.IsReferent
	}
	if len(ids) > 0 {
		if err := s.db.NewSelect().Model(&so.Members).Where("id IN (?)", bun.In(ids)).OrderExpr("last_name, first_name, id").Scan(ctx); err != nil {
			return nil, fmt.Errorf("members: %w", err)
		}
	}
	return so, nil
}

// SetOrganisationActive deactivates or reactivates an organisation, journaled with the staff
// account as actor. Its aidants lose it as a current organisation (RequireOrganisation).
func (s *Store) SetOrganisationActive(ctx context.Context, staffID, id int64, active bool) error {
	return s.InTx(ctx, func(tx *Store) error {
		res, err := tx.db.NewUpdate().Model((*Organisation)(nil)).Set("is_active = ?", active).Where("id = ? AND is_active <> ?", id, active).Exec(ctx)
		if err != nil {
			return fmt.Errorf("organisation active: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if ok, _ := tx.db.NewSelect().Model((*Organisation)(nil)).Where("id = ?", id).Exists(ctx); !ok {
				return ErrNotFound
			}
			return ErrUnavailable
		}
		return tx.appendJournal(ctx, &JournalEntry{Action: ActionStaffOrganisation, AidantID: &staffID, OrganisationID: &id, Info: activeWord(active)})
	})
}

func activeWord(active bool) string {
	if active {
		return "réactivée par l'équipe"
	}
	return "désactivée par l'équipe"
}

// SearchAidants finds accounts by email or name (50 at most).
func (s *Store) SearchAidants(ctx context.Context, query string) ([]Aidant, error) {
	var as []Aidant
	q := s.db.NewSelect().Model(&as)
	if w := strings.TrimSpace(query); w != "" {
		like := likePattern(w)
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("email ILIKE ?", like).WhereOr("last_name ILIKE ?", like).WhereOr("first_name ILIKE ?", like)
		})
	}
	if err := q.OrderExpr("last_name, first_name, id").Limit(50).Scan(ctx); err != nil {
		return nil, fmt.Errorf("search aidants: %w", err)
	}
	return as, nil
}

// StaffAidant is an account with its organisations, for the team.
type StaffAidant struct {
	Aidant        *Aidant
	Organisations []Membership
}

// GetStaffAidant is an account, active or not, and its organisations.
func (s *Store) GetStaffAidant(ctx context.Context, id int64) (*StaffAidant, error) {
	sa := &StaffAidant{Aidant: new(Aidant)}
	if err := s.db.NewSelect().Model(sa.Aidant).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "get aidant")
	}
	if err := s.db.NewSelect().Model(&sa.Organisations).Relation("Organisation").Where("membership.aidant_id = ?", id).
		OrderExpr("organisation.name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("aidant organisations: %w", err)
	}
	return sa, nil
}

// StaffSetAidantActive deactivates (ending their sessions) or reactivates an account,
// journaled with the staff account as actor. A staff account cannot deactivate itself.
func (s *Store) StaffSetAidantActive(ctx context.Context, staffID, id int64, active bool) error {
	if id == staffID && !active {
		return ErrUnavailable
	}
	return s.InTx(ctx, func(tx *Store) error {
		a := new(Aidant)
		if err := tx.db.NewSelect().Model(a).Where("id = ?", id).For("UPDATE").Scan(ctx); err != nil {
			return notFound(err, "lock aidant")
		}
		if a.IsActive == active {
			return ErrUnavailable
		}
		if _, err := tx.db.NewUpdate().Model(a).Set("is_active = ?", active).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("aidant active: %w", err)
		}
		if !active {
			if err := tx.DeleteAidantSessions(ctx, id); err != nil {
				return err
			}
		}
		return tx.appendJournal(ctx, &JournalEntry{Action: ActionStaffAidant, AidantID: &staffID, OrganisationID: a.organisationRef(),
			Info: a.Email + " " + strings.Replace(activeWord(active), "ée", "é", 1)})
	})
}
