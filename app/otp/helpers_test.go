package otp_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app/otp"
)

// testSecret is the RFC 6238 SHA1 key, so codes can be checked against the
// RFC's published vectors as well as against each other.
func testSecret() []byte { return []byte("12345678901234567890") }

// base is aligned on a minute, so it starts both a card step and an app step:
// offsets in seconds below then land on predictable counters.
func base() time.Time { return time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC) }

func counter(at time.Time, step int) int64 { return at.Unix() / int64(step) }

// codeAtStep plays the card or app whose clock shows step counter c.
func codeAtStep(t *testing.T, secret []byte, step int, c int64) string {
	t.Helper()
	code, err := otp.Code(secret, step, time.Unix(c*int64(step), 0))
	if err != nil {
		t.Fatalf("Code: %v", err)
	}
	return code
}

// wrongCode returns a well-formed code that matches no step within ±span of
// center, so a test of the failure path cannot pass by accidental collision.
func wrongCode(t *testing.T, secret []byte, step int, center int64, span int) string {
	t.Helper()
	used := map[string]bool{}
	for c := center - int64(span); c <= center+int64(span); c++ {
		used[codeAtStep(t, secret, step, c)] = true
	}
	for i := 0; i < 1_000_000; i++ {
		if code := fmt.Sprintf("%06d", i); !used[code] {
			return code
		}
	}
	t.Fatal("no unused code")
	return ""
}

func assertDevice(t *testing.T, got, want otp.Device) {
	t.Helper()
	if got.Kind != want.Kind {
		t.Errorf("Kind = %q, want %q", got.Kind, want.Kind)
	}
	if !bytes.Equal(got.Secret, want.Secret) {
		t.Errorf("Secret = %x, want %x", got.Secret, want.Secret)
	}
	if got.Step != want.Step {
		t.Errorf("Step = %d, want %d", got.Step, want.Step)
	}
	if got.Tolerance != want.Tolerance {
		t.Errorf("Tolerance = %d, want %d", got.Tolerance, want.Tolerance)
	}
	if got.Drift != want.Drift {
		t.Errorf("Drift = %d, want %d", got.Drift, want.Drift)
	}
	if got.LastStep != want.LastStep {
		t.Errorf("LastStep = %d, want %d", got.LastStep, want.LastStep)
	}
	if got.Failures != want.Failures {
		t.Errorf("Failures = %d, want %d", got.Failures, want.Failures)
	}
	if !got.LockedUntil.Equal(want.LockedUntil) {
		t.Errorf("LockedUntil = %v, want %v", got.LockedUntil, want.LockedUntil)
	}
	if got.Confirmed != want.Confirmed {
		t.Errorf("Confirmed = %v, want %v", got.Confirmed, want.Confirmed)
	}
}

func assertOutcome(t *testing.T, got, want otp.Outcome) {
	t.Helper()
	if got != want {
		t.Fatalf("outcome = %v, want %v", got, want)
	}
}
