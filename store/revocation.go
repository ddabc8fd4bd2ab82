package store

import (
	"context"
	"fmt"
	"time"
)

// Revocable: a mandat can be revoked (whole or in part) while it is active.
func (m *Mandat) Revocable(now time.Time) bool { return m.Status(now) == StatusActive }

// Autorisation returns the mandat's autorisation with that id, or nil.
func (m *Mandat) Autorisation(id int64) *Autorisation {
	for i := range m.Autorisations {
		if m.Autorisations[i].ID == id {
			return &m.Autorisations[i]
		}
	}
	return nil
}

// RevokedTogether are the autorisations revoked at the instant the mandat became revoked:
// those a whole-mandat revocation ended. Empty while the mandat is not revoked.
func (m *Mandat) RevokedTogether() []Autorisation {
	last := m.RevokedAt()
	if last == nil {
		return nil
	}
	var out []Autorisation
	for _, a := range m.Autorisations {
		if a.RevokedAt.Equal(*last) {
			out = append(out, a)
		}
	}
	return out
}

// DemarchesOf lists the autorisations' démarches, in catalogue order.
func DemarchesOf(as []Autorisation) []Demarche {
	m := Mandat{Autorisations: as}
	return FindDemarches(m.Demarches())
}

// GetRevocableMandat returns an active mandat of the organisation, for the confirmation
// page. Revoked, expired, unknown or foreign: ErrNotFound.
func (s *Store) GetRevocableMandat(ctx context.Context, orgID, mandatID int64) (*Mandat, error) {
	return s.getRevocableMandat(ctx, byOrganisation(orgID), mandatID)
}

func (s *Store) getRevocableMandat(ctx context.Context, scope mandatScope, mandatID int64) (*Mandat, error) {
	m, err := s.getMandat(ctx, scope, mandatID)
	if err != nil {
		return nil, err
	}
	if !m.Revocable(s.Now()) {
		return nil, ErrNotFound
	}
	return m, nil
}

// GetRevocableAutorisation returns an active mandat of the organisation and one of its
// autorisations still in force. Anything else: ErrNotFound.
func (s *Store) GetRevocableAutorisation(ctx context.Context, orgID, mandatID, autorisationID int64) (*Mandat, *Autorisation, error) {
	return s.getRevocableAutorisation(ctx, byOrganisation(orgID), mandatID, autorisationID)
}

func (s *Store) getRevocableAutorisation(ctx context.Context, scope mandatScope, mandatID, autorisationID int64) (*Mandat, *Autorisation, error) {
	m, err := s.getRevocableMandat(ctx, scope, mandatID)
	if err != nil {
		return nil, nil, err
	}
	a := m.Autorisation(autorisationID)
	if a == nil || a.RevokedAt != nil {
		return nil, nil, ErrNotFound
	}
	return m, a, nil
}

// RevokeMandat revokes, in one transaction, every autorisation still in force of an active
// mandat of the organisation, journaling cancel_autorisation for each and then cancel_mandat.
// A mandat that is not active, unknown or foreign is ErrNotFound, and nothing changes.
func (s *Store) RevokeMandat(ctx context.Context, orgID, aidantID, mandatID int64) (*Mandat, error) {
	return s.revokeMandat(ctx, byAidant(orgID, aidantID), mandatID)
}

// RevokeAutorisation revokes one autorisation still in force of an active mandat of the
// organisation and journals cancel_autorisation, in one transaction. The mandat stays active
// while another autorisation is in force. Anything else is ErrNotFound, and nothing changes.
func (s *Store) RevokeAutorisation(ctx context.Context, orgID, aidantID, mandatID, autorisationID int64) (*Mandat, *Autorisation, error) {
	return s.revokeAutorisationOf(ctx, byAidant(orgID, aidantID), mandatID, autorisationID)
}

// revoker is who revokes, and so which mandats they reach: an aidant, within their
// organisation; or the usager, within their own mandats (from their space).
type revoker struct {
	scope    mandatScope
	aidantID *int64 // nil: the usager
}

func byAidant(orgID, aidantID int64) revoker { return revoker{byOrganisation(orgID), &aidantID} }
func byTheUsager(usagerID int64) revoker     { return revoker{scope: byUsager(usagerID)} }

// journal is the revoker's journal entry for an action on one mandat: the aidant as actor, or
// the usager (no aidant, InfoByUsager).
func (r revoker) journal(action string, m *Mandat) *JournalEntry {
	e := &JournalEntry{Action: action, AidantID: r.aidantID, OrganisationID: &m.OrganisationID, UsagerID: &m.UsagerID, MandatID: &m.ID}
	if r.aidantID == nil {
		e.Info = InfoByUsager
	}
	return e
}

func (s *Store) revokeMandat(ctx context.Context, r revoker, mandatID int64) (*Mandat, error) {
	var m *Mandat
	err := s.InTx(ctx, func(tx *Store) error {
		var err error
		if m, err = tx.lockRevocableMandat(ctx, r.scope, mandatID); err != nil {
			return err
		}
		now := tx.Now()
		var keys []string
		for i := range m.Autorisations {
			a := &m.Autorisations[i]
			if a.RevokedAt != nil {
				continue
			}
			if err := tx.revokeAutorisationBy(ctx, r, m, a, now); err != nil {
				return err
			}
			keys = append(keys, a.Demarche)
		}
		e := r.journal(ActionCancelMandat, m)
		e.Demarche = joinKeys(orderedDemarches(keys))
		return tx.appendJournal(ctx, e)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (s *Store) revokeAutorisationOf(ctx context.Context, r revoker, mandatID, autorisationID int64) (*Mandat, *Autorisation, error) {
	var m *Mandat
	var a *Autorisation
	err := s.InTx(ctx, func(tx *Store) error {
		var err error
		if m, err = tx.lockRevocableMandat(ctx, r.scope, mandatID); err != nil {
			return err
		}
		if a = m.Autorisation(autorisationID); a == nil || a.RevokedAt != nil {
			return ErrNotFound
		}
		return tx.revokeAutorisationBy(ctx, r, m, a, tx.Now())
	})
	if err != nil {
		return nil, nil, err
	}
	return m, a, nil
}

// revokeAutorisationBy revokes one autorisation of m and journals cancel_autorisation with
// the revoker as actor. It runs inside the caller's transaction, the mandat locked.
func (s *Store) revokeAutorisationBy(ctx context.Context, r revoker, m *Mandat, au *Autorisation, now time.Time) error {
	byUsager := r.aidantID == nil
	if _, err := s.db.NewUpdate().Model(au).Set("revoked_at = ?, revoked_by_aidant_id = ?, revoked_by_usager = ?", now, r.aidantID, byUsager).
		WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("revoke autorisation: %w", err)
	}
	au.RevokedAt, au.RevokedByAidantID, au.RevokedByUsager = &now, r.aidantID, byUsager
	e := r.journal(ActionCancelAutorisation, m)
	e.AutorisationID, e.Demarche = &au.ID, au.Demarche
	return s.appendJournal(ctx, e)
}

// lockRevocableMandat locks in the order mandat creation does (the usager, then the
// mandat's rows) and returns the mandat if it is within the scope (the organisation's, or
// the usager's own) and active.
func (s *Store) lockRevocableMandat(ctx context.Context, scope mandatScope, mandatID int64) (*Mandat, error) {
	var usagerID int64
	err := s.db.NewSelect().Model((*Mandat)(nil)).Column("usager_id").
		Where("id = ?", mandatID).Where(scope.column+" = ?", scope.id).Scan(ctx, &usagerID)
	if err != nil {
		return nil, notFound(err, "find mandat")
	}
	if _, err := s.db.NewSelect().Model((*Usager)(nil)).Column("id").Where("id = ?", usagerID).For("UPDATE").Exec(ctx); err != nil {
		return nil, fmt.Errorf("lock usager: %w", err)
	}
	if _, err := s.db.NewSelect().Model((*Mandat)(nil)).Column("id").Where("id = ?", mandatID).For("UPDATE").Exec(ctx); err != nil {
		return nil, fmt.Errorf("lock mandat: %w", err)
	}
	return s.getRevocableMandat(ctx, scope, mandatID)
}

// GetMandatRevocation returns a mandat of the organisation revoked as a whole (cancel_mandat
// journaled), for its success page and revocation attestation. Otherwise ErrNotFound.
func (s *Store) GetMandatRevocation(ctx context.Context, orgID, mandatID int64) (*Mandat, error) {
	return s.getMandatRevocation(ctx, byOrganisation(orgID), mandatID)
}

func (s *Store) getMandatRevocation(ctx context.Context, scope mandatScope, mandatID int64) (*Mandat, error) {
	m, err := s.getMandat(ctx, scope, mandatID)
	if err != nil {
		return nil, err
	}
	if m.Status(s.Now()) != StatusRevoked {
		return nil, ErrNotFound
	}
	cancelled, err := s.cancelledMandatsIn(ctx, scope, []Mandat{*m})
	if err != nil {
		return nil, err
	}
	if !cancelled[m.ID] {
		return nil, ErrNotFound
	}
	return m, nil
}

// GetAutorisationRevocation returns a mandat of the organisation and one of its revoked
// autorisations, for its success page and revocation attestation. Otherwise ErrNotFound.
func (s *Store) GetAutorisationRevocation(ctx context.Context, orgID, mandatID, autorisationID int64) (*Mandat, *Autorisation, error) {
	return s.getAutorisationRevocation(ctx, byOrganisation(orgID), mandatID, autorisationID)
}

func (s *Store) getAutorisationRevocation(ctx context.Context, scope mandatScope, mandatID, autorisationID int64) (*Mandat, *Autorisation, error) {
	m, err := s.getMandat(ctx, scope, mandatID)
	if err != nil {
		return nil, nil, err
	}
	a := m.Autorisation(autorisationID)
	if a == nil || a.RevokedAt == nil {
		return nil, nil, ErrNotFound
	}
	return m, a, nil
}
