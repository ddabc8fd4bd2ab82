package pgembed

import "syscall"

// sysProcAttr puts the server in its own process group, so a Ctrl-C in the
// terminal reaches only our process (which then stops the server cleanly),
// and asks the kernel to send SIGINT (fast shutdown) if we die without
// calling Stop — a killed `go run .` or a timed-out test binary must not
// leave a postmaster behind. Go sets the parent-death signal after switching
// credentials, so it survives the switch to the postgres user.
func sysProcAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGINT, Credential: cred}
}
