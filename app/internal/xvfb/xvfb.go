// Package xvfb starts a private X display (Xvfb) for programs that draw
// real windows: make measure-idle and make screenshots.
package xvfb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// Screen is the virtual screen's size and depth, a common laptop's.
const Screen = "1366x768x24"

// Start starts Xvfb on the first free display number from :90 and returns
// the display's name (":90") and a function that stops it. The display
// ends with ctx too.
func Start(ctx context.Context) (display string, stop func(), err error) {
	for n := 90; n < 110; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		display := fmt.Sprintf(":%d", n)
		cmd := exec.CommandContext(ctx, "Xvfb", display, "-screen", "0", Screen, "-nolisten", "tcp")
		if err := cmd.Start(); err != nil {
			return "", nil, fmt.Errorf("start Xvfb: %w", err)
		}
		stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
		for i := 0; i < 50; i++ {
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
				return display, stop, nil
			}
			time.Sleep(100 * time.Millisecond)
		}
		stop() // another Xvfb took the number first, or this one failed
	}
	return "", nil, errors.New("no free X display from :90 to :109")
}
