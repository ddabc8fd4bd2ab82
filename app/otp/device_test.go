package otp_test

import (
	"bytes"
	"net/url"
	"testing"
	"time"

	pqotp "github.com/pquerna/otp"

	"github.com/aidantsconnect/ac/app/otp"
)

func TestConstructors(t *testing.T) {
	t.Parallel()
	secret := testSecret()
	drifted := otp.NewCarte(secret)
	drifted.Tolerance = otp.DriftedCarteTolerance
	drifted.Drift = 20
	app := otp.NewApp(secret)
	tests := []struct {
		name string
		got  otp.Device
		want otp.Device
	}{
		{"new carte", otp.NewCarte(secret), otp.Device{Kind: otp.KindCarte, Secret: secret, Step: 60, Tolerance: 10}},
		{"new app", otp.NewApp(secret), otp.Device{Kind: otp.KindApp, Secret: secret, Step: 30, Tolerance: 1}},
		{"confirm carte", otp.NewCarte(secret).Confirm(), otp.Device{Kind: otp.KindCarte, Secret: secret, Step: 60, Tolerance: 1, Confirmed: true}},
		{"confirm app", app.Confirm(), otp.Device{Kind: otp.KindApp, Secret: secret, Step: 30, Tolerance: 1, Confirmed: true}},
		{"after login narrows", drifted.AfterLogin(), otp.Device{Kind: otp.KindCarte, Secret: secret, Step: 60, Tolerance: 1, Drift: 20}},
		{"after login keeps exact window", otp.Device{Kind: otp.KindApp, Step: 30, Tolerance: 0}.AfterLogin(), otp.Device{Kind: otp.KindApp, Step: 30, Tolerance: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assertDevice(t, tt.got, tt.want)
		})
	}
	if drifted.Tolerance != otp.DriftedCarteTolerance {
		t.Errorf("AfterLogin mutated its receiver: Tolerance = %d", drifted.Tolerance)
	}
}

// RFC 6238 appendix B, SHA1 column, last six digits.
func TestCodeRFCVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		unix int64
		want string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
		{20000000000, "353130"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			got, err := otp.Code(testSecret(), 30, time.Unix(tt.unix, 0))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Code at %d = %q, want %q", tt.unix, got, tt.want)
			}
		})
	}
}

func TestCodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		step int
		at   time.Time
	}{
		{"zero step", 0, base()},
		{"negative step", -30, base()},
		{"before epoch", 30, time.Unix(-31, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if code, err := otp.Code(testSecret(), tt.step, tt.at); err == nil {
				t.Errorf("Code = %q, want an error", code)
			}
		})
	}
}

func TestValidatePairing(t *testing.T) {
	t.Parallel()
	secret := testSecret()
	now := base().Add(10 * time.Second)
	cur := counter(now, otp.AppStep)
	code := codeAtStep(t, secret, otp.AppStep, cur)
	tests := []struct {
		name string
		step int
		code string
		want bool
	}{
		{"current step", otp.AppStep, code, true},
		{"current step with space", otp.AppStep, code[:3] + " " + code[3:], true},
		{"previous step", otp.AppStep, codeAtStep(t, secret, otp.AppStep, cur-1), false},
		{"next step", otp.AppStep, codeAtStep(t, secret, otp.AppStep, cur+1), false},
		{"malformed", otp.AppStep, code[:5], false},
		{"invalid step", 0, code, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := otp.ValidatePairing(secret, tt.step, tt.code, now); got != tt.want {
				t.Errorf("ValidatePairing = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestGenerateSecret(t *testing.T) {
	t.Parallel()
	a, err := otp.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, err := otp.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 20 || len(b) != 20 {
		t.Fatalf("lengths = %d, %d, want 20", len(a), len(b))
	}
	if bytes.Equal(a, b) {
		t.Error("two secrets are equal")
	}
}

func TestBase32(t *testing.T) {
	t.Parallel()
	tests := []struct {
		secret []byte
		want   string
	}{
		{testSecret(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"},
		{[]byte("ab"), "MFRA"}, // unpadded
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := otp.Base32(tt.secret); got != tt.want {
				t.Errorf("Base32 = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestProvisioningURI(t *testing.T) {
	t.Parallel()
	secret := testSecret()
	tests := []struct {
		name    string
		account string
		step    int
		prefix  string
	}{
		{"app", "marie.dupont@example.fr", 30, "otpauth://totp/Aidants%20Connect:marie.dupont@example.fr?"},
		{"account with space", "Marie Dupont", 60, "otpauth://totp/Aidants%20Connect:Marie%20Dupont?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw := otp.ProvisioningURI(secret, otp.Issuer, tt.account, tt.step)
			if len(raw) < len(tt.prefix) || raw[:len(tt.prefix)] != tt.prefix {
				t.Errorf("URI = %q, want prefix %q", raw, tt.prefix)
			}
			key, err := pqotp.NewKeyFromURL(raw)
			if err != nil {
				t.Fatal(err)
			}
			if key.Type() != "totp" {
				t.Errorf("Type = %q", key.Type())
			}
			if key.Issuer() != "Aidants Connect" {
				t.Errorf("Issuer = %q", key.Issuer())
			}
			if key.AccountName() != tt.account {
				t.Errorf("AccountName = %q, want %q", key.AccountName(), tt.account)
			}
			if key.Secret() != otp.Base32(secret) {
				t.Errorf("Secret = %q", key.Secret())
			}
			if key.Period() != uint64(tt.step) {
				t.Errorf("Period = %d, want %d", key.Period(), tt.step)
			}
			if key.Digits() != pqotp.DigitsSix {
				t.Errorf("Digits = %v", key.Digits())
			}
			if key.Algorithm() != pqotp.AlgorithmSHA1 {
				t.Errorf("Algorithm = %v", key.Algorithm())
			}
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := u.Query().Get("issuer"); got != "Aidants Connect" {
				t.Errorf("issuer parameter = %q", got)
			}
		})
	}
}
