// Package scan finds a QR code in an image and says what it holds: a token
// to add (an otpauth:// URI), or something that is not a token. "No QR code
// found" and "this QR code is not a token" are different answers, because
// the user's next step differs (aim better, or scan another code).
package scan

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // GIF files
	_ "image/jpeg" // JPEG files
	_ "image/png"  // PNG files
	"io"
	"os"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/softtoken/softtoken/token"
)

// The answers a scan can give besides a token.
var (
	ErrNoCode   = errors.New("no QR code found: make sure the whole code is visible and sharp")
	ErrNotToken = errors.New("this QR code is not a token: scan the code your administrator or service gave you for an authenticator")
)

// Limits on image files: real screenshots and photos stay far below them.
const (
	maxFileBytes = 64 << 20
	maxPixels    = 100_000_000
)

// Decode finds one QR code in img and returns its text.
func Decode(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", ErrNoCode
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", ErrNoCode
	}
	return res.GetText(), nil
}

// ReadImage decodes a PNG, JPEG or GIF image, refusing files too big to be
// a screenshot or photo. The dimensions are checked before the pixels are
// decoded, so a small file that claims a huge image costs nothing.
func ReadImage(r io.Reader) (image.Image, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read the image: %w", err)
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("the image is larger than %d MB", maxFileBytes>>20)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, errNotImage
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxPixels {
		return nil, fmt.Errorf("the %s image is too large (%d×%d)", format, cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, errNotImage
	}
	return img, nil
}

var errNotImage = errors.New("the file is not a PNG, JPEG or GIF image, or it is damaged")

// File reads the image file at path and decodes the QR code in it.
func File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open the image: %w", err)
	}
	defer f.Close()
	img, err := ReadImage(f)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return Decode(img)
}

// Token turns a scanned text into a token to add: ErrNotToken for text that
// is not an otpauth:// URI, a token error (wrapping token.URIError) for one
// that is but is malformed.
func Token(text string) (token.Token, error) {
	t, err := token.ParseURI(text)
	if errors.Is(err, token.ErrNotOTPAuth) {
		return token.Token{}, ErrNotToken
	}
	if err != nil {
		return token.Token{}, fmt.Errorf("this QR code holds a token that cannot be used: %w", err)
	}
	return t, nil
}

// Encode draws text as a black-on-white QR code of about size×size pixels
// with the quiet zone (white border) that scanners need, also on a dark
// theme.
func Encode(text string, size int) (image.Image, error) {
	hints := map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_MARGIN: 4}
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, size, size, hints)
	if err != nil {
		return nil, fmt.Errorf("make the QR code: %w", err)
	}
	img := image.NewGray(image.Rect(0, 0, m.GetWidth(), m.GetHeight()))
	for y := 0; y < m.GetHeight(); y++ {
		for x := 0; x < m.GetWidth(); x++ {
			if !m.Get(x, y) {
				img.Pix[y*img.Stride+x] = 0xff
			}
		}
	}
	return img, nil
}
