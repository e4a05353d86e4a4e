package scan_test

import (
	"bufio"
	"errors"
	"image"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/softtoken/softtoken/token/qr"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/softtoken/softtoken/app/scan"
)

// requireTool finds a program the test needs: under `make test`
// (SOFTTOKEN_REQUIRE_TOOLS=1) a missing one fails the test, elsewhere it is
// skipped.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("SOFTTOKEN_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s is required: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return bin
}

// xvfb starts a virtual X display of its own and points DISPLAY at it for
// the test. Under `make test` (SOFTTOKEN_REQUIRE_TOOLS=1) a missing Xvfb
// fails the test.
func xvfb(t *testing.T) string {
	t.Helper()
	bin := requireTool(t, "Xvfb")
	// -displayfd: Xvfb picks a free display number and writes it to fd 3
	// once it accepts connections.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM) // lets Xvfb remove its lock file
		cmd.Wait()
	})
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("Xvfb did not start: %v", err)
	}
	display := ":" + strings.TrimSpace(line)
	t.Setenv("DISPLAY", display)
	t.Setenv("XDG_SESSION_TYPE", "x11")
	return display
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
	img, err := qr.Encode(uri, 260)
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
