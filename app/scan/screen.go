package scan

import (
	"errors"
	"fmt"
	"io"
	"log"

	"github.com/jezek/xgb"
	"github.com/kbinani/screenshot"
)

func init() {
	// xgb complains about a missing .Xauthority on every connection.
	xgb.Logger = log.New(io.Discard, "", 0)
}

// ErrNoScreen means the screen cannot be captured at all.
var ErrNoScreen = errors.New("cannot capture the screen: no display found (is this a desktop session?)")

// Screen captures every monitor (through the desktop's screenshot portal on
// Wayland, directly on X11, Windows and macOS) and decodes the first QR code
// found.
func Screen() (string, error) {
	n := screenshot.NumActiveDisplays()
	if n == 0 {
		return "", ErrNoScreen
	}
	var firstErr error
	for i := range n {
		img, err := screenshot.CaptureDisplay(i)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("capture screen %d: %w", i+1, err)
			}
			continue
		}
		if text, err := Decode(img); err == nil {
			return text, nil
		}
	}
	if firstErr != nil {
		return "", firstErr
	}
	return "", ErrNoCode
}
