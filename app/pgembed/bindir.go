package pgembed

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// findBinDir picks the directory of the server binaries. When the data
// directory already holds a cluster (clusterMajor set), binaries of that major
// version win: PostgreSQL cannot open a cluster of another major version, and
// machines often keep the old version installed after an upgrade.
func findBinDir(ctx context.Context, clusterMajor string) (dir, major string, err error) {
	return pickBinDir(ctx, binCandidates(ctx), clusterMajor)
}

// binCandidates lists plausible directories, most preferred first.
func binCandidates(ctx context.Context) []string {
	var dirs []string
	if p, err := exec.LookPath("pg_config"); err == nil {
		// Debian's pg_config comes from libpq-dev and may name the bin dir of
		// a version whose server is not installed; pickBinDir checks.
		if out, err := exec.CommandContext(ctx, p, "--bindir").Output(); err == nil {
			dirs = append(dirs, strings.TrimSpace(string(out)))
		}
	}
	versioned, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(versioned, func(a, b string) int { return versionOf(b) - versionOf(a) })
	dirs = append(dirs, versioned...)
	dirs = append(dirs, "/usr/local/pgsql/bin")
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	return dirs
}

// versionOf extracts <ver> from /usr/lib/postgresql/<ver>/bin.
func versionOf(binDir string) int {
	v, err := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	if err != nil {
		return -1
	}
	return v
}

func pickBinDir(ctx context.Context, candidates []string, clusterMajor string) (string, string, error) {
	var usable []string
	for _, d := range candidates {
		if d != "" && !slices.Contains(usable, d) && isExecutable(filepath.Join(d, "initdb")) &&
			isExecutable(filepath.Join(d, "postgres")) {
			usable = append(usable, d)
		}
	}
	if len(usable) == 0 {
		return "", "", ErrNoBinaries
	}
	var found []string
	for _, d := range usable {
		major, err := serverMajor(ctx, d)
		if err != nil {
			continue
		}
		if clusterMajor == "" || major == clusterMajor {
			return d, major, nil
		}
		found = append(found, major)
	}
	if clusterMajor == "" {
		return "", "", fmt.Errorf("pgembed: no working postgres binary in %s", strings.Join(usable, ", "))
	}
	return "", "", fmt.Errorf("pgembed: the data directory holds a PostgreSQL %s cluster but only PostgreSQL %s server binaries are installed: "+
		"install PostgreSQL %s, or move the data directory away to start afresh",
		clusterMajor, strings.Join(found, ", "), clusterMajor)
}

func serverMajor(ctx context.Context, binDir string) (string, error) {
	// --version is answered before the root check, so no user switch here.
	out, err := exec.CommandContext(ctx, filepath.Join(binDir, "postgres"), "--version").Output()
	if err != nil {
		return "", fmt.Errorf("pgembed: %s/postgres --version: %w", binDir, err)
	}
	// "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" → "15"
	_, rest, _ := strings.Cut(string(out), "(PostgreSQL) ")
	major := rest[:len(rest)-len(strings.TrimLeft(rest, "0123456789"))]
	if major == "" {
		return "", fmt.Errorf("pgembed: unexpected postgres --version output %q", out)
	}
	return major, nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
