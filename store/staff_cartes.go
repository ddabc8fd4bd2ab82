package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// CarteInfo is a carte of the stock as the team sees it: free, or linked to whom, and when
// it last gave a code.
type CarteInfo struct {
	Carte        CarteTOTP
	Aidant       *Aidant // nil: free
	Organisation string  // the aidant's current organisation
	Confirmed    bool
	LastUse      *time.Time
}

// FindCarte looks a carte up by serial number: ErrNotFound when not in stock.
func (s *Store) FindCarte(ctx context.Context, serial string) (*CarteInfo, error) {
	info := &CarteInfo{}
	if err := s.db.NewSelect().Model(&info.Carte).Where("serial_number = ?", NormaliseSerial(serial)).Scan(ctx); err != nil {
		return nil, notFound(err, "find carte")
	}
	d := new(OTPDevice)
	err := s.db.NewSelect().Model(d).Where("carte_id = ?", info.Carte.ID).Scan(ctx)
	if notFound(err, "") == ErrNotFound {
		return info, nil
	}
	if err != nil {
		return nil, fmt.Errorf("carte device: %w", err)
	}
	info.Confirmed = d.Confirmed
	if d.LastStep > 0 {
		t := time.Unix(d.LastStep*int64(d.Step), 0)
		info.LastUse = &t
	}
	info.Aidant = new(Aidant)
	if err := s.db.NewSelect().Model(info.Aidant).Where("id = ?", d.AidantID).Scan(ctx); err != nil {
		return nil, fmt.Errorf("carte aidant: %w", err)
	}
	if info.Aidant.CurrentOrganisationID != 0 {
		if err := s.db.NewSelect().Model((*Organisation)(nil)).Column("name").Where("id = ?", info.Aidant.CurrentOrganisationID).Scan(ctx, &info.Organisation); err != nil {
			return nil, fmt.Errorf("carte organisation: %w", err)
		}
	}
	return info, nil
}

// GetCarte is FindCarte by the carte's id.
func (s *Store) GetCarte(ctx context.Context, id int64) (*CarteInfo, error) {
	var serial string
	if err := s.db.NewSelect().Model((*CarteTOTP)(nil)).Column("serial_number").Where("id = ?", id).Scan(ctx, &serial); err != nil {
		return nil, notFound(err, "get carte")
	}
	return s.FindCarte(ctx, serial)
}

// StaffUnlinkCarte unlinks a carte from its aidant, with a reason, journaled with the staff
// account as actor. A free carte is ErrUnavailable; a bad reason ErrReason.
func (s *Store) StaffUnlinkCarte(ctx context.Context, staffID, carteID int64, reason UnlinkReason, text string) error {
	text = strings.TrimSpace(text)
	if _, ok := ParseUnlinkReason(string(reason)); !ok || (reason == ReasonAutre && text == "") || len(text) > MaxReasonText {
		return ErrReason
	}
	return s.InTx(ctx, func(tx *Store) error {
		c := new(CarteTOTP)
		if err := tx.db.NewSelect().Model(c).Where("id = ?", carteID).For("UPDATE").Scan(ctx); err != nil {
			return notFound(err, "lock carte")
		}
		d := new(OTPDevice)
		if err := tx.db.NewSelect().Model(d).Where("carte_id = ?", c.ID).For("UPDATE").Scan(ctx); err != nil {
			if notFound(err, "") == ErrNotFound {
				return ErrUnavailable
			}
			return fmt.Errorf("lock device: %w", err)
		}
		a := new(Aidant)
		if err := tx.db.NewSelect().Model(a).Where("id = ?", d.AidantID).Scan(ctx); err != nil {
			return fmt.Errorf("carte aidant: %w", err)
		}
		if _, err := tx.db.NewDelete().Model(d).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("delete carte device: %w", err)
		}
		why := string(reason)
		if reason == ReasonAutre {
			why += " : " + text
		}
		return tx.appendJournal(ctx, &JournalEntry{Action: ActionCardDissociation, AidantID: &staffID, OrganisationID: a.organisationRef(),
			Info: "par l'équipe, carte " + c.SerialNumber + " de " + a.Email + ", raison : " + why})
	})
}
