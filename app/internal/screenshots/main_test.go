//go:build screenshots

package screenshots

import (
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"errors"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver"
	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/softtoken/softtoken/app/gui"
	"github.com/softtoken/softtoken/app/internal/xvfb"
)

// out is where the pictures go: the flag, else $SOFTTOKEN_SCREENSHOTS,
// else a temporary folder (the pictures are then only checked).
var out = flag.String("out", "", "write the pictures to this folder (default $SOFTTOKEN_SCREENSHOTS)")

// theApp is the real Fyne app (GLFW driver) every test draws in.
var theApp fyne.App

// paintWait is how long a change takes to reach the screen: Fyne draws at
// most 60 frames a second, and a new window needs a few.
const paintWait = 700 * time.Millisecond

// TestMain starts a private X display and the real Fyne app on it, runs
// the tests on another goroutine (GLFW must own the main one), and quits.
func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if *out == "" {
		*out = os.Getenv("SOFTTOKEN_SCREENSHOTS")
	}
	work, err := os.MkdirTemp("", "screenshots-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		return 1
	}
	defer os.RemoveAll(work)
	if *out == "" {
		*out = work
	}
	display, stopX, err := xvfb.Start(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		return 1
	}
	defer stopX()
	// The same look on every machine: the dark theme at scale 1, English
	// unless a test says otherwise, times in UTC, and preferences of this
	// run's own (never the user's).
	for k, v := range map[string]string{
		"DISPLAY": display, "FYNE_THEME": "dark", "FYNE_SCALE": "1", "LANGUAGE": "en_US",
		"XDG_CONFIG_HOME": filepath.Join(work, "config"), "XDG_RUNTIME_DIR": filepath.Join(work, "run"),
	} {
		if err := os.Setenv(k, v); err != nil {
			fmt.Fprintln(os.Stderr, "screenshots:", err)
			return 1
		}
	}
	if err := os.MkdirAll(filepath.Join(work, "run"), 0o700); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		return 1
	}
	time.Local = time.UTC
	theApp = fyneapp.NewWithID("io.github.softtoken.screenshots")
	code := 1
	theApp.Lifecycle().SetOnStarted(func() {
		go func() {
			code = m.Run()
			fyne.Do(theApp.Quit)
		}()
	})
	theApp.Run()
	return code
}

// shoot saves the window (the compact one when it is shown) as NAME.png in the pictures' folder once what
// the test changed is on the screen. It fails when the window is blank.
// Its name argument must be a string literal: TestDocsShowOnlyMadePictures
// reads the names from the source.
func shoot(t *testing.T, w *gui.Window, name string) {
	t.Helper()
	// No blinking text cursor: the same state makes the same picture.
	var win fyne.Window
	fyne.DoAndWait(func() { win = w.Front(); win.Canvas().Unfocus() })
	time.Sleep(paintWait)
	img, err := capture(win)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if plain(img) {
		t.Fatalf("%s: the window's picture is one plain colour (%v): nothing was drawn", name, img.At(0, 0))
	}
	path := filepath.Join(*out, name+".png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("save %s: %v", name, err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		t.Fatalf("encode %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("save %s: %v", path, err)
	}
}

// capture reads the window's pixels from the X server: what the screen
// shows. Fyne's own Canvas().Capture reads OpenGL's front buffer, which
// Mesa's software renderer under Xvfb leaves empty (all zero).
func capture(win fyne.Window) (*image.RGBA, error) {
	var handle uintptr
	fyne.DoAndWait(func() {
		win.(driver.NativeWindow).RunNative(func(ctx any) {
			if x, ok := ctx.(driver.X11WindowContext); ok {
				handle = x.WindowHandle
			}
		})
	})
	if handle == 0 {
		return nil, errors.New("the window is not an X11 window")
	}
	c, err := xgb.NewConn()
	if err != nil {
		return nil, fmt.Errorf("connect to the X display: %w", err)
	}
	defer c.Close()
	xw := xproto.Drawable(handle)
	geo, err := xproto.GetGeometry(c, xw).Reply()
	if err != nil {
		return nil, fmt.Errorf("the window's size: %w", err)
	}
	reply, err := xproto.GetImage(c, xproto.ImageFormatZPixmap, xw, 0, 0, geo.Width, geo.Height, 0xffffffff).Reply()
	if err != nil {
		return nil, fmt.Errorf("read the window: %w", err)
	}
	w, h := int(geo.Width), int(geo.Height)
	if reply.Depth != 24 && reply.Depth != 32 || len(reply.Data) < w*h*4 {
		return nil, fmt.Errorf("unexpected window image: depth %d, %d bytes for %dx%d", reply.Depth, len(reply.Data), w, h)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		// ZPixmap at depth 24/32 on little-endian servers: B, G, R, unused.
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = reply.Data[4*i+2], reply.Data[4*i+1], reply.Data[4*i], 0xff
	}
	return img, nil
}

// plain reports whether every pixel of img has the same colour.
func plain(img *image.RGBA) bool {
	b := img.Bounds()
	r0, g0, b0, a0 := img.At(b.Min.X, b.Min.Y).RGBA()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, a := img.At(x, y).RGBA(); r != r0 || g != g0 || bl != b0 || a != a0 {
				return false
			}
		}
	}
	return true
}
