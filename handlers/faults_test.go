package handlers_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/app/apptest"
	"github.com/aidantsconnect/ac/app/paths"
	"github.com/aidantsconnect/ac/app/pgembed"
	"github.com/aidantsconnect/ac/migrations"
	"github.com/aidantsconnect/ac/store"
)

// Faults: PostgreSQL stops in the middle of a user's action, then comes back. The test runs
// the App on a PostgreSQL cluster of its own (the shared test cluster cannot be stopped), kept
// on disk so that it restarts with its data.

// faultCluster is that cluster. Its DSNs do not change across restarts: the socket lives in
// the data directory.
type faultCluster struct {
	t   *testing.T
	dir string
	srv *pgembed.Server
}

func newFaultCluster(t *testing.T) *faultCluster {
	t.Helper()
	base, err := os.MkdirTemp("", "acfault-")
	if err != nil {
		t.Fatal(err)
	}
	// PostgreSQL runs as the postgres user when tests run as root: it must reach the directory.
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	c := &faultCluster{t: t, dir: filepath.Join(base, "pg")}
	c.start()
	t.Cleanup(func() {
		c.srv.Stop()
		os.RemoveAll(base)
	})
	super, err := openSuper(c.srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close()
	if err := migrations.CreateRoles(context.Background(), super, map[string]string{migrations.ServingRole: ""}); err != nil {
		t.Fatal(err)
	}
	return c
}

func openSuper(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(stdlib.GetConnector(*cfg)), nil
}

func (c *faultCluster) start() {
	c.t.Helper()
	srv, err := pgembed.Start(context.Background(), pgembed.Options{DataDir: c.dir})
	if err != nil {
		c.t.Fatalf("start PostgreSQL: %v", err)
	}
	c.srv = srv
}

// stop shuts PostgreSQL down as an operator or a crash would: open sessions are cut.
func (c *faultCluster) stop() {
	if err := c.srv.Stop(); err != nil {
		c.t.Errorf("stop PostgreSQL: %v", err)
	}
}

// app is the tweak that runs the App on the cluster: migrated by the superuser, served as the
// serving role.
func (c *faultCluster) app(cfg *app.Config) {
	cfg.DatabaseURL, cfg.MigrateDatabaseURL = c.srv.DSNAs(migrations.ServingRole), c.srv.DSN()
}

// stopAt stops the cluster just before the App sends its next query containing match: the
// statements before it in the same transaction have run, the transaction will never commit.
// It traces pgx (the App's serving connections, app.Config.DBConn), which sees every
// statement, bun's and the hot ones store.scanHot sends with parameters alike.
type stopAt struct {
	match atomic.Pointer[string]
	stop  func()
}

func (h *stopAt) arm(match string) { h.match.Store(&match) }

func (h *stopAt) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if m := h.match.Load(); m != nil && strings.Contains(d.SQL, *m) && h.match.CompareAndSwap(m, nil) {
		h.stop()
	}
	return ctx
}

func (h *stopAt) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// tune is the App's DBConn: the tracer on its serving connections.
func (h *stopAt) tune(cfg *app.Config) {
	cfg.DBConn = func(c *pgx.ConnConfig) { c.Tracer = h }
}

// waitReady polls /readyz until the App answers that its database is back, within a bound:
// stale connections of the pool fail once each at most.
func waitReady(t *testing.T, e *apptest.Env) {
	t.Helper()
	b := e.Browser()
	for i := range 200 {
		if r := b.Get("/readyz"); r.Status == http.StatusOK {
			t.Logf("ready after %d failed polls", i)
			return
		}
	}
	t.Fatal("the App does not serve again after PostgreSQL came back")
}

// frenchErrorPage checks an error page tells the aidant, in French, and nothing of the cause.
func frenchErrorPage(t *testing.T, r apptest.Page, what string) {
	t.Helper()
	if r.Status != http.StatusInternalServerError || !strings.Contains(r.Body, `lang="fr"`) || !strings.Contains(r.Body, "Erreur du service") ||
		!strings.Contains(r.Body, "Réessayez dans quelques instants") {
		t.Fatalf("%s with PostgreSQL stopped: %d %s", what, r.Status, r.Body)
	}
	// What the page says, not its markup (the layout's activity warning is a <dialog>).
	text := parseHTML(t, r.Body).Text()
	for _, leak := range []string{"SQLSTATE", "pgconn", "dial", "connection", "insert", "EOF"} {
		if strings.Contains(text, leak) {
			t.Errorf("%s: the error page shows %q", what, leak)
		}
	}
}

func count(t *testing.T, e *apptest.Env, table, where string) int {
	t.Helper()
	n, err := e.App.DB.NewSelect().Table(table).Where(where).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// PostgreSQL stops while the aidant signs a mandat (after FranceConnect's callback, in the
// middle of the signature's transaction), then while FranceConnect exchanges a code at
// /token. The aidant gets a French error page and the relying party an OIDC server_error;
// nothing is half done (no mandat without its autorisations, no code spent without its
// token); when PostgreSQL comes back the same process serves again, and both finish.
func TestPostgresStoppedMidFlow(t *testing.T) {
	t.Parallel()
	cluster := newFaultCluster(t)
	fault := &stopAt{stop: cluster.stop}
	e := apptest.Start(t, cluster.app, fault.tune)
	org := e.Org("Maison France Services")
	p := e.Aidant("jean@example.fr", org, true)
	b := e.Login(p)

	// The mandat: FranceConnect has answered, the recap is shown; PostgreSQL stops once the
	// mandat row is written, before its autorisations are.
	auth := startMandat(t, b, mandatForm("LONG", "famille", "argent"))
	if r := callback(t, b, franceConnect(t, b, auth, "login", 0)); r.Status != http.StatusOK || !strings.Contains(r.Body, "Récapitulatif du mandat") {
		t.Fatalf("recap: %d", r.Status)
	}
	fault.arm(`INSERT INTO "autorisations"`)
	frenchErrorPage(t, b.Post(recapPath, url.Values{"personal_data": {"on"}, "otp_token": {e.Code(p)}}), "the signature")
	frenchErrorPage(t, b.Get(paths.Espace), "the espace aidant")
	cluster.start()
	waitReady(t, e)
	if n := count(t, e, "mandats", "true"); n != 0 {
		t.Fatalf("%d mandats after the failed signature", n)
	}
	if n := count(t, e, "journal", "action IN ('create_attestation', 'create_autorisation')"); n != 0 {
		t.Fatalf("%d journal entries of a mandat that does not exist", n)
	}
	// The aidant signs again, with the next code: the recap was kept.
	e.Clock.Advance(30 * time.Second)
	r := b.Post(recapPath, url.Values{"personal_data": {"on"}, "otp_token": {e.Code(p)}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, paths.Mandats) {
		t.Fatalf("signature once PostgreSQL is back: %d %q %s", r.Status, r.Location, r.Body)
	}
	if m, a := count(t, e, "mandats", "true"), count(t, e, "autorisations", "true"); m != 1 || a != 2 {
		t.Fatalf("%d mandats, %d autorisations", m, a)
	}
	e.Clock.Advance(30 * time.Second)
	mandatID := mandatIDIn(t, r.Location)
	m, err := e.App.Store.GetMandat(context.Background(), org.ID, mandatID)
	if err != nil {
		t.Fatal(err)
	}

	// The identity provider: the aidant picks the usager and the démarche, FranceConnect
	// exchanges the code; PostgreSQL stops as the statement that claims the code and stores the
	// token (one statement) is sent.
	rp := fcClient(t, e, "fc-fault", store.AlgES256, "json", nil)
	nonce := apptest.RandomHex(t)
	code := fiLogin(t, b, rp.authorizeURL(rp.authorizeParams(apptest.RandomHex(t), nonce)), m.Usager, "famille").Get("code")
	fault.arm(`INSERT INTO idp_tokens`)
	status, body := rp.token(t, code)
	if status != http.StatusInternalServerError || body["error"] != "server_error" {
		t.Fatalf("token with PostgreSQL stopped: %d %v", status, body)
	}
	if desc, _ := body["error_description"].(string); strings.Contains(desc, "SQLSTATE") || strings.Contains(desc, "dial") {
		t.Errorf("the OIDC error tells the relying party the cause: %q", desc)
	}
	cluster.start()
	waitReady(t, e)
	if n := count(t, e, "idp_flows", "code_used_at IS NOT NULL"); n != 0 {
		t.Fatalf("the code is spent without a token")
	}
	if n := count(t, e, "idp_tokens", "true"); n != 0 {
		t.Fatalf("%d access tokens after the failed exchange", n)
	}
	// FranceConnect tries again: the same code gives the tokens, and userinfo the identity.
	status, tok := rp.token(t, code)
	if status != http.StatusOK {
		t.Fatalf("token once PostgreSQL is back: %d %v", status, tok)
	}
	rp.checkIDToken(t, tok, nonce, nil)
	if resp, info := rp.userinfo(t, "Bearer "+tok["access_token"].(string)); resp.StatusCode != http.StatusOK || !strings.Contains(string(info), m.Usager.GivenName) {
		t.Fatalf("userinfo: %d %s", resp.StatusCode, info)
	}
	if rep, err := e.App.Store.VerifyJournal(context.Background()); err != nil || !rep.Intact() {
		t.Fatalf("journal: %+v %v", rep, err)
	}
}
