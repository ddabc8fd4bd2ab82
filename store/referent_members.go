package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/uptrace/bun"
)

// ErrNoOrganisation: an aidant must stay in at least one organisation.
var ErrNoOrganisation = errors.New("au moins une organisation")

// Deactivation is what deactivating an aidant did.
type Deactivation int

const (
	// Deactivated: the organisation was the aidant's only one; the account is inactive and
	// every session of theirs has ended.
	Deactivated Deactivation = iota + 1
	// RemovedFromOrganisation: the aidant works for other organisations too and stays
	// active there; they leave the scope's organisation only.
	RemovedFromOrganisation
)

// DeactivateAidant deactivates an active aidant of the scope whose only organisation it is,
// or removes them from it when they have others (the reference's rule). A référent cannot
// deactivate themselves (ErrUnavailable).
func (s *Store) DeactivateAidant(ctx context.Context, scope ReferentScope, aidantID int64, notify NoticeFunc) (Deactivation, error) {
	var out Deactivation
	err := s.InTx(ctx, func(tx *Store) error {
		m, err := tx.lockManaged(ctx, scope, aidantID)
		if err != nil {
			return err
		}
		if !m.aidant.IsActive || m.aidant.ID == scope.ReferentID {
			return ErrUnavailable
		}
		others, err := tx.db.NewSelect().Table("aidant_organisations").
			Where("aidant_id = ? AND organisation_id <> ?", m.aidant.ID, m.org.ID).Count(ctx)
		if err != nil {
			return fmt.Errorf("count memberships: %w", err)
		}
		if others > 0 {
			out = RemovedFromOrganisation
			if err := tx.removeMemberships(ctx, m, []int64{m.org.ID}); err != nil {
				return err
			}
			return tx.tell(ctx, notify, m.notice(NoticeRemoved))
		}
		out = Deactivated
		if _, err := tx.db.NewUpdate().Model(m.aidant).Set("is_active = false").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("deactivate aidant: %w", err)
		}
		if err := tx.DeleteAidantSessions(ctx, m.aidant.ID); err != nil {
			return err
		}
		if err := tx.appendJournal(ctx, m.journal(ActionAidantDeactivation, "")); err != nil {
			return err
		}
		return tx.tell(ctx, notify, m.notice(NoticeDeactivated))
	})
	return out, err
}

// ReactivateAidant makes an inactive aidant of the scope active again.
func (s *Store) ReactivateAidant(ctx context.Context, scope ReferentScope, aidantID int64, notify NoticeFunc) error {
	return s.InTx(ctx, func(tx *Store) error {
		m, err := tx.lockManaged(ctx, scope, aidantID)
		if err != nil {
			return err
		}
		if m.aidant.IsActive {
			return ErrUnavailable
		}
		if _, err := tx.db.NewUpdate().Model(m.aidant).Set("is_active = true").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("reactivate aidant: %w", err)
		}
		if err := tx.appendJournal(ctx, m.journal(ActionAidantReactivation, "")); err != nil {
			return err
		}
		return tx.tell(ctx, notify, m.notice(NoticeReactivated))
	})
}

// SetAidantOrganisations makes the aidant a member of exactly orgIDs among the organisations
// the référent manages (at least one: ErrNoOrganisation); memberships in organisations the
// référent does not manage are kept. An organisation the référent does not manage is
// ErrNotFound. It reports whether the aidant is still in the scope's organisation.
func (s *Store) SetAidantOrganisations(ctx context.Context, scope ReferentScope, aidantID int64, orgIDs []int64, notify NoticeFunc) (bool, error) {
	if len(orgIDs) == 0 {
		return false, ErrNoOrganisation
	}
	still := true
	err := s.InTx(ctx, func(tx *Store) error {
		m, err := tx.lockManaged(ctx, scope, aidantID)
		if err != nil {
			return err
		}
		if m.aidant.ID == scope.ReferentID {
			return ErrUnavailable
		}
		managed, err := tx.managedOrganisations(ctx, scope.ReferentID)
		if err != nil {
			return err
		}
		byID := map[int64]*Organisation{}
		for i := range managed {
			byID[managed[i].ID] = &managed[i]
		}
		for _, id := range orgIDs {
			if byID[id] == nil {
				return ErrNotFound
			}
		}
		var current []int64
		if err := tx.db.NewSelect().Table("aidant_organisations").Column("organisation_id").
			Where("aidant_id = ?", m.aidant.ID).Scan(ctx, &current); err != nil {
			return fmt.Errorf("memberships: %w", err)
		}
		var add, remove []int64
		for _, id := range uniqueIDs(orgIDs) {
			if !slices.Contains(current, id) {
				add = append(add, id)
			}
		}
		for _, id := range current {
			if byID[id] != nil && !slices.Contains(orgIDs, id) {
				remove = append(remove, id)
			}
		}
		if len(add)+len(remove) == 0 {
			return nil
		}
		for _, id := range add {
			if err := tx.AddMembership(ctx, m.aidant.ID, id, false); err != nil {
				return err
			}
			e := m.journal(ActionMembershipAdd, "")
			e.OrganisationID = &byID[id].ID
			if err := tx.appendJournal(ctx, e); err != nil {
				return err
			}
		}
		if err := tx.removeMemberships(ctx, m, remove); err != nil {
			return err
		}
		still = !slices.Contains(remove, m.org.ID)
		n := m.notice(NoticeOrganisationsChanged)
		if n.Organisations, err = tx.membershipNames(ctx, m.aidant.ID); err != nil {
			return err
		}
		return tx.tell(ctx, notify, n)
	})
	return still, err
}

// removeMemberships takes the aidant out of those organisations (journaled in each, with the
// référent role there), and moves their current organisation to the remaining one with the
// lowest id when it was one of them. The caller keeps at least one membership.
func (s *Store) removeMemberships(ctx context.Context, m *managed, orgIDs []int64) error {
	if len(orgIDs) == 0 {
		return nil
	}
	if _, err := s.db.NewDelete().Model((*Membership)(nil)).
		Where("aidant_id = ? AND organisation_id IN (?)", m.aidant.ID, bun.In(orgIDs)).Exec(ctx); err != nil {
		return fmt.Errorf("remove memberships: %w", err)
	}
	for _, id := range orgIDs {
		e := m.journal(ActionMembershipRemove, "")
		e.OrganisationID = &id
		if err := s.appendJournal(ctx, e); err != nil {
			return err
		}
	}
	if slices.Contains(orgIDs, m.aidant.CurrentOrganisationID) {
		_, err := s.db.NewUpdate().Model(m.aidant).
			Set("current_organisation_id = (SELECT min(organisation_id) FROM aidant_organisations WHERE aidant_id = ?)", m.aidant.ID).
			WherePK().Exec(ctx)
		if err != nil {
			return fmt.Errorf("move current organisation: %w", err)
		}
	}
	return nil
}

func (s *Store) membershipNames(ctx context.Context, aidantID int64) ([]string, error) {
	var names []string
	err := s.db.NewSelect().Model((*Organisation)(nil)).Column("name").
		Where("id IN (SELECT organisation_id FROM aidant_organisations WHERE aidant_id = ?)", aidantID).
		OrderExpr("name").Scan(ctx, &names)
	return names, notFound(err, "membership names")
}

// PromoteReferent makes an active member of the scope's organisation one of its référents.
func (s *Store) PromoteReferent(ctx context.Context, scope ReferentScope, aidantID int64, notify NoticeFunc) error {
	return s.InTx(ctx, func(tx *Store) error {
		m, err := tx.lockManaged(ctx, scope, aidantID)
		if err != nil {
			return err
		}
		res, err := tx.db.NewUpdate().Model((*Membership)(nil)).Set("is_referent = true").
			Where("aidant_id = ? AND organisation_id = ? AND NOT is_referent", m.aidant.ID, m.org.ID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("promote referent: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 || !m.aidant.IsActive {
			return ErrUnavailable
		}
		if err := tx.appendJournal(ctx, m.journal(ActionReferentPromotion, "")); err != nil {
			return err
		}
		return tx.tell(ctx, notify, m.notice(NoticePromotedReferent))
	})
}

func uniqueIDs(in []int64) []int64 {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}
