package app_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/store"
)

// /metrics, scraped from its own listener after real requests and actions: requests by route
// pattern and status (a path no route matches is "other", never the path), committed actions
// by kind (a refused action counts nothing), the outbox and the database pool.
func TestMetricsScraped(t *testing.T) {
	t.Parallel()
	// Mail goes through the job queue (faked delivery), which this test does not work.
	e := apptest.Start(t, func(c *app.Config) { c.DeliverEmail = func(store.Email) error { return nil } })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.App.ServeMetrics(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("metrics listener: %v", err)
		}
	})

	org := e.Org("CCAS de Meung")
	anon := e.Browser()
	for range 2 {
		if r := anon.Get(paths.Healthz); r.Status != http.StatusOK {
			t.Fatalf("healthz: %d", r.Status)
		}
	}
	secret := "introuvable-" + apptest.RandomHex(t)
	if r := anon.Get("/" + secret + "/"); r.Status != http.StatusNotFound {
		t.Fatalf("unknown path: %d", r.Status)
	}
	p, _ := e.LoginAidant("metrics@example.fr", org)
	m := e.UsagerWithMandat(0, org, "LONG", "papiers", "famille")
	if _, err := e.App.Store.RevokeMandat(ctx, org.ID, p.Aidant.ID, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Store.RevokeMandat(ctx, org.ID, p.Aidant.ID, m.ID); err == nil {
		t.Fatal("revoking a revoked mandat again succeeded")
	}

	resp, err := http.Get("http://" + ln.Addr().String() + paths.Metrics)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, text)
	}
	for _, want := range []string{
		`ac_http_requests_total{method="GET",route="/healthz",status="200"} 2`,
		`ac_http_requests_total{method="GET",route="other",status="404"} 1`,
		`ac_http_request_duration_seconds_count{method="GET",route="/healthz"} 2`,
		`ac_mandats_created_total 1`,
		`ac_mandats_revoked_total 1`,       // the second, refused revocation counts nothing
		`ac_autorisations_revoked_total 2`, // the mandat's two démarches, each journaled
		`ac_fi_logins_total 0`,
		`ac_journal_actions_total{action="connect_aidant"} 1`,
		`ac_journal_actions_total{action="create_attestation"} 1`,
		`ac_journal_actions_total{action="cancel_mandat"} 1`,
		`ac_outbox_waiting 1`, // the login link, waiting for its job
		`go_sql_max_open_connections{db_name="ac"} `,
		`go_goroutines `,
		`ac_jobs{kind="deliver_email",state="available"} 1`, // the login link's delivery, not worked here
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, leak := range []string{secret, "metrics@example.fr", m.Usager.FamilyName} {
		if strings.Contains(text, leak) {
			t.Errorf("/metrics shows %q", leak)
		}
	}
	// Not on the public listener.
	if r := anon.Get(paths.Metrics); r.Status != http.StatusNotFound {
		t.Errorf("public %s: %d, want 404", paths.Metrics, r.Status)
	}
}
