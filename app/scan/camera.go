package scan

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"

	"github.com/softtoken/softtoken/token/qr"
)

// FrameSource yields camera pictures: a webcam (OpenCamera), or recorded
// frames (Recorded) so that the decode loop is tested without a camera.
type FrameSource interface {
	// Frame waits for the next picture; io.EOF when there are no more.
	Frame(ctx context.Context) (image.Image, error)
	Close() error
}

// ErrNoCamera is the answer when no webcam can be used.
var ErrNoCamera = errors.New("no camera found: connect a webcam, or scan the screen or an image file instead")

// Watch reads frames from src until one holds a QR code and returns its
// text. show, when not nil, gets every frame first, for a live preview.
// It ends with ctx, or when src does.
func Watch(ctx context.Context, src FrameSource, show func(image.Image)) (string, error) {
	for {
		img, err := src.Frame(ctx)
		if errors.Is(err, io.EOF) {
			return "", ErrNoCode
		}
		if err != nil {
			return "", err
		}
		if show != nil {
			show(img)
		}
		if text, err := qr.Decode(img); err == nil {
			return text, nil
		}
	}
}

// Recorded is a FrameSource that plays pictures once.
type Recorded struct {
	Frames []image.Image
	next   int
}

// Frame returns the next recorded picture, or io.EOF.
func (r *Recorded) Frame(ctx context.Context) (image.Image, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.next >= len(r.Frames) {
		return nil, io.EOF
	}
	r.next++
	return r.Frames[r.next-1], nil
}

// Close does nothing.
func (r *Recorded) Close() error { return nil }

// YUYVGray turns a YUYV 4:2:2 frame (what most webcams send uncompressed)
// into a grey picture: QR decoding needs only the luma, every other byte.
func YUYVGray(data []byte, width, height int) (*image.Gray, error) {
	if width <= 0 || height <= 0 || width%2 != 0 || width > 8192 || height > 8192 {
		return nil, fmt.Errorf("a %d×%d YUYV frame is not possible", width, height)
	}
	if len(data) < width*height*2 {
		return nil, fmt.Errorf("a %d×%d YUYV frame needs %d bytes, got %d", width, height, width*height*2, len(data))
	}
	img := image.NewGray(image.Rect(0, 0, width, height))
	for i := range img.Pix {
		img.Pix[i] = data[2*i]
	}
	return img, nil
}
