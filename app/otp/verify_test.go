package otp_test

import (
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app/otp"
)

func TestVerifyWindow(t *testing.T) {
	t.Parallel()
	secret := testSecret()
	now := base().Add(10 * time.Second)
	tests := []struct {
		name      string
		device    otp.Device
		offset    int64 // step of the code, relative to the current step
		want      otp.Outcome
		wantDrift int
	}{
		{"app current step", otp.NewApp(secret), 0, otp.OK, 0},
		{"app previous step", otp.NewApp(secret), -1, otp.OK, -1},
		{"app next step", otp.NewApp(secret), 1, otp.OK, 1},
		{"app two steps back", otp.NewApp(secret), -2, otp.Wrong, 0},
		{"app two steps ahead", otp.NewApp(secret), 2, otp.Wrong, 0},
		{"new carte current step", otp.NewCarte(secret), 0, otp.OK, 0},
		{"new carte 10 min back", otp.NewCarte(secret), -10, otp.OK, -10},
		{"new carte 10 min ahead", otp.NewCarte(secret), 10, otp.OK, 10},
		{"new carte 11 min back", otp.NewCarte(secret), -11, otp.Wrong, 0},
		{"new carte 11 min ahead", otp.NewCarte(secret), 11, otp.Wrong, 0},
		{"confirmed carte 1 min ahead", otp.NewCarte(secret).Confirm(), 1, otp.OK, 1},
		{"confirmed carte 2 min ahead", otp.NewCarte(secret).Confirm(), 2, otp.Wrong, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cur := counter(now, tt.device.Step)
			code := codeAtStep(t, secret, tt.device.Step, cur+tt.offset)
			if tt.want == otp.Wrong {
				for c := cur - int64(tt.device.Tolerance); c <= cur+int64(tt.device.Tolerance); c++ {
					if code == codeAtStep(t, secret, tt.device.Step, c) {
						t.Fatalf("test code collides with step %d of the window", c)
					}
				}
			}
			got, dev := otp.Verify(tt.device, code, now)
			assertOutcome(t, got, tt.want)
			want := tt.device
			if tt.want == otp.OK {
				want.LastStep = cur + tt.offset
				want.Drift = tt.wantDrift
			} else {
				want.Failures = 1
				want.LockedUntil = now.Add(time.Second)
			}
			assertDevice(t, dev, want)
		})
	}
}

func TestVerifyDriftCentersWindow(t *testing.T) {
	t.Parallel()
	secret := testSecret()
	now := base()
	cur := counter(now, otp.CarteStep)
	d := otp.NewCarte(secret).Confirm()
	d.Drift = 5

	got, _ := otp.Verify(d, codeAtStep(t, secret, otp.CarteStep, cur), now)
	assertOutcome(t, got, otp.Wrong)

	got, dev := otp.Verify(d, codeAtStep(t, secret, otp.CarteStep, cur+6), now)
	assertOutcome(t, got, otp.OK)
	want := d
	want.Drift = 6
	want.LastStep = cur + 6
	assertDevice(t, dev, want)
}

func TestVerifyStepSize(t *testing.T) {
	t.Parallel()
	secret := testSecret()
	// 45 s past the minute: the second app step, still the first card step.
	now := base().Add(45 * time.Second)
	appCode, err := otp.Code(secret, otp.AppStep, now)
	if err != nil {
		t.Fatal(err)
	}
	carteCode, err := otp.Code(secret, otp.CarteStep, now)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		device   otp.Device
		code     string
		want     otp.Outcome
		wantStep int64
	}{
		{"app code on app", otp.NewApp(secret).Confirm(), appCode, otp.OK, base().Unix()/30 + 1},
		{"carte code on carte", otp.NewCarte(secret).Confirm(), carteCode, otp.OK, base().Unix() / 60},
		{"app code on carte", otp.NewCarte(secret).Confirm(), appCode, otp.Wrong, 0},
		{"carte code on app", otp.NewApp(secret).Confirm(), carteCode, otp.Wrong, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, dev := otp.Verify(tt.device, tt.code, now)
			assertOutcome(t, got, tt.want)
			want := tt.device
			if tt.want == otp.OK {
				want.LastStep = tt.wantStep
			} else {
				want.Failures = 1
				want.LockedUntil = now.Add(time.Second)
			}
			assertDevice(t, dev, want)
		})
	}
}

func TestVerifyReplay(t *testing.T) {
	t.Parallel()
	secret := testSecret()
	now := base()
	cur := counter(now, otp.AppStep)
	tests := []struct {
		name   string
		first  int64 // step offset of the accepted code
		second int64 // step offset of the code submitted afterwards
	}{
		{"same code twice", 0, 0},
		{"older step after newer", 1, 0},
		{"previous step after current", 0, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, dev := otp.Verify(otp.NewApp(secret), codeAtStep(t, secret, otp.AppStep, cur+tt.first), now)
			assertOutcome(t, got, otp.OK)

			later := now.Add(10 * time.Second) // same step: the code is still "current"
			got, dev2 := otp.Verify(dev, codeAtStep(t, secret, otp.AppStep, cur+tt.second), later)
			assertOutcome(t, got, otp.Replayed)
			want := dev
			want.Failures = 1
			want.LockedUntil = later.Add(time.Second)
			assertDevice(t, dev2, want)
		})
	}
}

func TestVerifyFormat(t *testing.T) {
	t.Parallel()
	secret := testSecret()
	now := base()
	code := codeAtStep(t, secret, otp.AppStep, counter(now, otp.AppStep))
	locked := otp.NewApp(secret)
	locked.Failures = 2
	locked.LockedUntil = now.Add(time.Minute)
	tests := []struct {
		name   string
		device otp.Device
		code   string
		want   otp.Outcome
	}{
		{"five digits", otp.NewApp(secret), "12345", otp.Malformed},
		{"letters", otp.NewApp(secret), "abcdef", otp.Malformed},
		{"empty", otp.NewApp(secret), "", otp.Malformed},
		{"spaces only", otp.NewApp(secret), "   ", otp.Malformed},
		{"seven digits", otp.NewApp(secret), "1234567", otp.Malformed},
		{"valid code plus a digit", otp.NewApp(secret), code + "0", otp.Malformed},
		{"sign", otp.NewApp(secret), "-12345", otp.Malformed},
		{"fullwidth digits", otp.NewApp(secret), "１２３４５６", otp.Malformed},
		{"malformed while locked", locked, "12345", otp.Malformed},
		{"valid while locked", locked, code, otp.Throttled},
		{"inner space", otp.NewApp(secret), code[:3] + " " + code[3:], otp.OK},
		{"surrounding blanks", otp.NewApp(secret), " \t" + code + "\n", otp.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, dev := otp.Verify(tt.device, tt.code, now)
			assertOutcome(t, got, tt.want)
			want := tt.device
			if tt.want == otp.OK {
				want.LastStep = counter(now, otp.AppStep)
			}
			assertDevice(t, dev, want)
		})
	}
}

func TestVerifyDoesNotMutateArgument(t *testing.T) {
	t.Parallel()
	secret := testSecret()
	now := base()
	d := otp.NewCarte(secret)
	d.Failures = 2
	before := d
	before.Secret = append([]byte(nil), d.Secret...)
	otp.Verify(d, wrongCode(t, secret, otp.CarteStep, counter(now, otp.CarteStep), 30), now)
	otp.Verify(d, codeAtStep(t, secret, otp.CarteStep, counter(now, otp.CarteStep)), now)
	assertDevice(t, d, before)
}

func TestVerifyUnusableStep(t *testing.T) {
	t.Parallel()
	now := base()
	d := otp.NewApp(testSecret())
	d.Step = 0
	got, dev := otp.Verify(d, "123456", now)
	assertOutcome(t, got, otp.Wrong)
	want := d
	want.Failures = 1
	want.LockedUntil = now.Add(time.Second)
	assertDevice(t, dev, want)
}

// With the RFC key, card steps 29031186 and 29031192 (six apart, found by an
// exhaustive search) share the code 064396. Such collisions are rare but
// certain to happen inside a 61-step window over the life of a card.
func TestVerifyCollidingSteps(t *testing.T) {
	t.Parallel()
	const older, newer = int64(29031186), int64(29031192)
	secret := testSecret()
	code := codeAtStep(t, secret, otp.CarteStep, older)
	if code != codeAtStep(t, secret, otp.CarteStep, newer) {
		t.Fatal("steps no longer collide")
	}
	at := func(c int64) time.Time { return time.Unix(c*otp.CarteStep, 0) }
	tests := []struct {
		name     string
		now      time.Time
		lastStep int64
		want     otp.Outcome
		wantStep int64 // accepted step
		wantFail int
	}{
		// Equidistant from the current step: taken as the later one, so the
		// code cannot be replayed when real time reaches that step.
		{"tie goes to the later step", at(older + 3), 0, otp.OK, newer, 0},
		// The closest match is used, but a fresh step further away is not.
		{"used step skipped for a fresh one", at(older), older, otp.OK, newer, 0},
		{"both steps used", at(older), newer, otp.Replayed, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := otp.NewCarte(secret)
			d.LastStep = tt.lastStep
			got, dev := otp.Verify(d, code, tt.now)
			assertOutcome(t, got, tt.want)
			want := d
			if tt.want == otp.OK {
				want.LastStep = tt.wantStep
				want.Drift = int(tt.wantStep - tt.now.Unix()/otp.CarteStep)
			} else {
				want.Failures = tt.wantFail
				want.LockedUntil = tt.now.Add(time.Second)
			}
			assertDevice(t, dev, want)
		})
	}
}
