//go:build !linux

package stress

import (
	"errors"
	"time"
)

// errLinuxOnly: the stress run watches the server through Linux's /proc.
var errLinuxOnly = errors.New("make stress runs on Linux only: it reads the server's use from /proc")

func selfCPU() (time.Duration, error) { return 0, errLinuxOnly }

// RaiseFileLimit is Linux's only.
func RaiseFileLimit() error { return errLinuxOnly }
