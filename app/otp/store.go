package otp

import (
	"time"

	"github.com/aidantsconnect/ac/store"
)

// StoreVerify adapts Verify to the store's device rows: the store persists, this package decides.
func StoreVerify(d store.OTPDevice, code string, now time.Time) (bool, store.OTPDevice) {
	outcome, next := Verify(fromStore(d), code, now)
	return outcome == OK, toStore(d, next)
}

// StoreRules are this package's decisions for the référent's carte and app actions, as the
// store takes them.
func StoreRules() store.OTPRules {
	return store.OTPRules{
		NewSecret: GenerateSecret,
		NewCarte:  func() store.OTPDevice { return toStore(store.OTPDevice{}, NewCarte(nil)) },
		NewApp:    func() store.OTPDevice { return toStore(store.OTPDevice{}, NewApp(nil)) },
		Verify:    StoreVerify,
		Confirm:   func(d store.OTPDevice) store.OTPDevice { return toStore(d, fromStore(d).Confirm()) },
		Pair: func(d store.OTPDevice, code string, now time.Time) (bool, store.OTPDevice) {
			outcome, next := Pair(fromStore(d), code, now)
			return outcome == OK, toStore(d, next)
		},
	}
}

func fromStore(d store.OTPDevice) Device {
	dev := Device{
		Kind: Kind(d.Kind), Secret: d.Secret, Step: d.Step, Tolerance: d.Tolerance, Drift: d.Drift,
		LastStep: d.LastStep, Failures: d.Failures, Confirmed: d.Confirmed,
	}
	if d.LockedUntil != nil {
		dev.LockedUntil = *d.LockedUntil
	}
	return dev
}

// toStore is row d with next's verification state.
func toStore(d store.OTPDevice, next Device) store.OTPDevice {
	out := d
	if out.Kind == "" {
		out.Kind, out.Step = string(next.Kind), next.Step
	}
	out.Tolerance, out.Drift, out.LastStep, out.Failures, out.Confirmed = next.Tolerance, next.Drift, next.LastStep, next.Failures, next.Confirmed
	out.LockedUntil = nil
	if !next.LockedUntil.IsZero() {
		t := next.LockedUntil
		out.LockedUntil = &t
	}
	return out
}
