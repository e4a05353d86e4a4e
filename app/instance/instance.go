// Package instance keeps one softtoken window per user and keyring
// service: the first launch listens at a place of its own; a second launch
// asks it to come to the front and exits.
//
// The place is what each system's programs use: on Linux and macOS a Unix
// socket (owner-only, in the user's runtime folder); on Windows a named
// pipe whose name holds the user's SID and whose access list admits that
// user only (Wine, for one, has no Unix sockets).
package instance

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"
)

// ErrRunning is returned by Acquire when another instance runs; it has been
// asked to show its window.
var ErrRunning = errors.New("softtoken is already running: its window was brought to the front")

const (
	showRequest = "show"
	ack         = "ok"
	dialTimeout = 2 * time.Second
)

// safeName is service made fit for a file or pipe name.
func safeName(service string) string {
	return regexp.MustCompile(`[^A-Za-z0-9._-]`).ReplaceAllString(service, "_")
}

// askToShow asks the instance at the other end of c to show itself, and
// says whether it agreed within dialTimeout. It closes c.
func askToShow(c io.ReadWriteCloser) bool {
	defer c.Close()
	done := make(chan bool, 1)
	go func() {
		if _, err := fmt.Fprintln(c, showRequest); err != nil {
			done <- false
			return
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		done <- err == nil && line == ack+"\n"
	}()
	select {
	case ok := <-done:
		return ok
	case <-time.After(dialTimeout):
		return false
	}
}

// serve answers later launches, each connection from accept, until
// accept fails (the listener was closed).
func serve(accept func() (io.ReadWriteCloser, error), onShow func()) {
	for {
		c, err := accept()
		if err != nil {
			return
		}
		go answer(c, onShow)
	}
}

// answer serves one later launch: on its request, onShow, then the
// acknowledgement, kept until the launch has read it and hung up. A
// launch that says nothing is dropped after dialTimeout.
func answer(c io.ReadWriteCloser, onShow func()) {
	defer c.Close()
	timer := time.AfterFunc(dialTimeout, func() { c.Close() })
	defer timer.Stop()
	// A launch says one short line: read no more than that.
	r := bufio.NewReader(io.LimitReader(c, 64))
	line, err := r.ReadString('\n')
	if err != nil || line != showRequest+"\n" {
		return
	}
	onShow()
	if _, err := fmt.Fprintln(c, ack); err == nil {
		_, _ = io.Copy(io.Discard, r)
	}
}
