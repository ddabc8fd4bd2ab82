package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aidantsconnect/ac/app"
	"github.com/aidantsconnect/ac/store/storetest"
)

// journalRows writes n journal rows through a real action: the demo aidant switches
// organisation back and forth.
func journalRows(t *testing.T, a *app.App, n int) {
	t.Helper()
	ctx := context.Background()
	aidant, err := a.Store.FindAidantByEmail(ctx, app.DemoAidantEmail)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := a.Store.ListMemberships(ctx, aidant.ID)
	if err != nil || len(ms) != 2 {
		t.Fatalf("memberships %v %v", ms, err)
	}
	for i := range n {
		if _, err := a.Store.SwitchOrganisation(ctx, aidant.ID, ms[i%2].OrganisationID); err != nil {
			t.Fatal(err)
		}
	}
}

// serveAndStop serves the App until the test stops it, as `ac serve` does until SIGTERM.
func serveAndStop(t *testing.T, a *app.App) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	// Stopped once it answers, as a real server is.
	for i := 0; ; i++ {
		resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i == 500 {
			t.Fatalf("the server does not answer: %v", err)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Rows deleted at the end of the journal, by someone able to bypass its triggers (the owner,
// a superuser), leave a chain that is intact as far as it goes: the checkpoint written at the
// last shutdown says how far it went.
func TestJournalVerifyReportsDeletedLastRow(t *testing.T) {
	dsn := storetest.NewDSN(t)
	getenv := func(k string) string { return map[string]string{"DATABASE_URL": dsn, "AC_MODE": "dev"}[k] }
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"seed"}, getenv, &out); err != nil {
		t.Fatalf("seed: %v", err)
	}
	cfg, _ := app.Load(getenv)
	cfg.SkipSeed = true
	a, err := app.New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	journalRows(t, a, 3)
	serveAndStop(t, a) // the shutdown writes a checkpoint
	out.Reset()
	if want := intact(t, a); run(ctx, []string{"journal", "verify"}, getenv, &out) != nil || !strings.Contains(out.String(), want) {
		t.Fatalf("verify intact: want %q, got %q", want, out.String())
	}
	// The superuser of the test database deletes the last row.
	if _, err := a.DB.ExecContext(ctx, "ALTER TABLE journal DISABLE TRIGGER USER; DELETE FROM journal WHERE id = (SELECT max(id) FROM journal); ALTER TABLE journal ENABLE TRIGGER USER"); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = run(ctx, []string{"journal", "verify"}, getenv, &out)
	if err == nil || !strings.Contains(err.Error(), "1 entrée manque") {
		t.Fatalf("verify after the last row was deleted: %v, %q", err, out.String())
	}
}

// intact is what journal verify says of the journal as it stands: every row checked (the demo
// seed journals its own actions, and the test adds some).
func intact(t *testing.T, a *app.App) string {
	t.Helper()
	n, err := a.DB.NewSelect().Table("journal").Count(context.Background())
	if err != nil || n < 2 {
		t.Fatalf("journal rows: %d, %v", n, err)
	}
	return fmt.Sprintf("journal intact : %d entrées vérifiées", n)
}

// privateDir is a fresh directory the postgres user can reach (PostgreSQL runs as that user
// when tests run as root).
func privateDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "acjournal-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// In the embedded default the App serves as a role that may only read and append to the
// journal: it can neither disable the journal's triggers nor delete, update or truncate it.
func TestJournalServingRoleCannotRewriteIt(t *testing.T) {
	dir := privateDir(t)
	getenv := func(k string) string {
		return map[string]string{"AC_MODE": "dev", "AC_DATA_DIR": filepath.Join(dir, "data")}[k]
	}
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"seed"}, getenv, &out); err != nil {
		t.Fatalf("seed: %v", err)
	}
	cfg, _ := app.Load(getenv)
	cfg.SkipSeed = true
	a, err := app.New(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	journalRows(t, a, 2)
	for _, q := range []string{
		"ALTER TABLE journal DISABLE TRIGGER USER",
		"ALTER TABLE journal DISABLE TRIGGER journal_no_update_delete",
		"DELETE FROM journal WHERE id = (SELECT max(id) FROM journal)",
		"UPDATE journal SET info = 'falsifié'",
		"TRUNCATE journal",
		"DROP TRIGGER journal_no_update_delete ON journal",
		"DELETE FROM journal_checkpoints",
	} {
		if _, err := a.DB.ExecContext(ctx, q); err == nil {
			t.Errorf("the serving role ran %q", q)
		} else if !strings.Contains(err.Error(), "permission denied") && !strings.Contains(err.Error(), "must be owner") {
			t.Errorf("%s: refused with %v, want a privilege error", q, err)
		}
	}
	want := intact(t, a)
	a.Close()
	out.Reset()
	if err := run(ctx, []string{"journal", "verify"}, getenv, &out); err != nil || !strings.Contains(out.String(), want) {
		t.Fatalf("verify: %v, want %q, got %q", err, want, out.String())
	}
}
