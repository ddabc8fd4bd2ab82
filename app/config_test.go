package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	c, err := Load(env())
	if err != nil || c.Mode != ModeDev || c.Addr != "127.0.0.1:8080" || c.DatabaseURL != "" || c.DataDir != "./.data" || c.BaseURL != "http://127.0.0.1:8080" {
		t.Fatalf("dev defaults: %+v %v", c, err)
	}
	if _, err := Load(env("AC_MODE", "prod")); err == nil {
		t.Fatal("unknown mode accepted")
	}
	_, err = Load(env("AC_MODE", "production"))
	for _, want := range []string{"DATABASE_URL", "AC_BASE_URL", "AC_SECRET_KEY", "AC_SMTP_URL", "AC_FC_ISSUER"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("production without %s: %v", want, err)
		}
	}
	_, err = Load(env("AC_MODE", "production", "DATABASE_URL", "postgres://x", "AC_BASE_URL", "https://ac.example", "AC_SECRET_KEY", devSecret, "AC_SMTP_URL", "smtp://x", "AC_FC_ISSUER", "https://fc", "AC_FC_CLIENT_ID", "x", "AC_FC_CLIENT_SECRET", "y"))
	if err == nil || !strings.Contains(err.Error(), "AC_SECRET_KEY") {
		t.Fatalf("production with the dev secret: %v", err)
	}
	c, err = Load(env("AC_MODE", "production", "DATABASE_URL", "postgres://x", "AC_BASE_URL", "https://ac.example/", "AC_SECRET_KEY", strings.Repeat("ab", 32), "AC_SMTP_URL", "smtp://x", "AC_FC_ISSUER", "https://fc/", "AC_FC_CLIENT_ID", "x", "AC_FC_CLIENT_SECRET", "y"))
	if err != nil || c.BaseURL != "https://ac.example" || len(c.SecretKey) != 32 || !c.Secure() || c.Dev() || c.FCIssuer != "https://fc" || c.SimulatesFC() {
		t.Fatalf("production: %+v %v", c, err)
	}
}

func TestDemoCodeOnlyOutsideProduction(t *testing.T) {
	t.Parallel()
	for _, mode := range []Mode{ModeDev, ModeProduction} {
		e := newEnv(t, func(c *Config) {
			c.Mode = mode
			if mode == ModeProduction {
				c.FCIssuer, c.FCClientID, c.FCClientSecret = "https://franceconnect.invalid/api/v2", "id", "secret"
				c.SMTPURL, c.MailFrom = "smtp://127.0.0.1:9", "a@example.fr" // nothing listens: mail stays queued
			}
		})
		if err := SeedDemo(context.Background(), e.app.Store); err != nil {
			t.Fatal(err)
		}
		if err := SeedDemo(context.Background(), e.app.Store); err != nil { // idempotent
			t.Fatal(err)
		}
		r := e.browser().post("/accounts/login/", url.Values{"email": {DemoAidantEmail}, "otp_token": {DemoCode}})
		want := http.StatusSeeOther
		if mode == ModeProduction {
			want = http.StatusUnprocessableEntity
		}
		if r.status != want {
			t.Errorf("%s: demo code → %d, want %d", mode, r.status, want)
		}
		outbox := e.browser().get("/dev/emails/")
		if (mode == ModeProduction) != (outbox.status == http.StatusNotFound) {
			t.Errorf("%s: /dev/emails/ → %d", mode, outbox.status)
		}
		if mode == ModeProduction && strings.Contains(outbox.body, "Environnement de développement") {
			t.Errorf("production shows the dev banner")
		}
	}
}
