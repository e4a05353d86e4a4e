package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"sort"

	"github.com/blackjack/webcam"
)

// CameraSupported says whether this system has webcam scanning: Linux
// (V4L2) does.
const CameraSupported = true

// V4L2 pixel formats (fourcc codes) the camera reader understands.
const (
	pixYUYV  webcam.PixelFormat = 'Y' | 'U'<<8 | 'Y'<<16 | 'V'<<24
	pixMJPEG webcam.PixelFormat = 'M' | 'J'<<8 | 'P'<<16 | 'G'<<24
)

// v4l2Camera is a Linux webcam (V4L2, github.com/blackjack/webcam).
type v4l2Camera struct {
	cam    *webcam.Webcam
	format webcam.PixelFormat
	w, h   int
}

// OpenCamera opens the first webcam (/dev/video0, /dev/video1, …) that
// sends YUYV or MJPEG pictures, at about 640×480: enough for a QR code
// held up to it, and cheap to decode. ErrNoCamera when there is none.
func OpenCamera() (FrameSource, error) {
	devices, _ := filepath.Glob("/dev/video*")
	sort.Strings(devices)
	var last error
	for _, dev := range devices {
		c, err := openV4L2(dev)
		if err == nil {
			return c, nil
		}
		last = err
	}
	if last != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNoCamera, last)
	}
	return nil, ErrNoCamera
}

func openV4L2(dev string) (*v4l2Camera, error) {
	cam, err := webcam.Open(dev)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("%s: no permission: add yourself to the video group", dev)
		}
		return nil, fmt.Errorf("%s: %w", dev, err)
	}
	formats := cam.GetSupportedFormats()
	format := webcam.PixelFormat(0)
	for _, f := range []webcam.PixelFormat{pixYUYV, pixMJPEG} {
		if _, ok := formats[f]; ok {
			format = f
			break
		}
	}
	if format == 0 {
		cam.Close()
		return nil, fmt.Errorf("%s: sends neither YUYV nor MJPEG", dev)
	}
	f, w, h, err := cam.SetImageFormat(format, 640, 480)
	if err == nil {
		err = cam.StartStreaming()
	}
	if err != nil {
		cam.Close()
		return nil, fmt.Errorf("%s: %w", dev, err)
	}
	return &v4l2Camera{cam: cam, format: f, w: int(w), h: int(h)}, nil
}

// Frame waits for the next picture, checking ctx every 200 ms.
func (c *v4l2Camera) Frame(ctx context.Context) (image.Image, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		err := c.cam.WaitForFrame(200)
		var timeout *webcam.Timeout
		if errors.As(err, &timeout) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read the camera: %w", err)
		}
		data, err := c.cam.ReadFrame()
		if err != nil {
			return nil, fmt.Errorf("read the camera: %w", err)
		}
		if len(data) == 0 {
			continue
		}
		if c.format == pixMJPEG {
			return jpeg.Decode(bytes.NewReader(data))
		}
		return YUYVGray(data, c.w, c.h)
	}
}

// Close stops the camera.
func (c *v4l2Camera) Close() error {
	_ = c.cam.StopStreaming()
	return c.cam.Close()
}
