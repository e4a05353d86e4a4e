//go:build !(linux || freebsd || openbsd || netbsd)

package scan

import (
	"bytes"
	"fmt"
	"sync"

	"golang.design/x/clipboard"

	"github.com/softtoken/softtoken/token/qr"
)

var clipboardInit = sync.OnceValue(clipboard.Init)

// Clipboard decodes the QR code in the image on the clipboard (PNG, as
// browsers and screenshot tools copy images), through
// golang.design/x/clipboard on Windows and macOS.
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
