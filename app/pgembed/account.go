package pgembed

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
)

// account is the OS identity the PostgreSQL binaries run as: the postgres
// system user when we are root (PostgreSQL refuses to run as root), the
// current user otherwise.
type account struct {
	cred   *syscall.Credential // nil: no switch, run as the current user
	uid    int
	gid    int
	groups []int
}

func lookupAccount() (account, error) {
	if os.Geteuid() != 0 {
		return account{uid: os.Geteuid(), gid: os.Getegid()}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return account{}, fmt.Errorf("pgembed: running as root, so PostgreSQL must run as the postgres system user, "+
			"which does not exist (%v): install the postgresql package, which creates it, or run as a normal user", err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err := errors.Join(err1, err2); err != nil {
		return account{}, fmt.Errorf("pgembed: postgres user ids: %w", err)
	}
	a := account{uid: uid, gid: gid}
	// Keep postgres's supplementary groups (e.g. ssl-cert): the process
	// should see the same permissions as under the distribution's service.
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if g, err := strconv.Atoi(s); err == nil {
				a.groups = append(a.groups, g)
			}
		}
	}
	groups := make([]uint32, len(a.groups))
	for i, g := range a.groups {
		groups[i] = uint32(g)
	}
	a.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}
	return a, nil
}

// own hands path to the account when we switch users; otherwise we already
// own everything we create.
func (a account) own(path string) error {
	if a.cred == nil {
		return nil
	}
	if err := os.Chown(path, a.uid, a.gid); err != nil {
		return fmt.Errorf("pgembed: give %s to the postgres user: %w", path, err)
	}
	return nil
}

// reachable checks that the account may traverse dir and all its ancestors.
// Only needed when switching users: a root-owned 0700 directory (os.MkdirTemp,
// t.TempDir) on the way would make initdb fail with a less helpful message.
func (a account) reachable(dir string) error {
	if a.cred == nil {
		return nil
	}
	for p := dir; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("pgembed: %w", err)
		}
		if !a.canSearch(fi) {
			return fmt.Errorf("pgembed: the postgres user cannot reach %s (mode %v, owner uid %d): "+
				"choose a data directory the postgres user can traverse, or allow it with chmod o+x %s",
				dir, fi.Mode().Perm(), ownerUID(fi), p)
		}
		if parent := filepath.Dir(p); parent == p {
			return nil
		}
	}
}

// canSearch applies the classic owner/group/other rules; ACLs are ignored
// (a directory reachable only through an ACL is reported as unreachable).
func (a account) canSearch(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := fi.Mode().Perm()
	switch {
	case int(st.Uid) == a.uid:
		return perm&0o100 != 0
	case int(st.Gid) == a.gid || slices.Contains(a.groups, int(st.Gid)):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

func ownerUID(fi fs.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}
