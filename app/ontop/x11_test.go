//go:build linux || freebsd || openbsd || netbsd

package ontop

import (
	"context"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/softtoken/softtoken/app/internal/xvfb"
)

// desktop is a private X display, with openbox managing its windows
// when wm is set.
func desktop(t *testing.T, wm bool) string {
	t.Helper()
	display, stop, err := xvfb.Start(context.Background())
	if err != nil {
		t.Fatal(err) // make test installs Xvfb
	}
	t.Cleanup(stop)
	if wm {
		cmd := exec.Command("openbox", "--sm-disable")
		cmd.Env = append(cmd.Environ(), "DISPLAY="+display)
		if err := cmd.Start(); err != nil {
			t.Fatalf("start openbox (make test installs it): %v", err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	}
	return display
}

// conn connects to display.
func conn(t *testing.T, display string) *xgb.Conn {
	t.Helper()
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// window creates a top-level window on c, mapped when mapped is set.
func window(t *testing.T, c *xgb.Conn, mapped bool) xproto.Window {
	t.Helper()
	screen := xproto.Setup(c).DefaultScreen(c)
	id, err := xproto.NewWindowId(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := xproto.CreateWindowChecked(c, screen.RootDepth, id, screen.Root, 10, 10, 200, 100, 0,
		xproto.WindowClassInputOutput, screen.RootVisual, 0, nil).Check(); err != nil {
		t.Fatal(err)
	}
	if mapped {
		mapWindow(t, c, id)
	}
	return id
}

func mapWindow(t *testing.T, c *xgb.Conn, id xproto.Window) {
	t.Helper()
	if err := xproto.MapWindowChecked(c, id).Check(); err != nil {
		t.Fatal(err)
	}
}

// states is the window's _NET_WM_STATE, as atom names.
func states(t *testing.T, display string, win xproto.Window) []string {
	t.Helper()
	names, err := xvfb.NetWMState(display, uint32(win))
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// topLevel is the child of the root holding win: the window manager's
// frame around it, or win itself.
func topLevel(t *testing.T, c *xgb.Conn, win xproto.Window) xproto.Window {
	t.Helper()
	for {
		r, err := xproto.QueryTree(c, win).Reply()
		if err != nil {
			t.Fatal(err)
		}
		if r.Parent == r.Root {
			return win
		}
		win = r.Parent
	}
}

// above reports whether a's top-level window is stacked above b's.
func above(t *testing.T, c *xgb.Conn, a, b xproto.Window) bool {
	t.Helper()
	r, err := xproto.QueryTree(c, xproto.Setup(c).DefaultScreen(c).Root).Reply()
	if err != nil {
		t.Fatal(err)
	}
	// QueryTree lists the children from the bottom of the stack up.
	return slices.Index(r.Children, topLevel(t, c, a)) > slices.Index(r.Children, topLevel(t, c, b))
}

// eventually waits up to 5 s for ok.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("after 5 s: %s", what)
		}
	}
}

// TestKeepStaysAbove: with a window manager, a window kept on top before
// or after it is mapped stays above a window opened, and raised, later.
func TestKeepStaysAbove(t *testing.T) {
	display := desktop(t, true)
	c := conn(t, display)
	for _, tc := range []struct {
		name        string
		mappedFirst bool
	}{{"kept once shown", true}, {"kept before it is shown", false}} {
		t.Run(tc.name, func(t *testing.T) {
			plain := window(t, c, true)
			compact := window(t, c, tc.mappedFirst)
			if tc.mappedFirst {
				eventually(t, "openbox frames the window", func() bool { return topLevel(t, c, compact) != compact })
			}
			if err := keepX11(display, compact); err != nil {
				t.Fatal(err)
			}
			if !tc.mappedFirst {
				mapWindow(t, c, compact)
			}
			eventually(t, "the window's state says above", func() bool {
				return slices.Contains(states(t, display, compact), "_NET_WM_STATE_ABOVE")
			})
			other := window(t, c, true)
			eventually(t, "openbox frames the other window", func() bool { return topLevel(t, c, other) != other })
			if err := xproto.ConfigureWindowChecked(c, topLevel(t, c, other), xproto.ConfigWindowStackMode,
				[]uint32{xproto.StackModeAbove}).Check(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond) // let openbox restack, if it would
			if !above(t, c, compact, other) {
				t.Error("a window opened and raised later is above the kept window")
			}
			if above(t, c, plain, other) {
				t.Fatal("the check cannot fail: a window not kept on top stays above one raised later")
			}
		})
	}
}

// TestKeepWithoutWindowManager: with no window manager to ask, the state
// is still set, for one started later, and Keep does not fail.
func TestKeepWithoutWindowManager(t *testing.T) {
	display := desktop(t, false)
	c := conn(t, display)
	win := window(t, c, true)
	if err := keepX11(display, win); err != nil {
		t.Fatal(err)
	}
	if got := states(t, display, win); !slices.Contains(got, "_NET_WM_STATE_ABOVE") {
		t.Errorf("state %v, want _NET_WM_STATE_ABOVE", got)
	}
}

// TestKeepUnsupported: a window that is not native (Fyne's test driver,
// a window not shown yet) is ErrUnsupported.
func TestKeepUnsupported(t *testing.T) {
	if err := keep(struct{}{}); err != ErrUnsupported {
		t.Errorf("keep(other context) = %v, want ErrUnsupported", err)
	}
}
