package scan_test

import (
	"bytes"
	"errors"
	"image"
	"image/draw"
	"image/png"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/app/scan"
	"github.com/softtoken/softtoken/token/qr"
)

// copyImage puts the PNG file at path on the X clipboard with xclip, as a
// browser's "Copy image" does; xclip serves it until the test ends.
func copyImage(t *testing.T, path string) {
	t.Helper()
	bin := requireTool(t, "xclip")
	cmd := exec.Command(bin, "-quiet", "-selection", "clipboard", "-t", "image/png", "-i", path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Wait until xclip owns the clipboard and offers the image.
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, _ := exec.Command(bin, "-o", "-selection", "clipboard", "-t", "TARGETS").Output()
		if strings.Contains(string(out), "image/png") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("xclip did not take the clipboard (targets %q)", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestClipboard(t *testing.T) {
	xvfb(t)
	if _, err := scan.Clipboard(); !errors.Is(err, scan.ErrNoClipboardImage) {
		t.Fatalf("an empty clipboard: %v", err)
	}
	small, err := qr.PNG(uri, 240)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		png  []byte
	}{
		{"a small picture, in one piece", small},
		{"a 4 MB screenshot, in pieces (INCR)", noisyScreenshot(t)},
	}
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), "code.png")
		if err := os.WriteFile(path, tt.png, 0o600); err != nil {
			t.Fatal(err)
		}
		copyImage(t, path)
		if text, err := scan.Clipboard(); err != nil || text != uri {
			t.Errorf("%s: %q, %v", tt.name, text, err)
		}
	}
}

// noisyScreenshot is a PNG of 1200×1200 pseudo-random pixels (which do not
// compress) with the QR code in the middle: big enough that the clipboard
// owner sends it in pieces.
func noisyScreenshot(t *testing.T) []byte {
	t.Helper()
	code, err := qr.Encode(uri, 300)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 1200, 1200))
	// The same noise every run: fresh random noise now and then holds
	// shapes that hide the code from the decoder, which made the test flaky.
	noise := mrand.NewChaCha8([32]byte{'s', 'o', 'f', 't', 't', 'o', 'k', 'e', 'n'})
	if _, err := noise.Read(img.Pix); err != nil {
		t.Fatal(err)
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 0xff
	}
	draw.Draw(img, code.Bounds().Add(image.Pt(450, 450)), code, image.Point{}, draw.Src)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if b.Len() < 1<<20 {
		t.Fatalf("the noisy picture is only %d bytes", b.Len())
	}
	return b.Bytes()
}
