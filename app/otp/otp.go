// Package otp verifies TOTP codes (RFC 6238, SHA1, 6 digits) for aidants'
// physical cards and authenticator apps. It is pure: the caller loads a
// Device, calls Verify and saves the returned Device in the same transaction,
// which is what makes the anti-replay and throttling state trustworthy.
package otp

import (
	"crypto/subtle"
	"time"
	"unicode"
)

// Kind tells a physical card from an authenticator app: only cards drift, so
// only cards get their tolerance widened after repeated failures.
type Kind string

const (
	KindCarte Kind = "carte"
	KindApp   Kind = "app"
)

const (
	// CarteStep is the period of the physical cards (the reference creates
	// their devices with step 60).
	CarteStep = 60
	// AppStep is the period authenticator apps assume.
	AppStep = 30
	// NewCarteTolerance is wide (±10 min) so that the first use of a card
	// works despite the clock drift it accumulated since the factory.
	NewCarteTolerance = 10
	// DriftedCarteTolerance (±30 steps) is what a card gets after
	// DriftFailures consecutive failures, to recover a card whose clock drifted
	// beyond the usual window (reference: DRIFTED_OTP_CARD_TOLERANCE).
	DriftedCarteTolerance = 30
	// DriftFailures is the failure count from which a card is assumed drifted.
	DriftFailures = 3
	// Digits is the length of every code, cards and apps alike.
	Digits = 6
	// Issuer names the service in authenticator apps.
	Issuer = "Aidants Connect"

	// maxTolerance bounds the search window so a corrupt or hand-edited row
	// cannot make a single request compute thousands of HMACs.
	maxTolerance = 60
	// maxBackoff caps the exponential lockout: the reference has no permanent
	// lockout, and an hour already makes online guessing hopeless.
	maxBackoff = time.Hour
)

// Device is the verification state persisted by the caller (the store) for
// one OTP device.
type Device struct {
	Kind        Kind
	Secret      []byte    // raw key bytes (decrypted by the caller)
	Step        int       // seconds: 60 for cartes, 30 for apps
	Tolerance   int       // steps accepted either side of (current step + Drift)
	Drift       int       // learned offset in steps (cards drift)
	LastStep    int64     // last accepted step: a step <= LastStep is never accepted again
	Failures    int       // consecutive failures
	LockedUntil time.Time // exponential backoff: no verification before this instant
	Confirmed   bool
}

// Outcome is the result of a verification.
type Outcome int

// OK starts at 1 so that a forgotten assignment (the zero Outcome) can never
// read as a successful verification.
const (
	OK        Outcome = iota + 1 // code accepted; the returned Device must be saved
	Wrong                        // no step in the window matches
	Throttled                    // still locked out by the backoff; state unchanged
	Replayed                     // code matches a step already used (or older)
	Malformed                    // not 6 digits; state unchanged
)

func (o Outcome) String() string {
	switch o {
	case OK:
		return "ok"
	case Wrong:
		return "wrong"
	case Throttled:
		return "throttled"
	case Replayed:
		return "replayed"
	case Malformed:
		return "malformed"
	default:
		return "unknown"
	}
}

// NewCarte returns the state of a freshly linked physical card.
func NewCarte(secret []byte) Device {
	return Device{Kind: KindCarte, Secret: secret, Step: CarteStep, Tolerance: NewCarteTolerance}
}

// NewApp returns the state of a freshly paired authenticator app.
func NewApp(secret []byte) Device {
	return Device{Kind: KindApp, Secret: secret, Step: AppStep, Tolerance: 1}
}

// AfterLogin narrows the window back to one step: the reference resets the
// tolerance at each login, so a window widened for first use or for drift
// recovery only lasts until the card has proved (and Verify has learned) its
// offset.
func (d Device) AfterLogin() Device {
	if d.Tolerance > 1 {
		d.Tolerance = 1
	}
	return d
}

// Confirm marks the device validated (by the référent for a card) and drops
// the wide first-use window.
func (d Device) Confirm() Device {
	d.Confirmed = true
	d.Tolerance = 1
	return d
}

// Verify checks code at instant now and returns the outcome and the device
// state to persist (the caller saves it in the same transaction). It never
// mutates its argument.
func Verify(d Device, code string, now time.Time) (Outcome, Device) {
	// Format first: it is a property of the input, not of the device, and a
	// typo must neither cost a failure nor hide behind a lockout message.
	normalized, ok := normalize(code)
	if !ok {
		return Malformed, d
	}
	if now.Before(d.LockedUntil) {
		return Throttled, d
	}

	cur, ok := counterAt(now, d.Step)
	if !ok {
		// A device without a usable step cannot match anything; counting the
		// failure keeps the backoff in force rather than offering a free path.
		return Wrong, fail(d, now)
	}
	center := cur + int64(d.Drift)
	match, replay := search(d.Secret, normalized, center, window(d.Tolerance), d.LastStep)
	switch {
	case match >= 0:
		d.LastStep = match
		d.Drift = int(match - cur)
		d.Failures = 0
		d.LockedUntil = time.Time{}
		return OK, d
	case replay:
		return Replayed, fail(d, now)
	default:
		return Wrong, fail(d, now)
	}
}

// search returns the step of the closest match newer than lastStep (or -1),
// and whether the code matched only already-used steps. Every step of the
// window is computed and compared in constant time, with no early exit, so
// response time does not reveal where in the window a code matched. A match
// on a used step does not stop the search: with a 61-step window an old step
// can share its code with a fresh one, and django-otp skips used steps too.
func search(secret []byte, code string, center int64, tol int, lastStep int64) (match int64, replay bool) {
	key := Base32(secret)
	match = -1
	for _, t := range candidates(center, tol) {
		if t < 0 {
			continue
		}
		want, err := codeAt(key, t)
		if err != nil {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) != 1 {
			continue
		}
		if t <= lastStep {
			replay = true
			continue
		}
		if match < 0 {
			match = t
		}
	}
	if match >= 0 {
		replay = false
	}
	return match, replay
}

// candidates lists the window by distance from center. On a tie the later
// step comes first: accepting a code as the later step moves LastStep further,
// so the same code cannot be replayed once real time reaches that step.
func candidates(center int64, tol int) []int64 {
	steps := make([]int64, 0, 2*tol+1)
	steps = append(steps, center)
	for k := int64(1); k <= int64(tol); k++ {
		steps = append(steps, center+k, center-k)
	}
	return steps
}

// fail records a failed attempt: the lockout doubles with each consecutive
// failure (reference: django-otp throttling with factor 1), and a card that
// keeps failing is assumed drifted and gets a wider window.
func fail(d Device, now time.Time) Device {
	if d.Failures < 0 {
		d.Failures = 0
	}
	d.Failures++
	d.LockedUntil = now.Add(backoff(d.Failures))
	if d.Kind == KindCarte && d.Failures >= DriftFailures && d.Tolerance < DriftedCarteTolerance {
		d.Tolerance = DriftedCarteTolerance
	}
	return d
}

// backoff is 2^(failures-1) seconds, capped; the cap is checked before
// shifting so a large failure count cannot overflow.
func backoff(failures int) time.Duration {
	if failures < 1 {
		return 0
	}
	if failures-1 >= 12 { // 2^12 s > 1 h
		return maxBackoff
	}
	return min(time.Duration(1<<(failures-1))*time.Second, maxBackoff)
}

func window(tol int) int {
	return max(0, min(tol, maxTolerance))
}

// counterAt is the TOTP counter of instant at; floor division keeps the
// counter monotonic even for instants before 1970.
func counterAt(at time.Time, step int) (int64, bool) {
	if step <= 0 {
		return 0, false
	}
	s, u := int64(step), at.Unix()
	c := u / s
	if u%s != 0 && u < 0 {
		c--
	}
	return c, true
}

// normalize accepts codes typed with spaces ("123 456", a trailing newline
// from a paste) and requires exactly six ASCII digits, as the reference's
// ^\d{6}$ does.
func normalize(code string) (string, bool) {
	out := make([]byte, 0, Digits)
	for _, r := range code {
		switch {
		case unicode.IsSpace(r):
		case r >= '0' && r <= '9' && len(out) < Digits:
			out = append(out, byte(r))
		default:
			return "", false
		}
	}
	if len(out) != Digits {
		return "", false
	}
	return string(out), true
}
