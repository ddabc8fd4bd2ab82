package otp

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	pqotp "github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// SecretSize matches django-otp's default key length for app devices.
const SecretSize = 20

// GenerateSecret returns a fresh random key for an authenticator app.
func GenerateSecret() ([]byte, error) {
	secret := make([]byte, SecretSize)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("otp: generate secret: %w", err)
	}
	return secret, nil
}

// Base32 is the form authenticator apps take for manual entry. Padding is
// dropped because apps (and the otpauth URI format) expect it absent.
func Base32(secret []byte) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
}

// Code returns the code for secret at instant at with a period of step
// seconds. Tests and dev tooling use it to play the card or the app.
func Code(secret []byte, step int, at time.Time) (string, error) {
	counter, ok := counterAt(at, step)
	if !ok {
		return "", fmt.Errorf("otp: code: invalid step %d", step)
	}
	if counter < 0 {
		return "", errors.New("otp: code: instant before the epoch")
	}
	return codeAt(Base32(secret), counter)
}

// ValidatePairing checks a code against the exact current step only
// (tolerance 0, as the reference does when an aidant adds an app): a pairing
// proves the app was set up just now with this secret, so no slack is needed.
// It keeps no state because the device does not exist yet.
func ValidatePairing(secret []byte, step int, code string, now time.Time) bool {
	normalized, ok := normalize(code)
	if !ok {
		return false
	}
	want, err := Code(secret, step, now)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(normalized)) == 1
}

// ProvisioningURI is the otpauth:// URI shown as a QR code to authenticator
// apps (Key URI format: otpauth://totp/Issuer:account?secret=…&issuer=…).
func ProvisioningURI(secret []byte, issuer, account string, step int) string {
	// Spaces as %20, not +: some apps (Google Authenticator) show a literal +.
	// A colon inside issuer or account would be read as the label separator.
	esc := func(s string) string {
		return strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
	}
	query := []string{
		"algorithm=" + esc(pqotp.AlgorithmSHA1.String()),
		"digits=" + strconv.Itoa(Digits),
		"issuer=" + esc(issuer),
		"period=" + strconv.Itoa(step),
		"secret=" + Base32(secret),
	}
	return "otpauth://totp/" + esc(issuer) + ":" + esc(account) + "?" + strings.Join(query, "&")
}

// codeAt computes the code of one counter; key is the base32 secret that
// pquerna/otp expects.
func codeAt(key string, counter int64) (string, error) {
	code, err := hotp.GenerateCodeCustom(key, uint64(counter), hotp.ValidateOpts{
		Digits:    pqotp.DigitsSix,
		Algorithm: pqotp.AlgorithmSHA1,
	})
	if err != nil {
		return "", fmt.Errorf("otp: compute code: %w", err)
	}
	return code, nil
}

// Pair is the first code of an authenticator app being added: ValidatePairing's exact step,
// under the device's backoff like any code. Accepted, the step becomes used (the same code
// cannot log in afterwards) and the device is confirmed.
func Pair(d Device, code string, now time.Time) (Outcome, Device) {
	if _, ok := normalize(code); !ok {
		return Malformed, d
	}
	if now.Before(d.LockedUntil) {
		return Throttled, d
	}
	if !ValidatePairing(d.Secret, d.Step, code, now) {
		return Wrong, fail(d, now)
	}
	cur, _ := counterAt(now, d.Step)
	d.LastStep, d.Drift, d.Failures, d.LockedUntil = cur, 0, 0, time.Time{}
	return OK, d.Confirm()
}
