//go:build !windows

package instance

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"

	"github.com/gofrs/flock"
)

// Path is the socket for a keyring service: in $XDG_RUNTIME_DIR when set,
// else in the user's cache folder.
func Path(service string) (string, error) {
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("find a folder for the instance socket: %w", err)
		}
		dir = filepath.Join(cache, "softtoken")
	}
	return filepath.Join(dir, "softtoken-"+safeName(service)+".sock"), nil
}

// Acquire makes this process the instance at path, calling onShow (from
// another goroutine) whenever a later launch asks it to show itself; release
// gives the place up. If another instance answers at path, Acquire asks it
// to show itself and returns ErrRunning.
func Acquire(path string, onShow func()) (release func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("instance socket folder: %w", err)
	}
	// Two launches at once: the lock makes them take turns.
	lock := flock.New(path + ".lock")
	if err := lock.Lock(); err != nil {
		return nil, fmt.Errorf("instance lock: %w", err)
	}
	defer lock.Unlock()
	if c, err := net.DialTimeout("unix", path, dialTimeout); err == nil && askToShow(c) {
		return nil, ErrRunning
	}
	_ = os.Remove(path) // a socket left by an instance that crashed
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("instance socket: %w", err)
	}
	_ = os.Chmod(path, 0o600)
	go serve(func() (io.ReadWriteCloser, error) { return ln.Accept() }, onShow)
	return func() {
		ln.Close()
		_ = os.Remove(path)
	}, nil
}
