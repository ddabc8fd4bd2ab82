package otp

import (
	"time"

	"github.com/aidantsconnect/ac/store"
)

// StoreVerify adapts Verify to the store's device rows: the store persists, this package decides.
func StoreVerify(d store.OTPDevice, code string, now time.Time) (bool, store.OTPDevice) {
	dev := Device{
		Kind: Kind(d.Kind), Secret: d.Secret, Step: d.Step, Tolerance: d.Tolerance, Drift: d.Drift,
		LastStep: d.LastStep, Failures: d.Failures, Confirmed: d.Confirmed,
	}
	if d.LockedUntil != nil {
		dev.LockedUntil = *d.LockedUntil
	}
	outcome, next := Verify(dev, code, now)
	out := d
	out.Tolerance, out.Drift, out.LastStep, out.Failures, out.Confirmed = next.Tolerance, next.Drift, next.LastStep, next.Failures, next.Confirmed
	out.LockedUntil = nil
	if !next.LockedUntil.IsZero() {
		t := next.LockedUntil
		out.LockedUntil = &t
	}
	return outcome == OK, out
}
