//go:build !unix

package pgtest

import "syscall"

// detached is nil where there are no sessions (PostgreSQL's tests run on
// Linux; this keeps the package compiling elsewhere).
func detached() *syscall.SysProcAttr { return nil }
