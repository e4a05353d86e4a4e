package scan

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log"
	"os"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/kbinani/screenshot"
	"github.com/softtoken/softtoken/token/qr"
)

func init() {
	// xgb complains about a missing .Xauthority on every connection.
	xgb.Logger = log.New(io.Discard, "", 0)
}

// ErrNoScreen means the screen cannot be captured at all.
var ErrNoScreen = errors.New("cannot capture the screen: no display found (is this a desktop session?)")

// Screen captures the whole screen, every monitor, and decodes the first
// QR code found. In a Wayland session it asks the desktop's screenshot
// portal over D-Bus (the desktop may ask the user first); on X11 it reads
// the root window, which spans all monitors and needs no permission; where
// neither works (Windows, macOS, or Wayland without a portal) it uses the
// system's screen capture.
func Screen() (string, error) {
	img, err := capture()
	if err != nil {
		return "", err
	}
	for _, i := range img {
		if text, err := qr.Decode(i); err == nil {
			return text, nil
		}
	}
	return "", qr.ErrNoCode
}

func capture() ([]image.Image, error) {
	wayland := os.Getenv("XDG_SESSION_TYPE") == "wayland" || os.Getenv("WAYLAND_DISPLAY") != ""
	if wayland || os.Getenv("DISPLAY") == "" {
		img, err := capturePortal(context.Background())
		if err == nil {
			return []image.Image{img}, nil
		}
		if !errors.Is(err, errNoPortal) {
			return nil, err
		}
	}
	if !wayland && os.Getenv("DISPLAY") != "" {
		img, err := captureX11()
		if err != nil {
			return nil, err
		}
		return []image.Image{img}, nil
	}
	return captureDisplays()
}

// captureX11 reads the root window of the X display in $DISPLAY.
func captureX11() (image.Image, error) {
	c, err := xgb.NewConn()
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNoScreen, err)
	}
	defer c.Close()
	screen := xproto.Setup(c).DefaultScreen(c)
	w, h := screen.WidthInPixels, screen.HeightInPixels
	reply, err := xproto.GetImage(c, xproto.ImageFormatZPixmap, xproto.Drawable(screen.Root), 0, 0, w, h, 0xffffffff).Reply()
	if err != nil {
		return nil, fmt.Errorf("capture the screen: %w", err)
	}
	if reply.Depth != 24 && reply.Depth != 32 || len(reply.Data) < int(w)*int(h)*4 {
		return nil, fmt.Errorf("capture the screen: a %d-bit screen is not supported", reply.Depth)
	}
	img := image.NewRGBA(image.Rect(0, 0, int(w), int(h)))
	for i := 0; i < int(w)*int(h); i++ {
		// ZPixmap at depth 24/32 on little-endian servers: B, G, R, unused.
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = reply.Data[4*i+2], reply.Data[4*i+1], reply.Data[4*i], 0xff
	}
	return img, nil
}

// captureDisplays captures each monitor through kbinani/screenshot.
func captureDisplays() ([]image.Image, error) {
	n := screenshot.NumActiveDisplays()
	if n == 0 {
		return nil, ErrNoScreen
	}
	var imgs []image.Image
	for i := range n {
		img, err := screenshot.CaptureDisplay(i)
		if err != nil {
			return nil, fmt.Errorf("capture screen %d: %w", i+1, err)
		}
		imgs = append(imgs, img)
	}
	return imgs, nil
}
