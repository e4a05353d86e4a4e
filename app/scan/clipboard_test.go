package scan_test

import (
	"errors"
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
	png, err := qr.PNG(uri, 240)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "code.png")
	if err := os.WriteFile(path, png, 0o600); err != nil {
		t.Fatal(err)
	}
	copyImage(t, path)
	if text, err := scan.Clipboard(); err != nil || text != uri {
		t.Errorf("the clipboard: %q, %v", text, err)
	}
}
