// Package qr reads and draws QR codes (github.com/makiuchi-d/gozxing), for
// the desktop app's scanner and the companion server's One Swipe pages
// alike. It knows nothing of what the codes hold: see app/scan and
// token/oneswipe for that. Images come from untrusted files, clipboards
// and cameras, so the reader bounds their size before decoding, and
// decodes PNG, JPEG and GIF only, with the standard library's decoders
// called directly: never image.Decode, which would also reach any decoder
// a dependency registered (in the app, Fyne's dependencies register TIFF,
// BMP and ICO).
package qr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"strings"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// ErrNoCode is the answer for an image without a readable QR code.
var ErrNoCode = errors.New("no QR code found: make sure the whole code is visible and sharp")

// Limits bound the images a reader accepts: the file's size, and the
// pixels (width × height) its header declares, checked before a pixel is
// decoded, so that a small file that claims a huge image costs nothing;
// and the file formats it takes, told from the file's first bytes.
type Limits struct {
	MaxBytes  int64
	MaxPixels int64
	// Formats are the formats taken; zero takes all the reader's (PNG,
	// JPEG and GIF).
	Formats Format
}

// FileLimits are ReadImage's: real screenshots and photos stay far below
// them. A server reading camera frames from strangers sets its own, far
// smaller (ReadImageLimited).
var FileLimits = Limits{MaxBytes: 64 << 20, MaxPixels: 100_000_000, Formats: allFormats}

// ErrTooLarge is an image over the reader's limits (wrapped with what was
// too large).
var ErrTooLarge = errors.New("the image is too large")

// ErrFormat is an image file in a format the reader does not take
// (wrapped with the format found and those taken): TIFF, BMP, WebP, or a
// GIF where only PNG and JPEG are taken.
var ErrFormat = errors.New("unsupported image format")

// Format is a set of image file formats.
type Format uint8

// The formats the reader decodes.
const (
	FormatPNG Format = 1 << iota
	FormatJPEG
	FormatGIF

	allFormats = FormatPNG | FormatJPEG | FormatGIF
)

// String names the formats of f: "PNG, JPEG or GIF".
func (f Format) String() string {
	var names []string
	for _, c := range codecs {
		if f&c.format != 0 {
			names = append(names, c.name)
		}
	}
	switch len(names) {
	case 0:
		return "no format"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// codec is a format's decoders, called directly.
type codec struct {
	format Format
	name   string
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

// codecs are the formats the reader decodes, in the order they are named.
var codecs = []codec{
	{FormatPNG, "PNG", png.DecodeConfig, png.Decode},
	{FormatJPEG, "JPEG", jpeg.DecodeConfig, jpeg.Decode},
	{FormatGIF, "GIF", gif.DecodeConfig, gif.Decode},
}

// magics are how image files begin ('?' matches any byte), each with its
// format: a codec's name, or another common format's, to name it when it
// is refused.
var magics = []struct{ prefix, name string }{
	{"\x89PNG\r\n\x1a\n", "PNG"},
	{"\xff\xd8", "JPEG"},
	{"GIF87a", "GIF"},
	{"GIF89a", "GIF"},
	{"II*\x00", "TIFF"},
	{"MM\x00*", "TIFF"},
	{"BM", "BMP"},
	{"RIFF????WEBP", "WebP"},
	{"\x00\x00\x01\x00", "ICO"},
}

// sniff names the format of image file data from its first bytes ("" when
// none is known).
func sniff(data []byte) string {
	for _, m := range magics {
		if len(data) < len(m.prefix) {
			continue
		}
		match := true
		for i := range len(m.prefix) {
			if m.prefix[i] != '?' && m.prefix[i] != data[i] {
				match = false
				break
			}
		}
		if match {
			return m.name
		}
	}
	return ""
}

// formats are the formats l takes.
func (l Limits) formats() Format {
	if l.Formats == 0 {
		return allFormats
	}
	return l.Formats
}

// notImage is the answer for a file that is no image l takes, or a
// damaged one.
func (l Limits) notImage() error {
	return fmt.Errorf("the file is not a %s image, or it is damaged", l.formats())
}

// codecFor is the codec that reads data within l: ErrFormat for a known
// format l does not take.
func codecFor(data []byte, l Limits) (codec, error) {
	name := sniff(data)
	for _, c := range codecs {
		if c.name == name && l.formats()&c.format != 0 {
			return c, nil
		}
	}
	if name == "" {
		return codec{}, l.notImage()
	}
	return codec{}, fmt.Errorf("%w: the file is a %s image; only %s images are read", ErrFormat, name, l.formats())
}

// Decode finds one QR code in img and returns its text.
func Decode(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", ErrNoCode
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		// The detector misses about 1 in 100 clean, drawn codes (a picture
		// that is the code and its margin, as pages and apps show them);
		// read as such a picture, they decode. The retry fails fast on
		// anything else.
		res, err = qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	}
	if err != nil {
		return "", ErrNoCode
	}
	return res.GetText(), nil
}

// ReadImage decodes a PNG, JPEG or GIF image within FileLimits, refusing
// any other format with ErrFormat.
func ReadImage(r io.Reader) (image.Image, error) { return ReadImageLimited(r, FileLimits) }

// ReadImageLimited decodes an image in one of l.Formats, refusing with
// ErrFormat a file in any other format, from its first bytes, and with
// ErrTooLarge a file over l.MaxBytes or whose header declares more than
// l.MaxPixels pixels, before any pixel is decoded. Bit depth is no way
// around the pixel limit: a 16-bit image counts its pixels like any other.
func ReadImageLimited(r io.Reader, l Limits) (image.Image, error) {
	data, err := io.ReadAll(io.LimitReader(r, l.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read the image: %w", err)
	}
	c, err := check(data, l)
	if err != nil {
		return nil, err
	}
	img, err := c.decode(bytes.NewReader(data))
	if err != nil {
		return nil, l.notImage()
	}
	return img, nil
}

// CheckImage checks, from its size and its header alone, that the image
// file data is within l (ErrTooLarge otherwise) and in one of l.Formats
// (ErrFormat otherwise): what ReadImageLimited checks before it decodes,
// for a caller that must know before it spends anything on decoding.
func CheckImage(data []byte, l Limits) error {
	_, err := check(data, l)
	return err
}

// check is CheckImage, returning the codec that reads data.
func check(data []byte, l Limits) (codec, error) {
	if int64(len(data)) > l.MaxBytes {
		return codec{}, fmt.Errorf("%w: over %s", ErrTooLarge, size(l.MaxBytes))
	}
	c, err := codecFor(data, l)
	if err != nil {
		return codec{}, err
	}
	cfg, err := c.config(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return codec{}, l.notImage()
	}
	if int64(cfg.Width)*int64(cfg.Height) > l.MaxPixels {
		return codec{}, fmt.Errorf("%w: the %s image is %d×%d pixels", ErrTooLarge, c.name, cfg.Width, cfg.Height)
	}
	if n := jpegScans(data); c.format == FormatJPEG && n > maxJPEGScans {
		return codec{}, fmt.Errorf("%w: the JPEG image has %d scans", ErrTooLarge, n)
	}
	return c, nil
}

// maxJPEGScans bounds the scans of a JPEG image. A baseline JPEG (what
// cameras, screenshots and the sign-in page's canvas make) has one; a
// progressive one about ten. Go's decoder walks every block of the image
// once per scan, and a scan costs a file 17 bytes: without the bound a
// 17 KB file of 1,000 scans costs seconds of CPU.
const maxJPEGScans = 32

// jpegScans counts the start-of-scan markers (FF DA) of JPEG data. Inside
// the compressed data a FF byte is always followed by 00 or a restart
// marker, so every FF DA is a marker.
func jpegScans(data []byte) int {
	n := 0
	for i := 0; i+1 < len(data); i++ {
		if data[i] == 0xFF && data[i+1] == 0xDA {
			n++
		}
	}
	return n
}

// size is n bytes in the unit a person reads.
func size(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d KB", n>>10)
}

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

// PNG is Encode as a PNG file.
func PNG(text string, size int) ([]byte, error) {
	img, err := Encode(text, size)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("make the QR code: %w", err)
	}
	return b.Bytes(), nil
}
