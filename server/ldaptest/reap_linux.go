package ldaptest

import (
	"os/exec"
	"syscall"
)

// reapWithParent makes the kernel kill slapd when the test binary ends,
// however it ends (a panic, a timeout's kill), so no server is left
// running.
func reapWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
