//go:build !linux

package ws

import (
	"errors"
	"syscall"
)

// canPeek: elsewhere gorilla waits for a socket's messages itself.
const canPeek = false

func peekControl(syscall.RawConn) ([]byte, error) {
	return nil, errors.New("no peek on this platform")
}
