package storetest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	dirPrefix = "acdbtest-"
	// staleAfter leaves alone directories of binaries that are still
	// initialising (no postmaster.pid yet).
	staleAfter = 10 * time.Minute
)

// sweepStale removes cluster directories left by test binaries that died
// before their cleanup (a -timeout panic, Ctrl-C). Their server died with
// them — pgembed ties it to its parent — but the files stay, ~40 MB each.
func sweepStale(tmp string, now time.Time) {
	dirs, _ := filepath.Glob(filepath.Join(tmp, dirPrefix+"*"))
	for _, d := range dirs {
		fi, err := os.Lstat(d)
		if err != nil || !fi.IsDir() || now.Sub(fi.ModTime()) < staleAfter || !ownedByUs(fi) {
			continue
		}
		if postmasterAlive(filepath.Join(d, "pg")) {
			continue
		}
		os.RemoveAll(d)
	}
}

func ownedByUs(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}

func postmasterAlive(dataDir string) bool {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid == 0 {
		return false
	}
	pid = max(pid, -pid)
	// An orphan reparented to a PID 1 that never reaps stays a zombie.
	if stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat")); err == nil {
		if _, rest, ok := strings.Cut(string(stat), ") "); ok && strings.HasPrefix(rest, "Z") {
			return false
		}
	}
	err = syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
