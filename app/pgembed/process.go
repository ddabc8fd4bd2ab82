package pgembed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// spawn runs the postmaster as our own child rather than through pg_ctl, so
// that it can be tied to this process's lifetime (see sysProcAttr) and its
// exit observed directly.
func (s *Server) spawn(ctx context.Context, bin string, acct account) error {
	s.logPath = filepath.Join(s.dataDir, logName)
	logFile, offset, err := openLog(s.logPath, acct)
	if err != nil {
		return err
	}
	s.logFile = logFile
	args := []string{"-D", s.dataDir,
		"-c", "listen_addresses=",
		"-c", "unix_socket_directories=" + s.sockDir,
		"-c", "port=" + strconv.Itoa(port),
		"-c", "logging_collector=off", // the log must land in logFile for error reports
	}
	if s.ephemeral {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
			// Parallel tests each hold a few connections; the default 100 is
			// reachable on many-core machines.
			"-c", "max_connections=300")
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Dir = s.dataDir
	cmd.Env = serverEnv()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = sysProcAttr(acct.cred)

	started := make(chan error, 1)
	go func() {
		// Linux delivers the parent-death signal when the forking *thread*
		// exits; pinning this goroutine to its thread for the server's whole
		// life keeps that thread alive exactly as long as needed.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		s.waitErr = cmd.Wait()
		logFile.Close()
		close(s.exited)
		if !s.stopping.Load() {
			s.log.Error("postgres exited unexpectedly", "err", s.waitErr, "log", s.logPath)
		}
	}()
	if err := <-started; err != nil {
		logFile.Close()
		return fmt.Errorf("pgembed: run postgres: %w", err)
	}
	s.proc = cmd.Process

	if err := s.waitReady(ctx, offset); err != nil {
		// Nothing to preserve from a server that never became ready.
		if terr := s.terminate(syscall.SIGQUIT, 10*time.Second); terr != nil {
			return errors.Join(err, terr)
		}
		return err
	}
	return nil
}

// waitReady polls postmaster.pid, the same signal `pg_ctl start -w` uses:
// the postmaster writes "ready" there once it accepts connections.
func (s *Server) waitReady(ctx context.Context, logOffset int64) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if pf, ok := readPIDFile(s.dataDir); ok && pf.pid == s.proc.Pid && pf.status == "ready" {
			return nil
		}
		select {
		case <-s.exited:
			tail := logTail(s.logPath, logOffset)
			if strings.Contains(tail, `lock file "postmaster.pid" already exists`) {
				pf, _ := readPIDFile(s.dataDir)
				return &inUseError{dir: s.dataDir, pid: pf.pid}
			}
			return fmt.Errorf("pgembed: postgres exited during startup (%v); end of %s:\n%s", s.waitErr, s.logPath, tail)
		case <-ctx.Done():
			return fmt.Errorf("pgembed: postgres not ready: %w; end of %s:\n%s", ctx.Err(), s.logPath, logTail(s.logPath, logOffset))
		case <-tick.C:
		}
	}
}

// openLog opens the server log for appending and returns its current size,
// so that an error report shows only this start's lines.
func openLog(path string, acct account) (*os.File, int64, error) {
	const maxLog = 16 << 20
	if fi, err := os.Stat(path); err == nil && fi.Size() > maxLog {
		os.Truncate(path, 0)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, 0, fmt.Errorf("pgembed: server log: %w", err)
	}
	if err := acct.own(path); err != nil {
		f.Close()
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("pgembed: server log: %w", err)
	}
	return f, fi.Size(), nil
}

// logTail returns the last lines written to the log after offset.
func logTail(path string, offset int64) string {
	const maxTail = 4 << 10
	f, err := os.Open(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size()-offset > maxTail {
		offset = fi.Size() - maxTail
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return "(no log: " + err.Error() + ")"
	}
	b, _ := io.ReadAll(f)
	return strings.TrimSpace(string(b))
}

// serverEnv drops the PG* variables that libpq-aware tools honour (PGDATA,
// PGPORT, PGHOST…), so the user's shell settings cannot redirect our server.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}
