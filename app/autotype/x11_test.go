//go:build linux

package autotype_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/softtoken/softtoken/app/autotype"
	"github.com/softtoken/softtoken/app/internal/xvfb"
)

// display is a private Xvfb display with an xterm that has the focus and
// writes what it is typed, a line per Enter, to its file.
type display struct {
	name, typed string
}

// tools are what the X11 tests run; make test installs them.
var tools = []string{"Xvfb", "xterm", "xdotool", "setxkbmap", "xmodmap"}

// newDisplay starts Xvfb on a free display number with the keyboard
// layout given (us, fr, …) and an xterm focused on it.
func newDisplay(t *testing.T, layout string) display {
	t.Helper()
	if testing.Short() {
		t.Skip("the X11 typing tests start Xvfb (not under -short)")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("SOFTTOKEN_REQUIRE_TOOLS") == "1" {
				t.Fatalf("%s is missing: make test installs it", tool)
			}
			t.Skipf("%s is missing (make test installs it)", tool)
		}
	}
	name := startXvfb(t)
	run(t, "setxkbmap", "-display", name, layout)
	d := display{name: name, typed: filepath.Join(t.TempDir(), "typed")}
	xterm := exec.Command("xterm", "-display", name, "-e", "sh", "-c", "cat > "+d.typed)
	if err := xterm.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { xterm.Process.Kill(); xterm.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := exec.Command("xdotool", "search", "--sync", "--onlyvisible", "--pid", fmt.Sprint(xterm.Process.Pid)).Output()
		win := strings.Fields(string(out))
		if err == nil && len(win) > 0 {
			if out, err = exec.Command("xdotool", "windowfocus", "--sync", win[len(win)-1]).CombinedOutput(); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the xterm did not take the focus: %v %s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return d
}

// startXvfb starts Xvfb on a display the X server picks free itself
// (app/internal/xvfb), stopped with SIGTERM when the test ends so that it
// leaves no lock or socket behind, and points DISPLAY at it.
func startXvfb(t *testing.T) string {
	t.Helper()
	name, stop, err := xvfb.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	t.Setenv("DISPLAY", name)
	return name
}

// run runs a command and fails the test on an error.
func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// lines waits for the xterm to have written n lines and returns them.
func (d display) lines(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(d.typed)
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if strings.Count(string(b), "\n") >= n {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("the xterm got %q, want %d lines", b, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Digits typed through XTEST reach the focused window as digits on a US
// and a French (AZERTY: digits need Shift) layout alike, and on a layout
// where a digit has no key at all (typed through a spare keycode).
func TestTypeOnLayouts(t *testing.T) {
	for _, c := range []struct {
		layout string
		remap  string // an xmodmap expression that takes a digit off the keyboard
	}{{"us", ""}, {"fr", ""}, {"us", "keycode 14 = "}} {
		t.Run(c.layout+c.remap, func(t *testing.T) {
			d := newDisplay(t, c.layout)
			if c.remap != "" {
				run(t, "xmodmap", "-display", d.name, "-e", c.remap)
			}
			x, err := autotype.OpenX11(d.name)
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			for _, code := range []string{"123456", "7890", "05050505"} {
				if err := x.Type(context.Background(), code+"\n", autotype.DefaultDelay); err != nil {
					t.Fatal(err)
				}
			}
			if got := strings.Join(d.lines(t, 3), ","); got != "123456,7890,05050505" {
				t.Errorf("typed %q", got)
			}
		})
	}
}

// Ctrl+Alt+2 fires the second hotkey while another window has the focus,
// on a French layout too, where "2" is a shifted key; the keys of the
// hotkey held while typing begins never reach the window.
func TestHotkeyFires(t *testing.T) {
	for _, layout := range []string{"us", "fr"} {
		t.Run(layout, func(t *testing.T) {
			d := newDisplay(t, layout)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var fired atomic.Int32
			done := make(chan error, 1)
			go func() {
				done <- autotype.ListenX11(ctx, d.name, autotype.DefaultHotkeys(), func(i int) {
					fired.Store(int32(i + 1))
					x, err := autotype.OpenX11(d.name)
					if err == nil {
						defer x.Close()
						err = x.Type(ctx, fmt.Sprintf("%d%d%d\n", i+1, i+1, i+1), autotype.DefaultDelay)
					}
					if err != nil {
						t.Error(err)
					}
				})
			}()
			time.Sleep(300 * time.Millisecond) // the grab
			run(t, "xdotool", "key", "--delay", "50", "ctrl+alt+2")
			if got := d.lines(t, 1)[0]; got != "222" {
				t.Errorf("after Ctrl+Alt+2 the window got %q, want 222", got)
			}
			if fired.Load() != 2 {
				t.Errorf("hotkey %d fired, want 2", fired.Load())
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("ListenX11: %v", err)
			}
		})
	}
}
