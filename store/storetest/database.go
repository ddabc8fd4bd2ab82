package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/aidantsconnect/ac/app/pgembed"
	"github.com/aidantsconnect/ac/migrations"
)

// noBinaries is printed instead of pgembed's sentence, which points at
// DATABASE_URL, the variable of the app rather than of the tests.
const noBinaries = "storetest: PostgreSQL server binaries not found: install them " +
	"(Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql@15) or set TEST_DATABASE_URL"

// harness is the state Main prepares for New.
type harness struct {
	admin    *sql.DB // maintenance database: CREATE/DROP DATABASE go through it
	adminDSN string
	template string
	// copyOptions is " STRATEGY FILE_COPY" on the embedded cluster: with fsync
	// off its checkpoints are nearly free and it beats the default WAL_LOG
	// (~120 vs ~170 ms here). A shared server keeps its default, where those
	// checkpoints would flush every other test's writes.
	copyOptions string
	// copyMu serialises copies: CREATE DATABASE … TEMPLATE takes a lock on
	// the template, and queueing here is cheaper than queueing in the server.
	copyMu sync.Mutex
}

// current is written once by Main before any test runs and only read after:
// New(t) has no other way to reach the harness.
var current *harness

// Main starts one throwaway cluster for this test binary (or uses
// TEST_DATABASE_URL when set), creates and migrates the template database
// once, runs the tests, then stops the cluster. Call it from TestMain.
// Without PostgreSQL it prints what to install and exits 1: database tests
// are never skipped silently.
//
// A fuzzing run (go test -run '^$' -fuzz …) starts no database: fuzz targets need none, and
// each fuzzing worker process would otherwise start a cluster of its own.
func Main(m *testing.M) {
	flag.Parse()
	if fuzzing() {
		os.Exit(m.Run())
	}
	os.Exit(run(m))
}

// fuzzing reports a fuzzing run's coordinator (-test.fuzz) or one of its workers.
func fuzzing() bool {
	for _, name := range []string{"test.fuzz", "test.fuzzworker"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" && f.Value.String() != "false" {
			return true
		}
	}
	return false
}

func run(m *testing.M) int {
	h, stop, err := setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	current = h
	code := m.Run()
	h.admin.Close()
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, "storetest: stop PostgreSQL:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

func setup() (h *harness, stop func() error, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	h = &harness{adminDSN: os.Getenv("TEST_DATABASE_URL")}
	stop = func() error { return nil }
	if h.adminDSN == "" {
		if h.adminDSN, stop, err = startCluster(ctx); err != nil {
			return nil, nil, err
		}
		h.copyOptions = " STRATEGY FILE_COPY"
	}
	stopCluster := stop // the named result is nil on an error return
	defer func() {
		if err != nil {
			stopCluster()
		}
	}()
	cfg, err := pgx.ParseConfig(h.adminDSN)
	if err != nil {
		return nil, nil, fmt.Errorf("storetest: TEST_DATABASE_URL: %w", err)
	}
	h.admin = sql.OpenDB(stdlib.GetConnector(*cfg))
	if h.template, err = ensureTemplate(ctx, h.admin, h.adminDSN); err != nil {
		h.admin.Close()
		return nil, nil, err
	}
	if err := migrations.CreateRoles(ctx, h.admin, map[string]string{ServingRole: ServingRole}); err != nil {
		h.admin.Close()
		return nil, nil, fmt.Errorf("storetest: the serving role (TEST_DATABASE_URL's role needs CREATEROLE): %w", err)
	}
	return h, stop, nil
}

// ServingRole is the role NewDSNs' serving DSN logs in as (its password is its name: a test
// role on a test server). It has no privilege until the App grants it, as its owner, what
// serving needs.
const ServingRole = "actest_app"

// NewDSNs is NewDSN as two roles, the way the App runs in production: owner is NewDSN's
// (the test server's administrator, who owns the copy and migrates it), serving reaches the
// same copy as ServingRole.
func NewDSNs(t testing.TB) (owner, serving string) {
	t.Helper()
	owner = NewDSN(t)
	serving, err := withUser(owner, ServingRole, ServingRole)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return owner, serving
}

// withUser returns dsn logging in as user with password, for both DSN forms pgx accepts.
func withUser(dsn, user, password string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parse DSN: %w", err)
		}
		u.User = url.UserPassword(user, password)
		q := u.Query()
		if q.Has("user") || q.Has("password") {
			q.Del("user")
			q.Del("password")
			u.RawQuery = q.Encode()
		}
		return u.String(), nil
	}
	return dsn + " user=" + user + " password=" + password, nil
}

// startCluster starts an ephemeral pgembed cluster in a fresh temporary
// directory; the directory is made traversable because PostgreSQL runs as
// the postgres user when tests run as root.
func startCluster(ctx context.Context) (string, func() error, error) {
	sweepStale(os.TempDir(), time.Now())
	base, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return "", nil, fmt.Errorf("storetest: %w", err)
	}
	if err := os.Chmod(base, 0o755); err != nil {
		os.RemoveAll(base)
		return "", nil, fmt.Errorf("storetest: %w", err)
	}
	srv, err := pgembed.Start(ctx, pgembed.Options{DataDir: filepath.Join(base, "pg"), Ephemeral: true})
	if err != nil {
		os.RemoveAll(base)
		if errors.Is(err, pgembed.ErrNoBinaries) {
			return "", nil, errors.New(noBinaries)
		}
		return "", nil, fmt.Errorf("storetest: start PostgreSQL: %w", err)
	}
	stop := func() error {
		err := srv.Stop()
		os.RemoveAll(base)
		return err
	}
	return srv.DSN(), stop, nil
}

// New returns a fresh database copied from the migrated template, closed and
// dropped when the test ends.
func New(t testing.TB) *bun.DB {
	t.Helper()
	dsn := NewDSN(t)
	db, err := openBun(dsn)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	// Registered after NewDSN's drop, so it runs before it.
	t.Cleanup(func() { db.Close() })
	return db
}

// NewDSN is New for tests that build the whole App from a DATABASE_URL: it
// returns the DSN of a fresh copy, dropped (connections and all) when the
// test ends.
func NewDSN(t testing.TB) string {
	t.Helper()
	h := current
	if h == nil {
		t.Fatal("storetest: no harness: add func TestMain(m *testing.M) { storetest.Main(m) } to this package's tests " +
			"(a fuzzing run has none: give it -run '^$')")
	}
	name, err := h.copy(t.Context())
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() {
		// t.Context() is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := h.drop(ctx, name); err != nil {
			t.Errorf("storetest: %v", err)
		}
	})
	dsn, err := withDatabase(h.adminDSN, name)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return dsn
}

// copy creates a database from the template and returns its name.
func (h *harness) copy(ctx context.Context) (string, error) {
	name := "actest_" + randomSuffix()
	h.copyMu.Lock()
	defer h.copyMu.Unlock()
	if _, err := h.admin.ExecContext(ctx, "CREATE DATABASE "+ident(name)+" TEMPLATE "+ident(h.template)+h.copyOptions); err != nil {
		return "", fmt.Errorf("copy template %s: %w", h.template, err)
	}
	return name, nil
}

// drop removes a copy; FORCE, because a test that leaked a connection must
// not leak the database.
func (h *harness) drop(ctx context.Context, name string) error {
	if _, err := h.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop %s: %w", name, err)
	}
	return nil
}

// openBun connects bun, with the pg dialect, to dsn through pgx's
// database/sql driver, as the app does.
func openBun(dsn string) (*bun.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse DSN: %w", err)
	}
	return bun.NewDB(sql.OpenDB(stdlib.GetConnector(*cfg)), pgdialect.New()), nil
}

// withDatabase returns dsn pointing at database name, for both DSN forms pgx
// accepts.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parse DSN: %w", err)
		}
		u.Path, u.RawPath = "/"+name, ""
		if q := u.Query(); q.Has("dbname") {
			q.Del("dbname")
			u.RawQuery = q.Encode()
		}
		return u.String(), nil
	}
	// Keyword/value form: the last occurrence of a keyword wins.
	return dsn + " dbname=" + name, nil
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

func randomSuffix() string {
	b := make([]byte, 8)
	rand.Read(b) // never fails (crypto/rand doc)
	return hex.EncodeToString(b)
}

// Run is Main without the exit, for a TestMain that has more to tear down afterwards.
func Run(m *testing.M) int { return run(m) }
