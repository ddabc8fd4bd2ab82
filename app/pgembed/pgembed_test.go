package pgembed

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// reachableTempDir returns a fresh directory the postgres user can traverse;
// t.TempDir is 0700 and root-owned, which is exactly what Start rejects.
func reachableTempDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "pgembedtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

func start(t *testing.T, o Options) *Server {
	t.Helper()
	begin := time.Now()
	s, err := Start(t.Context(), o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("Start took %v", time.Since(begin))
	t.Cleanup(func() { s.Stop() })
	return s
}

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("parse DSN %q: %v", dsn, err)
	}
	db := sql.OpenDB(stdlib.GetConnector(*cfg))
	t.Cleanup(func() { db.Close() })
	return db
}

func exec1(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(t.Context(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func TestEphemeralServerWithExtensions(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(reachableTempDir(t), "data")
	s := start(t, Options{DataDir: dir, Ephemeral: true})
	db := open(t, s.DSN())
	for _, ext := range []string{"unaccent", "pg_trgm", "citext"} {
		exec1(t, db, "CREATE EXTENSION "+ext)
	}
	var unaccented string
	var similar, sameCitext bool
	err := db.QueryRowContext(t.Context(),
		`SELECT unaccent('Élodie Gérard'), similarity('Gérard', 'Gerard') > 0.3, 'ÉLODIE'::citext = 'élodie'::citext`).
		Scan(&unaccented, &similar, &sameCitext)
	if err != nil {
		t.Fatal(err)
	}
	if unaccented != "Elodie Gerard" || !similar || !sameCitext {
		t.Errorf("unaccent=%q similar=%v citext equal=%v; want Elodie Gerard, true, true", unaccented, similar, sameCitext)
	}
	var fsync string
	if err := db.QueryRowContext(t.Context(), "SHOW fsync").Scan(&fsync); err != nil {
		t.Fatal(err)
	}
	if fsync != "off" {
		t.Errorf("fsync = %q in ephemeral mode, want off", fsync)
	}
	db.Close()

	pid := s.proc.Pid
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("postmaster PID %d still exists after Stop (kill 0: %v)", pid, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ephemeral data dir still exists after Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestSecondStartOnSameDirFails(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(reachableTempDir(t), "data")
	start(t, Options{DataDir: dir})
	s2, err := Start(t.Context(), Options{DataDir: dir})
	if err == nil {
		s2.Stop()
		t.Fatal("second Start on the same data dir succeeded")
	}
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "another instance is using "+dir) {
		t.Errorf("second Start error = %v; want ErrInUse naming %s", err, dir)
	}
}

func TestRestartReusesDataDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(reachableTempDir(t), "a", "b", "data")
	s := start(t, Options{DataDir: dir})
	db := open(t, s.DSN())
	exec1(t, db, "CREATE TABLE kept (v text)")
	exec1(t, db, "INSERT INTO kept VALUES ('survives')")
	db.Close()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err != nil {
		t.Fatalf("persistent data dir gone after Stop: %v", err)
	}

	// A crash leaves postmaster.pid behind; a dead PID must not block the start.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	stale := []byte(strings.Join([]string{strconv.Itoa(dead.Process.Pid), dir, "0", "5432", dir, "", "0 0", "ready", ""}, "\n"))
	pidPath := filepath.Join(dir, "postmaster.pid")
	if err := os.WriteFile(pidPath, stale, 0o600); err != nil {
		t.Fatal(err)
	}
	acct, err := lookupAccount()
	if err != nil {
		t.Fatal(err)
	}
	if err := acct.own(pidPath); err != nil {
		t.Fatal(err)
	}

	s = start(t, Options{DataDir: dir})
	var v string
	if err := open(t, s.DSN()).QueryRowContext(t.Context(), "SELECT v FROM kept").Scan(&v); err != nil {
		t.Fatalf("table from the first run: %v", err)
	}
	if v != "survives" {
		t.Errorf("kept.v = %q, want survives", v)
	}
}

// Two servers at once: each has its own socket directory, so both can use
// port 5432 without clashing on the socket lock file.
func TestTwoServersSideBySide(t *testing.T) {
	t.Parallel()
	base := reachableTempDir(t)
	a := start(t, Options{DataDir: filepath.Join(base, "a"), Ephemeral: true})
	b := start(t, Options{DataDir: filepath.Join(base, "b"), Ephemeral: true})
	if a.DSN() == b.DSN() {
		t.Fatalf("both servers share DSN %s", a.DSN())
	}
	exec1(t, open(t, a.DSN()), "CREATE TABLE only_in_a ()")
	var n int
	if err := open(t, b.DSN()).QueryRowContext(t.Context(),
		"SELECT count(*) FROM pg_class WHERE relname = 'only_in_a'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Error("server b sees a table created on server a")
	}
}

func TestLongDataDirUsesShortSocketDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(reachableTempDir(t), strings.Repeat("long-directory-name-", 6))
	s := start(t, Options{DataDir: dir, Ephemeral: true})
	if s.sockDir == dir || len(s.sockDir)+1+len(socketName) > maxSocketPath {
		t.Fatalf("socket dir %q for data dir of %d bytes", s.sockDir, len(dir))
	}
	var one int
	if err := open(t, s.DSN()).QueryRowContext(t.Context(), "SELECT 1").Scan(&one); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(s.sockDir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("socket dir mode: %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.sockDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary socket dir left behind: %v", err)
	}
}

func TestUnreachableParentIsReported(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root switches to the postgres user")
	}
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data") // t.TempDir is 0700 root
	_, err := Start(context.Background(), Options{DataDir: dir, Ephemeral: true})
	if err == nil || !strings.Contains(err.Error(), "the postgres user cannot reach") {
		t.Fatalf("Start under a 0700 root dir: %v; want 'cannot reach' error", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data dir created despite the error: %v", err)
	}
}

func TestNoBinaries(t *testing.T) {
	t.Parallel()
	_, _, err := pickBinDir(t.Context(), []string{t.TempDir(), "/nonexistent"}, "")
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("pickBinDir without binaries: %v; want ErrNoBinaries", err)
	}
}

func TestBinariesMatchExistingCluster(t *testing.T) {
	t.Parallel()
	dir, major, err := findBinDir(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := pickBinDir(t.Context(), []string{dir}, major); err != nil {
		t.Errorf("same major %s: %v", major, err)
	}
	_, _, err = pickBinDir(t.Context(), []string{dir}, "9")
	if err == nil || !strings.Contains(err.Error(), "PostgreSQL 9 cluster") {
		t.Errorf("cluster of another major version: %v; want a version mismatch error", err)
	}
}

// The server must not outlive a process killed without calling Stop (a
// timed-out test binary, a kill -9'd `go run .`). The child is this test
// binary re-executed in helper mode.
func TestServerDiesWithItsParent(t *testing.T) {
	if os.Getenv("PGEMBED_HELPER_DIR") != "" {
		t.Skip("helper mode")
	}
	t.Parallel()
	dir := filepath.Join(reachableTempDir(t), "data")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PGEMBED_HELPER_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// The helper prints "ready" once the server is up, then blocks.
	buf := make([]byte, 5)
	if _, err := io.ReadFull(out, buf); err != nil || string(buf) != "ready" {
		t.Fatalf("helper: %q, %v", buf, err)
	}
	pf, ok := readPIDFile(dir)
	if !ok {
		t.Fatal("no postmaster.pid while the helper's server runs")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// The postmaster is not our child, so there is nothing to wait on: poll.
	deadline := time.Now().Add(30 * time.Second)
	for processExists(pf.pid) {
		if time.Now().After(deadline) {
			t.Fatalf("postmaster %d still running 30s after its parent was killed", pf.pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestHelperServer(t *testing.T) {
	dir := os.Getenv("PGEMBED_HELPER_DIR")
	if dir == "" {
		t.Skip("run by TestServerDiesWithItsParent")
	}
	if _, err := Start(context.Background(), Options{DataDir: dir, Ephemeral: true}); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("ready")
	select {}
}

// processExists treats zombies as gone: an orphan reparented to a PID 1 that
// does not reap (common in containers) stays a zombie forever.
func processExists(pid int) bool {
	if b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat")); err == nil {
		if _, rest, ok := strings.Cut(string(b), ") "); ok && strings.HasPrefix(rest, "Z") {
			return false
		}
	}
	return syscall.Kill(pid, 0) == nil
}

func TestFailedStartReportsServerLog(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(reachableTempDir(t), "data")
	if err := start(t, Options{DataDir: dir}).Stop(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\nshared_buffers = 'lots'\n")
	f.Close()
	s, err := Start(t.Context(), Options{DataDir: dir})
	if err == nil {
		s.Stop()
		t.Fatal("Start succeeded with an invalid postgresql.conf")
	}
	if !strings.Contains(err.Error(), `invalid value for parameter "shared_buffers"`) ||
		!strings.Contains(err.Error(), filepath.Join(dir, logName)) {
		t.Errorf("error does not quote the server log: %v", err)
	}
}
