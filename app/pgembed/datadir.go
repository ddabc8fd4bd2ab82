package pgembed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// prepareDataDir makes dir exist, private (0700) and owned by the account,
// checking first that the account can reach it. It reports whether it created
// dir.
func prepareDataDir(dir string, acct account) (bool, error) {
	// Walk up to the first existing ancestor, remembering what to create.
	var missing []string
	p := dir
	for {
		fi, err := os.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				return false, fmt.Errorf("pgembed: %s is not a directory", p)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("pgembed: data directory: %w", err)
		}
		missing = append(missing, p)
		parent := filepath.Dir(p)
		if parent == p {
			break
		}
		p = parent
	}
	if len(missing) == 0 {
		return false, adoptExisting(dir, acct)
	}
	if err := acct.reachable(p); err != nil {
		return false, err
	}
	for i := len(missing) - 1; i >= 0; i-- {
		d := missing[i]
		mode := os.FileMode(0o755) // intermediate dirs must stay traversable by postgres
		if d == dir {
			mode = 0o700 // postgres refuses a data directory others can read
		}
		if err := os.Mkdir(d, mode); err != nil && !errors.Is(err, fs.ErrExist) {
			return false, fmt.Errorf("pgembed: create data directory: %w", err)
		}
		// The umask may have narrowed the mode.
		if err := os.Chmod(d, mode); err != nil {
			return false, fmt.Errorf("pgembed: create data directory: %w", err)
		}
	}
	return true, acct.own(dir)
}

// adoptExisting accepts an existing directory: an empty one (e.g. from
// os.MkdirTemp) is handed to the account; a non-empty one must already belong
// to it, since chowning someone's tree recursively is not ours to decide.
func adoptExisting(dir string, acct account) error {
	if err := acct.reachable(filepath.Dir(dir)); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("pgembed: data directory: %w", err)
	}
	if len(entries) == 0 {
		if err := acct.own(dir); err != nil {
			return err
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("pgembed: data directory: %w", err)
		}
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("pgembed: data directory: %w", err)
	}
	if uid := ownerUID(fi); uid != acct.uid {
		return fmt.Errorf("pgembed: %s belongs to uid %d, but PostgreSQL runs as uid %d: "+
			"give it to that user (chown -R) or choose another data directory", dir, uid, acct.uid)
	}
	return nil
}

// readClusterVersion returns the major version recorded by initdb, or "" when
// dir holds no cluster yet.
func readClusterVersion(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "PG_VERSION"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// initdb creates the cluster: trust authentication is safe because the only
// listener is a socket in a directory private to the server's user.
func initdb(ctx context.Context, bin, dir string, acct account, ephemeral bool) error {
	run := func(locale string) error {
		args := []string{"-D", dir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=" + locale}
		if ephemeral {
			args = append(args, "--no-sync")
		}
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), args...)
		cmd.Dir = dir
		cmd.Env = serverEnv()
		cmd.SysProcAttr = sysProcAttr(acct.cred)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("pgembed: initdb --locale=%s: %w\n%s", locale, err, strings.TrimSpace(out.String()))
		}
		return nil
	}
	// C.UTF-8 sorts like C but classifies non-ASCII letters (accents in
	// names), so upper()/lower()/ILIKE behave for French text.
	err := run("C.UTF-8")
	if err == nil {
		return nil
	}
	// Some systems (older macOS) lack C.UTF-8; initdb may have left files.
	if cerr := emptyDir(dir); cerr != nil {
		return errors.Join(err, cerr)
	}
	if err2 := run("C"); err2 != nil {
		emptyDir(dir)
		return errors.Join(err, err2)
	}
	return nil
}

func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("pgembed: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("pgembed: %w", err)
		}
	}
	return nil
}

type pidFile struct {
	pid    int
	status string // "starting", "ready", "stopping" (line 8, PostgreSQL ≥ 10)
}

// readPIDFile parses postmaster.pid; ok is false when it is absent or not yet
// fully written.
func readPIDFile(dir string) (pidFile, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return pidFile{}, false
	}
	lines := strings.Split(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil {
		return pidFile{}, false
	}
	pf := pidFile{pid: max(pid, -pid)} // a standalone backend writes -pid
	if len(lines) >= 8 {
		pf.status = strings.TrimSpace(lines[7])
	}
	return pf, true
}

// runningPostmaster reports whether postmaster.pid names a live process of
// the account. It mirrors the postmaster's own lock check (a process of
// another user cannot be a postmaster of this directory), so a stale file
// from a crash, even with a recycled PID, does not block the start.
func runningPostmaster(dir string, acct account) (int, bool) {
	pf, ok := readPIDFile(dir)
	if !ok || pf.pid == os.Getpid() {
		return 0, false
	}
	if fi, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pf.pid))); err == nil {
		return pf.pid, ownerUID(fi) == acct.uid
	} else if _, err := os.Stat("/proc/self"); err == nil {
		return 0, false // procfs present, the process is gone
	}
	err := syscall.Kill(pf.pid, 0)
	return pf.pid, err == nil
}
