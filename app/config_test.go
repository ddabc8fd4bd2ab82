package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
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
	c, err := app.Load(env())
	if err != nil || c.Mode != app.ModeDev || c.Addr != "127.0.0.1:8080" || c.DatabaseURL != "" || c.DataDir != "./.data" || c.BaseURL != "http://127.0.0.1:8080" {
		t.Fatalf("dev defaults: %+v %v", c, err)
	}
	// The well-known development key, which production must refuse: what dev falls back to.
	devSecret := string(c.SecretKey)
	if _, err := app.Load(env("AC_MODE", "prod")); err == nil {
		t.Fatal("unknown mode accepted")
	}
	_, err = app.Load(env("AC_MODE", "production"))
	for _, want := range []string{"DATABASE_URL", "AC_BASE_URL", "AC_SECRET_KEY", "AC_SMTP_URL", "AC_FC_ISSUER"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("production without %s: %v", want, err)
		}
	}
	_, err = app.Load(env("AC_MODE", "production", "DATABASE_URL", "postgres://x", "AC_BASE_URL", "https://ac.example", "AC_SECRET_KEY", devSecret, "AC_SMTP_URL", "smtp://x", "AC_FC_ISSUER", "https://fc", "AC_FC_CLIENT_ID", "x", "AC_FC_CLIENT_SECRET", "y"))
	if err == nil || !strings.Contains(err.Error(), "AC_SECRET_KEY") {
		t.Fatalf("production with the dev secret: %v", err)
	}
	c, err = app.Load(env("AC_MODE", "production", "DATABASE_URL", "postgres://x", "AC_BASE_URL", "https://ac.example/", "AC_SECRET_KEY", strings.Repeat("ab", 32), "AC_SMTP_URL", "smtp://x", "AC_FC_ISSUER", "https://fc/", "AC_FC_CLIENT_ID", "x", "AC_FC_CLIENT_SECRET", "y"))
	if err != nil || c.BaseURL != "https://ac.example" || len(c.SecretKey) != 32 || !c.Secure() || c.Dev() || c.FCIssuer != "https://fc" || c.SimulatesFC() {
		t.Fatalf("production: %+v %v", c, err)
	}
}

// The sandbox runs on a real server with real aidants' TOTP seeds: with the public dev key,
// anyone could decrypt them and compute verification tokens. It refuses that key, as
// production does, and an absent key too (which would fall back to it).
func TestSandboxRefusesTheDevSecretKey(t *testing.T) {
	t.Parallel()
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	dev, err := app.Load(env())
	if err != nil {
		t.Fatal(err)
	}
	devSecret := string(dev.SecretKey)
	for _, secret := range []string{"", devSecret, "trop-courte"} {
		_, err := app.Load(env("AC_MODE", "sandbox", "AC_SECRET_KEY", secret))
		if err == nil || !strings.Contains(err.Error(), "AC_SECRET_KEY") {
			t.Errorf("sandbox with AC_SECRET_KEY=%q: err = %v, want a refusal naming AC_SECRET_KEY", secret, err)
		}
	}
	c, err := app.Load(env("AC_MODE", "sandbox", "AC_SECRET_KEY", strings.Repeat("cd", 32)))
	if err != nil || c.Mode != app.ModeSandbox || len(c.SecretKey) != 32 || !c.Dev() {
		t.Fatalf("sandbox with a real key: %+v %v", c, err)
	}
}

func TestOutboxRetentionConfig(t *testing.T) {
	t.Parallel()
	c, err := app.Load(func(k string) string { return map[string]string{"AC_OUTBOX_RETENTION": "168h"}[k] })
	if err != nil || c.OutboxRetention != 7*24*time.Hour {
		t.Fatalf("AC_OUTBOX_RETENTION=168h: %v %v", c.OutboxRetention, err)
	}
	for _, bad := range []string{"30", "-1h", "0s"} {
		if _, err := app.Load(func(k string) string { return map[string]string{"AC_OUTBOX_RETENTION": bad}[k] }); err == nil || !strings.Contains(err.Error(), "AC_OUTBOX_RETENTION") {
			t.Errorf("AC_OUTBOX_RETENTION=%q: %v", bad, err)
		}
	}
}

func TestActivityTimeoutConfig(t *testing.T) {
	t.Parallel()
	load := func(env map[string]string) (app.Config, error) {
		return app.Load(func(k string) string { return env[k] })
	}
	if c, err := load(nil); err != nil || c.ActivityTimeout != 15*time.Minute {
		t.Fatalf("default: %v %v", c.ActivityTimeout, err)
	}
	for v, want := range map[string]time.Duration{"5m": 5 * time.Minute, "1m": time.Minute, "1h": time.Hour} {
		if c, err := load(map[string]string{"AC_ACTIVITY_TIMEOUT": v}); err != nil || c.ActivityTimeout != want {
			t.Errorf("AC_ACTIVITY_TIMEOUT=%s: %v %v", v, c.ActivityTimeout, err)
		}
	}
	for _, bad := range []string{"15", "-5m", "30s", "25h", "soon"} {
		if _, err := load(map[string]string{"AC_ACTIVITY_TIMEOUT": bad}); err == nil || !strings.Contains(err.Error(), "AC_ACTIVITY_TIMEOUT") {
			t.Errorf("AC_ACTIVITY_TIMEOUT=%q: %v", bad, err)
		}
	}
	// Past the security rule in production: refused, whatever else is set.
	if _, err := load(map[string]string{"AC_MODE": "production", "AC_ACTIVITY_TIMEOUT": "16m"}); err == nil || !strings.Contains(err.Error(), "AC_ACTIVITY_TIMEOUT") {
		t.Errorf("production with 16m: %v", err)
	}
}

// AC_DB_POOL sizes the serving pool; without it the App opens DefaultDBPool connections at most.
func TestDBPoolConfig(t *testing.T) {
	t.Parallel()
	env := func(v string) func(string) string {
		return func(k string) string { return map[string]string{"AC_DB_POOL": v}[k] }
	}
	if c, err := app.Load(env("")); err != nil || c.DBPool != 0 {
		t.Fatalf("default: %d %v", c.DBPool, err)
	}
	if c, err := app.Load(env("8")); err != nil || c.DBPool != 8 {
		t.Fatalf("AC_DB_POOL=8: %d %v", c.DBPool, err)
	}
	for _, bad := range []string{"0", "-2", "four", "201"} {
		if _, err := app.Load(env(bad)); err == nil || !strings.Contains(err.Error(), "AC_DB_POOL") {
			t.Errorf("AC_DB_POOL=%q: %v", bad, err)
		}
	}
	if e := apptest.Start(t); e.App.DB.Stats().MaxOpenConnections != app.DefaultDBPool || app.DefaultDBPool != 4 {
		t.Errorf("default pool: %d connections", e.App.DB.Stats().MaxOpenConnections)
	}
	if e := apptest.Start(t, func(c *app.Config) { c.DBPool = 2 }); e.App.DB.Stats().MaxOpenConnections != 2 {
		t.Errorf("DBPool 2: %d connections", e.App.DB.Stats().MaxOpenConnections)
	}
}

// A proxy header is believed only from proxies named by address: alone it would let any
// client choose the address it is counted as.
func TestProxyConfig(t *testing.T) {
	t.Parallel()
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	if _, err := app.Load(env("AC_PROXY_HEADER", "X-Forwarded-For")); err == nil || !strings.Contains(err.Error(), "AC_TRUSTED_PROXIES") {
		t.Errorf("AC_PROXY_HEADER without AC_TRUSTED_PROXIES: %v", err)
	}
	if _, err := app.Load(env("AC_TRUSTED_PROXIES", "10.0.0.0/8, proxy.example")); err == nil || !strings.Contains(err.Error(), "proxy.example") {
		t.Errorf("a host name among the proxies: %v", err)
	}
	c, err := app.Load(env("AC_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1 fd00::/8"))
	if err != nil || c.ProxyHeader != "X-Forwarded-For" || strings.Join(c.TrustedProxies, " ") != "10.0.0.0/8 192.0.2.1 fd00::/8" {
		t.Fatalf("trusted proxies: %q %q %v", c.ProxyHeader, c.TrustedProxies, err)
	}
	c, err = app.Load(env("AC_TRUSTED_PROXIES", "10.0.0.0/8", "AC_PROXY_HEADER", "X-Real-IP"))
	if err != nil || c.ProxyHeader != "X-Real-IP" {
		t.Fatalf("another header: %q %v", c.ProxyHeader, err)
	}
}

func TestDemoCodeOnlyOutsideProduction(t *testing.T) {
	t.Parallel()
	for _, mode := range []app.Mode{app.ModeDev, app.ModeProduction} {
		e := apptest.Start(t, func(c *app.Config) {
			c.Mode = mode
			if mode == app.ModeProduction {
				c.FCIssuer, c.FCClientID, c.FCClientSecret = "https://franceconnect.invalid/api/v2", "id", "secret"
				c.SMTPURL, c.MailFrom = "smtp://127.0.0.1:9", "a@example.fr" // nothing listens: mail stays queued
			}
		})
		if err := app.SeedDemo(context.Background(), e.App.Store); err != nil {
			t.Fatal(err)
		}
		if err := app.SeedDemo(context.Background(), e.App.Store); err != nil { // idempotent
			t.Fatal(err)
		}
		r := e.Browser().Post("/accounts/login/", url.Values{"email": {app.DemoAidantEmail}, "otp_token": {app.DemoCode}})
		want := http.StatusSeeOther
		if mode == app.ModeProduction {
			want = http.StatusUnprocessableEntity
		}
		if r.Status != want {
			t.Errorf("%s: demo code → %d, want %d", mode, r.Status, want)
		}
		outbox := e.Browser().Get("/dev/emails/")
		if (mode == app.ModeProduction) != (outbox.Status == http.StatusNotFound) {
			t.Errorf("%s: /dev/emails/ → %d", mode, outbox.Status)
		}
		if mode == app.ModeProduction && strings.Contains(outbox.Body, "Environnement de développement") {
			t.Errorf("production shows the dev banner")
		}
	}
}

func TestMetricsAddrConfig(t *testing.T) {
	t.Parallel()
	c, err := app.Load(func(string) string { return "" })
	if err != nil || c.MetricsAddr != "" {
		t.Fatalf("default: metrics %q, %v; want off", c.MetricsAddr, err)
	}
	c, err = app.Load(func(k string) string { return map[string]string{"AC_METRICS_ADDR": "127.0.0.1:9090"}[k] })
	if err != nil || c.MetricsAddr != "127.0.0.1:9090" {
		t.Fatalf("AC_METRICS_ADDR: %q, %v", c.MetricsAddr, err)
	}
}
