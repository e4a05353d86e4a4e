package scan

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"golang.design/x/clipboard"

	"github.com/softtoken/softtoken/token/qr"
)

// ErrNoClipboardImage is the answer when the clipboard holds no picture.
var ErrNoClipboardImage = errors.New("the clipboard holds no picture: copy the QR code's image first (for instance right-click it and choose Copy image)")

// ErrNoClipboard is the answer when this desktop's clipboard cannot be read.
var ErrNoClipboard = errors.New("the clipboard cannot be read on this desktop: save the picture to a file and open it instead")

var clipboardInit = sync.OnceValue(clipboard.Init)

// Clipboard decodes the QR code in the image on the clipboard (PNG, as
// browsers and screenshot tools copy images). On Linux it reads the X11
// clipboard (also under XWayland) through libX11.
func Clipboard() (string, error) {
	if err := clipboardInit(); err != nil {
		return "", fmt.Errorf("%w (%v)", ErrNoClipboard, err)
	}
	data := clipboard.Read(clipboard.FmtImage)
	if len(data) == 0 {
		return "", ErrNoClipboardImage
	}
	img, err := qr.ReadImage(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("the picture on the clipboard: %w", err)
	}
	return qr.Decode(img)
}
