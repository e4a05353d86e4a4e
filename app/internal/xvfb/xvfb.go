// Package xvfb starts a private X display (Xvfb) for programs that draw
// real windows: make measure-idle and make screenshots.
package xvfb

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Screen is the virtual screen's size and depth, a common laptop's.
const Screen = "1366x768x24"

// startTimeout bounds Xvfb's start.
const startTimeout = 10 * time.Second

// Start starts Xvfb on a display number it picks itself (the first free
// one, by the X server's own locking, which also takes over the lock of
// a display whose server died) and returns the display's name (":90")
// once it accepts connections, and a function that stops it. The server
// ends with ctx too.
func Start(ctx context.Context) (display string, stop func(), err error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", nil, fmt.Errorf("start Xvfb: %w", err)
	}
	defer r.Close()
	// -displayfd 3: the write end of the pipe, ExtraFiles[0].
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, "Xvfb", "-displayfd", "3", "-screen", "0", Screen, "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	// SIGTERM, not SIGKILL: a killed X server leaves its /tmp/.X*-lock.
	// It is killed only if it has not ended 5 s later.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		w.Close()
		return "", nil, fmt.Errorf("start Xvfb: %w", err)
	}
	w.Close()
	stop = func() { cancel(); _ = cmd.Wait() }
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			stop()
			return "", nil, fmt.Errorf("start Xvfb: it ended without opening a display")
		}
		return ":" + n, stop, nil
	case <-time.After(startTimeout):
		stop()
		return "", nil, fmt.Errorf("start Xvfb: no display within %s", startTimeout)
	}
}
