package scan_test

import (
	"context"
	"errors"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/softtoken/softtoken/app/scan"
	"github.com/softtoken/softtoken/token/qr"
)

// recordCamera makes what a 640×480 webcam would send while a QR code is
// brought into focus: raw YUYV frames, the first ones blurred, then sharp
// and slightly rotated, made by ffmpeg (an independent encoder).
func recordCamera(t *testing.T, text string, frames int) [][]byte {
	t.Helper()
	ffmpeg := requireTool(t, "ffmpeg")
	png, err := qr.PNG(text, 300)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "code.png"), filepath.Join(dir, "camera.yuyv")
	if err := os.WriteFile(in, png, 0o600); err != nil {
		t.Fatal(err)
	}
	// Frames 0-2 out of focus, then in focus; the whole picture turned by
	// 0.1 rad on a grey wall, as a phone held up by hand.
	filter := "pad=640:480:(ow-iw)/2:(oh-ih)/2:white,rotate=0.1:fillcolor=0x707070," +
		"boxblur=luma_radius=10:luma_power=2:enable='lt(n,3)'"
	cmd := exec.Command(ffmpeg, "-loglevel", "error", "-y", "-loop", "1", "-i", in, "-vf", filter,
		"-frames:v", strconv.Itoa(frames), "-pix_fmt", "yuyv422", "-f", "rawvideo", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("record the camera: %v\n%s", err, b)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	const size = 640 * 480 * 2
	if len(raw) != frames*size {
		t.Fatalf("the recording has %d bytes, want %d frames of %d", len(raw), frames, size)
	}
	var got [][]byte
	for i := 0; i < frames; i++ {
		got = append(got, raw[i*size:(i+1)*size])
	}
	return got
}

func TestWatchRecordedFrames(t *testing.T) {
	var frames []image.Image
	for _, raw := range recordCamera(t, uri, 5) {
		img, err := scan.YUYVGray(raw, 640, 480)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, img)
	}
	shown := 0
	text, err := scan.Watch(context.Background(), &scan.Recorded{Frames: frames}, func(image.Image) { shown++ })
	if err != nil || text != uri {
		t.Fatalf("Watch: %q, %v", text, err)
	}
	if shown != 4 {
		t.Errorf("the code was found in frame %d, want 4 (the first in focus)", shown)
	}
}

func TestWatchEnds(t *testing.T) {
	blank := image.NewGray(image.Rect(0, 0, 640, 480))
	if _, err := scan.Watch(context.Background(), &scan.Recorded{Frames: []image.Image{blank, blank}}, nil); !errors.Is(err, scan.ErrNoCode) {
		t.Errorf("frames without a code: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := scan.Watch(ctx, &scan.Recorded{Frames: []image.Image{blank}}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled watch: %v", err)
	}
}

func TestYUYVGray(t *testing.T) {
	frame := []byte{10, 128, 20, 128, 30, 128, 40, 128}
	img, err := scan.YUYVGray(frame, 2, 2)
	if err != nil || string(img.Pix) != string([]byte{10, 20, 30, 40}) {
		t.Errorf("YUYVGray: %v, %v", img, err)
	}
	for _, tc := range []struct{ w, h, n int }{{3, 2, 12}, {2, 2, 7}, {0, 2, 8}, {1 << 14, 2, 8}} {
		if _, err := scan.YUYVGray(make([]byte, tc.n), tc.w, tc.h); err == nil {
			t.Errorf("YUYVGray of %d bytes as %d×%d: no error", tc.n, tc.w, tc.h)
		}
	}
}

// This machine has no camera: say so.
func TestNoCamera(t *testing.T) {
	if devs, _ := filepath.Glob("/dev/video*"); len(devs) > 0 {
		t.Skip("this machine has a camera")
	}
	if _, err := scan.OpenCamera(); !errors.Is(err, scan.ErrNoCamera) {
		t.Errorf("OpenCamera without a camera: %v", err)
	}
}
