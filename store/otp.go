package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// OTPDevice is an aidant's carte TOTP or authenticator app, with its verification state.
// The seed is sealed at rest; Secret holds it decrypted while in memory only.
type OTPDevice struct {
	bun.BaseModel `bun:"table:otp_devices"`

	ID          int64      `bun:"id,pk,autoincrement"`
	AidantID    int64      `bun:"aidant_id"`
	Kind        string     `bun:"kind"`
	CarteID     *int64     `bun:"carte_id"`
	SeedEnc     []byte     `bun:"seed_enc"`
	Step        int        `bun:"step"`
	Tolerance   int        `bun:"tolerance"`
	Drift       int        `bun:"drift"`
	LastStep    int64      `bun:"last_step"`
	Failures    int        `bun:"failures"`
	LockedUntil *time.Time `bun:"locked_until"`
	Confirmed   bool       `bun:"confirmed"`
	CreatedAt   time.Time  `bun:"created_at,nullzero,default:now()"`

	Secret []byte `bun:"-"`
}

// CarteTOTP is a physical card, in stock or linked to an aidant through an OTPDevice.
type CarteTOTP struct {
	bun.BaseModel `bun:"table:cartes_totp"`

	ID           int64     `bun:"id,pk,autoincrement"`
	SerialNumber string    `bun:"serial_number"`
	SeedEnc      []byte    `bun:"seed_enc"`
	CreatedAt    time.Time `bun:"created_at,nullzero,default:now()"`
}

// VerifyFunc checks a code against one device at an instant and returns whether it matched
// and the state to persist. The TOTP rules live in app/otp; the store only persists.
type VerifyFunc func(d OTPDevice, code string, now time.Time) (ok bool, next OTPDevice)

// AddOTPDevice seals d.Secret and inserts the device. For a carte, the card row is created
// (or reused by serial number) in the same transaction.
func (s *Store) AddOTPDevice(ctx context.Context, d *OTPDevice, serial string) error {
	sealed, err := s.sealer.Seal(d.Secret)
	if err != nil {
		return err
	}
	d.SeedEnc = sealed
	return s.InTx(ctx, func(tx *Store) error {
		if d.Kind == "carte" {
			c := &CarteTOTP{SerialNumber: serial, SeedEnc: sealed}
			_, err := tx.db.NewInsert().Model(c).
				On("CONFLICT (serial_number) DO UPDATE").Set("seed_enc = EXCLUDED.seed_enc").
				Returning("id").Exec(ctx)
			if err != nil {
				return fmt.Errorf("insert carte: %w", err)
			}
			d.CarteID = &c.ID
		}
		_, err := tx.db.NewInsert().Model(d).Returning("id").Exec(ctx)
		return notFound(err, "insert otp device")
	})
}

// lockDevices loads and unseals the confirmed devices of an aidant, locked until the end of
// the transaction so two requests can never both accept the same code.
func (s *Store) lockDevices(ctx context.Context, aidantID int64) ([]OTPDevice, error) {
	var ds []OTPDevice
	if err := s.db.NewSelect().Model(&ds).Where("aidant_id = ? AND confirmed", aidantID).OrderExpr("id").For("UPDATE").Scan(ctx); err != nil {
		return nil, fmt.Errorf("lock devices: %w", err)
	}
	for i := range ds {
		secret, err := s.sealer.Open(ds[i].SeedEnc)
		if err != nil {
			return nil, err
		}
		ds[i].Secret = secret
	}
	return ds, nil
}

func (s *Store) saveDeviceState(ctx context.Context, d *OTPDevice) error {
	_, err := s.db.NewUpdate().Model(d).
		Column("tolerance", "drift", "last_step", "failures", "locked_until", "confirmed").
		WherePK().Exec(ctx)
	return notFound(err, "save device state")
}

// DemoCode is accepted for demo accounts (the seed's, trainees') in dev and sandbox modes only.
const DemoCode = "123456"

const demoCode = DemoCode

// checkCode tries code on each device of the aidant, persisting every device's new state.
// It must run inside a transaction.
func (s *Store) checkCode(ctx context.Context, a *Aidant, code string, verify VerifyFunc, allowDemo bool) (bool, error) {
	if allowDemo && a.IsDemo && code == demoCode {
		return true, nil
	}
	devices, err := s.lockDevices(ctx, a.ID)
	if err != nil {
		return false, err
	}
	now := s.Now()
	nexts := make([]OTPDevice, len(devices))
	for i := range devices {
		ok, next := verify(devices[i], code, now)
		next.ID = devices[i].ID
		if ok {
			// Only the matching device moves on; the others must not be charged a failure
			// for a code that was meant for a sibling device.
			return true, s.saveDeviceState(ctx, &next)
		}
		nexts[i] = next
	}
	for i := range nexts {
		if err := s.saveDeviceState(ctx, &nexts[i]); err != nil {
			return false, err
		}
	}
	return false, nil
}

// CheckActivityCode re-checks an aidant's code after inactivity and journals it.
func (s *Store) CheckActivityCode(ctx context.Context, aidantID int64, code string, verify VerifyFunc, allowDemo bool) (bool, error) {
	var ok bool
	err := s.InTx(ctx, func(tx *Store) error {
		a, err := tx.GetAidant(ctx, aidantID)
		if err != nil {
			return err
		}
		if ok, err = tx.checkCode(ctx, a, code, verify, allowDemo); err != nil || !ok {
			return err
		}
		return tx.appendJournal(ctx, &JournalEntry{Action: ActionActivityCheck, AidantID: &a.ID, OrganisationID: a.organisationRef()})
	})
	return ok, err
}
