//go:build unix && !linux

package pgembed

import "syscall"

// sysProcAttr puts the server in its own process group, so a Ctrl-C in the
// terminal reaches only our process, which then stops the server cleanly.
// Without Linux's parent-death signal, a server whose parent was killed
// outlives it; the next Start reports it as another instance.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Credential: cred}
}
