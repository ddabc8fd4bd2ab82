package otp_test

import (
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app/otp"
)

// Pairing an app: only the current step's code confirms it, the step is then used (the same
// code cannot log in right after), and wrong codes back off like any other.
func TestPair(t *testing.T) {
	t.Parallel()
	now := base().Add(10 * time.Second)
	dev := otp.NewApp(testSecret())
	cur := counter(now, otp.AppStep)

	if got, next := otp.Pair(dev, codeAtStep(t, testSecret(), otp.AppStep, cur-1), now); got != otp.Wrong || next.Confirmed || next.Failures != 1 {
		t.Fatalf("previous step's code: %v, %+v; want wrong, one failure, not confirmed", got, next)
	}
	if got, _ := otp.Pair(dev, "12a456", now); got != otp.Malformed {
		t.Fatalf("letters: %v, want malformed", got)
	}
	locked := dev
	locked.LockedUntil = now.Add(time.Second)
	if got, _ := otp.Pair(locked, codeAtStep(t, testSecret(), otp.AppStep, cur), now); got != otp.Throttled {
		t.Fatalf("during the backoff: %v, want throttled", got)
	}
	got, next := otp.Pair(dev, codeAtStep(t, testSecret(), otp.AppStep, cur), now)
	if got != otp.OK || !next.Confirmed || next.LastStep != cur || next.Tolerance != 1 || next.Failures != 0 {
		t.Fatalf("current code: %v, %+v; want ok, confirmed, step %d used, tolerance 1", got, next, cur)
	}
	if got, _ := otp.Verify(next, codeAtStep(t, testSecret(), otp.AppStep, cur), now); got != otp.Replayed {
		t.Fatalf("the pairing code at login: %v, want replayed", got)
	}
}
