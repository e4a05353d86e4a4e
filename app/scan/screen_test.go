package scan_test

import (
	"errors"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/softtoken/softtoken/app/scan"
)

// xvfb starts a virtual X display of its own and points DISPLAY at it for
// the test. Under `make test` (SOFTTOKEN_REQUIRE_TOOLS=1) a missing Xvfb
// fails the test.
func xvfb(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("Xvfb")
	if err != nil {
		if os.Getenv("SOFTTOKEN_REQUIRE_TOOLS") == "1" {
			t.Fatalf("Xvfb is required: %v", err)
		}
		t.Skip("Xvfb not installed")
	}
	for n := 70 + os.Getpid()%20; n < 200; n++ {
		display := fmt.Sprintf(":%d", n)
		if _, err := os.Stat(filepath.Join("/tmp/.X11-unix", fmt.Sprintf("X%d", n))); err == nil {
			continue // in use
		}
		cmd := exec.Command(bin, display, "-screen", "0", "1280x800x24", "-nolisten", "tcp")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		for i := 0; i < 200; i++ {
			if c, err := xgb.NewConnDisplay(display); err == nil {
				c.Close()
				t.Setenv("DISPLAY", display)
				t.Setenv("XDG_SESSION_TYPE", "x11")
				return display
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("Xvfb %s did not start", display)
	}
	t.Fatal("no free X display number")
	return ""
}

// showImage opens a window at (x, y) on display that shows img, as another
// program showing a QR code would.
func showImage(t *testing.T, display string, img image.Image, x, y int16) {
	t.Helper()
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	screen := xproto.Setup(c).DefaultScreen(c)
	b := img.Bounds()
	w, h := uint16(b.Dx()), uint16(b.Dy())
	wid, _ := xproto.NewWindowId(c)
	xproto.CreateWindow(c, screen.RootDepth, wid, screen.Root, x, y, w, h, 0,
		xproto.WindowClassInputOutput, screen.RootVisual, xproto.CwBackPixel, []uint32{0xffffff})
	xproto.MapWindow(c, wid)
	gc, _ := xproto.NewGcontextId(c)
	xproto.CreateGC(c, gc, xproto.Drawable(wid), 0, nil)
	// ZPixmap at depth 24: 4 bytes a pixel (B, G, R, unused), sent in strips
	// that fit in one request.
	rows := max(1, 60000/(int(w)*4))
	for y0 := 0; y0 < int(h); y0 += rows {
		n := min(rows, int(h)-y0)
		data := make([]byte, 0, int(w)*n*4)
		for yy := y0; yy < y0+n; yy++ {
			for xx := 0; xx < int(w); xx++ {
				r, g, bl, _ := img.At(b.Min.X+xx, b.Min.Y+yy).RGBA()
				data = append(data, byte(bl>>8), byte(g>>8), byte(r>>8), 0)
			}
		}
		if err := xproto.PutImageChecked(c, xproto.ImageFormatZPixmap, xproto.Drawable(wid), gc, w, uint16(n), 0, int16(y0), 0, screen.RootDepth, data).Check(); err != nil {
			t.Fatal(err)
		}
	}
	c.Sync()
}

// A window shows a QR code somewhere on a virtual screen: a full-screen
// capture finds it.
func TestScreen(t *testing.T) {
	display := xvfb(t)
	if _, err := scan.Screen(); !errors.Is(err, scan.ErrNoCode) {
		t.Errorf("an empty screen: %v", err)
	}
	img, err := scan.Encode(uri, 260)
	if err != nil {
		t.Fatal(err)
	}
	showImage(t, display, img, 700, 380)
	var text string
	for i := 0; i < 50; i++ { // the X server draws asynchronously
		if text, err = scan.Screen(); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil || text != uri {
		t.Fatalf("screen: %q, %v", text, err)
	}
}

func TestNoScreen(t *testing.T) {
	t.Setenv("DISPLAY", ":199")
	t.Setenv("XDG_SESSION_TYPE", "x11")
	if _, err := scan.Screen(); !errors.Is(err, scan.ErrNoScreen) {
		t.Errorf("no display: %v", err)
	}
}
