package store

import (
	"context"
	"errors"
	"fmt"
)

// ErrAccountExists is a staff account asked for an email an account already has.
var ErrAccountExists = errors.New("an account has this email already")

// StaffInput is a staff account to create: the person and the secret of their authenticator
// app (app/otp makes it; the store only seals it).
type StaffInput struct {
	Email, FirstName, LastName string
	Secret                     []byte
	Step                       int // the app's TOTP step, in seconds
	Demo                       bool
}

// CreateStaff creates a staff account of the national team: an aidant account with the staff
// role, in no organisation, who may create no mandat, with a confirmed authenticator app (the
// operator who runs `ac staff add` hands the enrolment to the person). An email already taken
// is ErrAccountExists.
func (s *Store) CreateStaff(ctx context.Context, in StaffInput) (*Aidant, error) {
	a := &Aidant{Email: NormaliseEmail(in.Email), FirstName: in.FirstName, LastName: in.LastName,
		Profession: "Équipe Aidants Connect", IsActive: true, IsStaff: true, IsDemo: in.Demo}
	err := s.InTx(ctx, func(tx *Store) error {
		exists, err := tx.db.NewSelect().Model((*Aidant)(nil)).Where("email = ?", a.Email).Exists(ctx)
		if err != nil {
			return fmt.Errorf("find account: %w", err)
		}
		if exists {
			return ErrAccountExists
		}
		if _, err := tx.db.NewInsert().Model(a).Returning("*").Exec(ctx); err != nil {
			return fmt.Errorf("create staff: %w", err)
		}
		d := &OTPDevice{AidantID: a.ID, Kind: "app", Step: in.Step, Tolerance: 1, Confirmed: true, Secret: in.Secret}
		return tx.AddOTPDevice(ctx, d, "")
	})
	return a, err
}
