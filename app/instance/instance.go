// Package instance keeps one softtoken window per user and keyring
// service: the first launch listens on a Unix socket (owner-only, in the
// user's runtime folder); a second launch asks it to come to the front and
// exits. Unix sockets work on Linux, macOS and Windows 10 and later.
package instance

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/gofrs/flock"
)

// ErrRunning is returned by Acquire when another instance runs; it has been
// asked to show its window.
var ErrRunning = errors.New("softtoken is already running: its window was brought to the front")

const (
	showRequest = "show"
	ack         = "ok"
	dialTimeout = 2 * time.Second
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
	safe := regexp.MustCompile(`[^A-Za-z0-9._-]`).ReplaceAllString(service, "_")
	return filepath.Join(dir, "softtoken-"+safe+".sock"), nil
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
	if askToShow(path) {
		return nil, ErrRunning
	}
	_ = os.Remove(path) // a socket left by an instance that crashed
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("instance socket: %w", err)
	}
	_ = os.Chmod(path, 0o600)
	go serve(ln, onShow)
	return func() {
		ln.Close()
		_ = os.Remove(path)
	}, nil
}

func askToShow(path string) bool {
	c, err := net.DialTimeout("unix", path, dialTimeout)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(dialTimeout))
	if _, err := fmt.Fprintln(c, showRequest); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && line == ack+"\n"
}

func serve(ln net.Listener, onShow func()) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(dialTimeout))
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || line != showRequest+"\n" {
				return
			}
			onShow()
			fmt.Fprintln(c, ack)
		}()
	}
}
