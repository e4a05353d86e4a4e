//go:build !linux

package ldaptest

import "os/exec"

// reapWithParent does nothing here: slapd is stopped by the test's
// cleanup only.
func reapWithParent(*exec.Cmd) {}
