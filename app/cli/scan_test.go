package cli_test

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/token/qr"
)

func writeQR(t *testing.T, text string) string {
	t.Helper()
	img, err := qr.Encode(text, 300)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "code.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestScanCommand(t *testing.T) {
	s := newSession(t)
	code := writeQR(t, aliceURI)
	out, _, err := s.run("", false, "scan", code)
	if err != nil || !strings.Contains(out, "Found a token: account alice, issuer Bank (TOTP SHA1 8 digits 30 s)") || !strings.Contains(out, "Nothing added") {
		t.Fatalf("scan: %q, %v", out, err)
	}
	if entries, _ := s.store.List(); len(entries) != 0 {
		t.Fatal("scan without --yes added a token")
	}
	if out, _, err := s.run("", false, "scan", "--yes", code); err != nil || !strings.Contains(out, "Added slot 1: alice (Bank)") {
		t.Fatalf("scan --yes: %q, %v", out, err)
	}
	if _, _, err := s.run("", false, "scan", writeQR(t, "WIFI:S:office;T:WPA;P:secret;;")); err == nil || !strings.Contains(err.Error(), "not a token") {
		t.Errorf("a Wi-Fi code: %v", err)
	}
	for _, args := range [][]string{{"scan"}, {"scan", "--screen", "x.png"}, {"scan", "--screen", "--clipboard"}} {
		if _, _, err := s.run("", false, args...); err == nil || !strings.Contains(err.Error(), "give an image FILE, --screen or --clipboard") {
			t.Errorf("%v: %v", args, err)
		}
	}
	blank := filepath.Join(t.TempDir(), "blank.png")
	os.WriteFile(blank, mustPNG(t), 0o600)
	if _, _, err := s.run("", false, "scan", blank); err == nil || !strings.Contains(err.Error(), "no QR code found") {
		t.Errorf("a blank image: %v", err)
	}
}

func mustPNG(t *testing.T) []byte {
	t.Helper()
	blank := image.NewGray(image.Rect(0, 0, 300, 300))
	for i := range blank.Pix {
		blank.Pix[i] = 0xff
	}
	var b bytes.Buffer
	if err := png.Encode(&b, blank); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
