// Package pgembed runs a private PostgreSQL server from the machine's own
// binaries, so `go run .` and `go test ./...` need nothing but Go and an
// installed PostgreSQL. The server listens only on a Unix socket in a private
// directory and lives exactly as long as the process that started it.
package pgembed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrNoBinaries is returned by Start when no usable PostgreSQL server binaries
// exist on this machine.
var ErrNoBinaries = errors.New("PostgreSQL server binaries not found: install them " +
	"(Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql@15) or set DATABASE_URL")

// ErrInUse is matched (errors.Is) by the error Start returns when another
// server already runs on the data directory.
var ErrInUse = errors.New("data directory in use by another PostgreSQL server")

// Options configures Start.
type Options struct {
	// DataDir holds the cluster; it is created and initialised (initdb) when
	// missing, and reused when it already holds a cluster.
	DataDir string
	// Log receives start/stop events; nil discards them.
	Log *slog.Logger
	// Ephemeral trades durability for speed (fsync, synchronous_commit and
	// full_page_writes off) and removes DataDir on Stop. For tests only.
	Ephemeral bool
}

// Server is a running PostgreSQL started by Start.
type Server struct {
	dataDir    string
	sockDir    string
	ownSockDir bool // sockDir is a temporary directory to remove on Stop
	ephemeral  bool
	log        *slog.Logger
	logPath    string
	logFile    *os.File
	proc       *os.Process
	exited     chan struct{} // closed once the postmaster has been reaped
	waitErr    error         // valid after exited is closed
	stopping   atomic.Bool
	stopOnce   sync.Once
	stopErr    error
}

const (
	// port only names the socket file (.s.PGSQL.5432): there is no TCP
	// listener and every server has its own socket directory, so servers never
	// clash on it.
	port = 5432
	// maxSocketPath leaves margin under the 107 usable bytes of sun_path.
	maxSocketPath = 100
	socketName    = ".s.PGSQL.5432"
	logName       = "pgembed.log"
	// startTimeout bounds startup when ctx has no deadline; crash recovery of
	// a development cluster takes seconds, not minutes.
	startTimeout = 2 * time.Minute
	stopTimeout  = time.Minute
)

// Start initialises DataDir if needed, starts PostgreSQL on it and waits until
// it accepts connections. Under root the binaries run as the postgres user.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.DataDir == "" {
		return nil, errors.New("pgembed: Options.DataDir is required")
	}
	dir, err := filepath.Abs(o.DataDir)
	if err != nil {
		return nil, fmt.Errorf("pgembed: data directory: %w", err)
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	begin := time.Now()

	acct, err := lookupAccount()
	if err != nil {
		return nil, err
	}
	clusterMajor := readClusterVersion(dir)
	bin, major, err := findBinDir(ctx, clusterMajor)
	if err != nil {
		return nil, err
	}
	created, err := prepareDataDir(dir, acct)
	if err != nil {
		return nil, err
	}
	// Only a directory this call created may be deleted on failure: an
	// existing one could be the user's.
	cleanupDir := func() {
		if created && o.Ephemeral {
			os.RemoveAll(dir)
		}
	}
	if clusterMajor == "" {
		if err := initdb(ctx, bin, dir, acct, o.Ephemeral); err != nil {
			cleanupDir()
			return nil, err
		}
		log.Info("postgres cluster initialised", "dir", dir, "version", major)
	}
	if pid, running := runningPostmaster(dir, acct); running {
		return nil, &inUseError{dir: dir, pid: pid}
	}

	s := &Server{dataDir: dir, ephemeral: o.Ephemeral, log: log, exited: make(chan struct{})}
	if err := s.pickSocketDir(acct); err != nil {
		cleanupDir()
		return nil, err
	}
	if err := s.spawn(ctx, bin, acct); err != nil {
		s.removeSockDir()
		cleanupDir()
		return nil, err
	}
	log.Info("postgres started", "dir", dir, "version", major, "socket_dir", s.sockDir,
		"duration", time.Since(begin).Round(time.Millisecond))
	return s, nil
}

// Pid is the postmaster's process id (benchmarks read its and its children's CPU time).
func (s *Server) Pid() int { return s.proc.Pid }

// DSN returns a pgx/libpq URL reaching the server through its Unix socket as
// the postgres superuser, database postgres.
func (s *Server) DSN() string { return s.DSNAs("postgres") }

// DSNAs is DSN as another role (created beforehand). Authentication is trust:
// only the server's own user can reach the socket's directory.
func (s *Server) DSNAs(role string) string {
	q := url.Values{}
	q.Set("host", s.sockDir)
	q.Set("port", strconv.Itoa(port))
	q.Set("sslmode", "disable")
	u := url.URL{Scheme: "postgres", User: url.User(role), Path: "/postgres", RawQuery: q.Encode()}
	return u.String()
}

// Stop shuts the server down in fast mode (open sessions are aborted, a
// checkpoint is written) and, when Ephemeral, removes the data directory.
// Calling it again returns the first call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *Server) stop() error {
	var errs []error
	// SIGINT is exactly what `pg_ctl stop -m fast` sends; signalling our own
	// child directly avoids pg_ctl's 100 ms polling and lets us reap it.
	if err := s.terminate(syscall.SIGINT, stopTimeout); err != nil {
		errs = append(errs, err)
	}
	s.removeSockDir()
	if s.ephemeral && isClosed(s.exited) {
		if err := os.RemoveAll(s.dataDir); err != nil {
			errs = append(errs, fmt.Errorf("pgembed: remove ephemeral data directory: %w", err))
		}
	}
	s.log.Info("postgres stopped", "dir", s.dataDir)
	return errors.Join(errs...)
}

// terminate sends sig and waits for the postmaster to exit, escalating to
// immediate shutdown (SIGQUIT) and then SIGKILL when it takes too long.
func (s *Server) terminate(sig syscall.Signal, timeout time.Duration) error {
	s.stopping.Store(true)
	steps := []struct {
		sig     syscall.Signal
		timeout time.Duration
	}{{sig, timeout}, {syscall.SIGQUIT, 10 * time.Second}, {syscall.SIGKILL, 10 * time.Second}}
	for i, step := range steps {
		if i > 0 && step.sig == steps[i-1].sig {
			continue
		}
		if i > 0 {
			s.log.Warn("postgres did not stop in time, escalating", "signal", step.sig.String())
		}
		// ErrProcessDone only means it exited between our checks.
		if err := s.proc.Signal(step.sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("pgembed: signal postgres: %w", err)
		}
		t := time.NewTimer(step.timeout)
		select {
		case <-s.exited:
			t.Stop()
			return nil
		case <-t.C:
		}
	}
	return fmt.Errorf("pgembed: postgres (PID %d) did not exit", s.proc.Pid)
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// pickSocketDir uses the data directory itself (private: 0700, owned by the
// server's user) unless the socket path would not fit in sun_path or the
// path cannot be written in unix_socket_directories without quoting.
func (s *Server) pickSocketDir(acct account) error {
	if len(s.dataDir)+1+len(socketName) <= maxSocketPath && plainPath(s.dataDir) {
		s.sockDir = s.dataDir
		return nil
	}
	d, err := os.MkdirTemp("", "pgsock-")
	if err != nil {
		return fmt.Errorf("pgembed: socket directory: %w", err)
	}
	if len(d)+1+len(socketName) > maxSocketPath || !plainPath(d) {
		os.Remove(d)
		return fmt.Errorf("pgembed: temporary directory %s is too long or unusual for a Unix socket path: set TMPDIR to a short path such as /tmp", d)
	}
	if err := acct.own(d); err != nil {
		os.Remove(d)
		return err
	}
	if err := acct.reachable(filepath.Dir(d)); err != nil {
		os.Remove(d)
		return err
	}
	s.sockDir, s.ownSockDir = d, true
	return nil
}

func (s *Server) removeSockDir() {
	if s.ownSockDir {
		os.RemoveAll(s.sockDir)
	}
}

// plainPath reports whether p can go into unix_socket_directories verbatim
// (the setting is a comma-separated list with its own quoting rules).
func plainPath(p string) bool {
	for _, r := range p {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+@", r)
		if !ok {
			return false
		}
	}
	return true
}

type inUseError struct {
	dir string
	pid int
}

func (e *inUseError) Error() string {
	return fmt.Sprintf("another instance is using %s (postgres PID %d): stop it first, "+
		"or delete %s if that process is not a PostgreSQL server",
		e.dir, e.pid, filepath.Join(e.dir, "postmaster.pid"))
}

func (e *inUseError) Is(target error) bool { return target == ErrInUse }
