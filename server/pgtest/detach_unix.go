//go:build unix

package pgtest

import "syscall"

// detached puts the watchdog in a session of its own, so that no signal
// to the test binary's process group reaches it.
func detached() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setsid: true} }
