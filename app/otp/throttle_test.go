package otp_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app/otp"
)

func TestVerifyBackoff(t *testing.T) {
	t.Parallel()
	secret := testSecret()
	now := base()
	cur := counter(now, otp.AppStep)
	wrong := wrongCode(t, secret, otp.AppStep, cur, 2)
	d := otp.NewApp(secret).Confirm()

	// Each attempt comes exactly when the previous lock ends, so no step is
	// crossed (1+2+4+8 = 15 s < 30 s) and the lock is seen to double.
	at := now
	for i, wantLock := range []time.Duration{1, 2, 4, 8} {
		wantLock *= time.Second
		got, next := otp.Verify(d, wrong, at)
		assertOutcome(t, got, otp.Wrong)
		want := d
		want.Failures = i + 1
		want.LockedUntil = at.Add(wantLock)
		assertDevice(t, next, want)

		// Just before the lock ends, even the right code is refused and
		// nothing is recorded.
		early := want.LockedUntil.Add(-time.Millisecond)
		got, same := otp.Verify(next, codeAtStep(t, secret, otp.AppStep, cur), early)
		assertOutcome(t, got, otp.Throttled)
		assertDevice(t, same, next)

		d, at = next, want.LockedUntil
	}

	got, dev := otp.Verify(d, codeAtStep(t, secret, otp.AppStep, cur), at)
	assertOutcome(t, got, otp.OK)
	want := d
	want.Failures = 0
	want.LockedUntil = time.Time{}
	want.LastStep = cur
	assertDevice(t, dev, want)
}

func TestVerifyBackoffCap(t *testing.T) {
	t.Parallel()
	secret := testSecret()
	now := base()
	tests := []struct {
		failures int
		wantLock time.Duration
	}{
		{0, time.Second},
		{11, 2048 * time.Second},
		{12, time.Hour}, // 4096 s would exceed the cap
		{1000, time.Hour},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.failures), func(t *testing.T) {
			t.Parallel()
			d := otp.NewApp(secret).Confirm()
			d.Failures = tt.failures
			got, dev := otp.Verify(d, wrongCode(t, secret, otp.AppStep, counter(now, otp.AppStep), 2), now)
			assertOutcome(t, got, otp.Wrong)
			want := d
			want.Failures = tt.failures + 1
			want.LockedUntil = now.Add(tt.wantLock)
			assertDevice(t, dev, want)
		})
	}
}

// A card whose clock runs 20 minutes fast is refused by the first-use
// window, recovered by the widened one after three failures, and its drift
// is learned so that the normal one-step window works from then on.
func TestVerifyDriftedCarte(t *testing.T) {
	t.Parallel()
	secret := testSecret()
	tests := []struct {
		name  string
		drift int64
	}{
		{"fast card", 20},
		{"slow card", -20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := base()
			cur := counter(now, otp.CarteStep)
			cardCode := codeAtStep(t, secret, otp.CarteStep, cur+tt.drift)
			d := otp.NewCarte(secret)

			// Three failed logins, each after the previous lock expired
			// (1+2 s, still in the same minute).
			at := now
			for i, wantTol := range []int{otp.NewCarteTolerance, otp.NewCarteTolerance, otp.DriftedCarteTolerance} {
				got, next := otp.Verify(d, cardCode, at)
				assertOutcome(t, got, otp.Wrong)
				want := d
				want.Failures = i + 1
				want.LockedUntil = at.Add(time.Duration(1<<i) * time.Second)
				want.Tolerance = wantTol
				assertDevice(t, next, want)
				d, at = next, want.LockedUntil
			}

			got, dev := otp.Verify(d, cardCode, at)
			assertOutcome(t, got, otp.OK)
			want := d
			want.Failures = 0
			want.LockedUntil = time.Time{}
			want.LastStep = cur + tt.drift
			want.Drift = int(tt.drift)
			assertDevice(t, dev, want)

			dev = dev.AfterLogin()
			if dev.Tolerance != 1 {
				t.Fatalf("Tolerance after login = %d, want 1", dev.Tolerance)
			}

			// Next login a minute later: the card still runs 20 min off.
			later := now.Add(time.Minute)
			next := codeAtStep(t, secret, otp.CarteStep, cur+1+tt.drift)
			got, dev2 := otp.Verify(dev, next, later)
			assertOutcome(t, got, otp.OK)
			want = dev
			want.LastStep = cur + 1 + tt.drift
			assertDevice(t, dev2, want)
		})
	}
}

func TestVerifyToleranceOnlyRaisedForCartes(t *testing.T) {
	t.Parallel()
	secret := testSecret()
	now := base()
	wide := otp.NewCarte(secret)
	wide.Tolerance = 40
	tests := []struct {
		name    string
		device  otp.Device
		wantTol int
	}{
		{"confirmed carte widens", otp.NewCarte(secret).Confirm(), otp.DriftedCarteTolerance},
		{"wider carte never narrowed", wide, 40},
		{"app never widened", otp.NewApp(secret), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := tt.device
			d.Failures = 2
			wrong := wrongCode(t, secret, d.Step, counter(now, d.Step), 40)
			got, dev := otp.Verify(d, wrong, now)
			assertOutcome(t, got, otp.Wrong)
			want := d
			want.Failures = 3
			want.LockedUntil = now.Add(4 * time.Second)
			want.Tolerance = tt.wantTol
			assertDevice(t, dev, want)
		})
	}
}

func TestVerifyReplayCountsTowardDrift(t *testing.T) {
	t.Parallel()
	secret := testSecret()
	now := base()
	cur := counter(now, otp.CarteStep)
	d := otp.NewCarte(secret).Confirm()
	d.LastStep = cur
	d.Failures = 2
	got, dev := otp.Verify(d, codeAtStep(t, secret, otp.CarteStep, cur), now)
	assertOutcome(t, got, otp.Replayed)
	want := d
	want.Failures = 3
	want.LockedUntil = now.Add(4 * time.Second)
	want.Tolerance = otp.DriftedCarteTolerance
	assertDevice(t, dev, want)
}
