package web_test

import (
	"bytes"
	"crypto/rand"
	"image"
	"image/gif"
	"image/jpeg"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/stress"
	"github.com/softtoken/softtoken/server/web"
	"github.com/softtoken/softtoken/token/oneswipe"
	"github.com/softtoken/softtoken/token/qr"
)

// cameraFrame is a JPEG frame as the sign-in page sends it: 1280×720
// with text as a QR code in the middle.
func cameraFrame(t *testing.T, text string) []byte {
	t.Helper()
	code, err := qr.Encode(text, 400)
	if err != nil {
		t.Fatal(err)
	}
	frame := image.NewGray(image.Rect(0, 0, 1280, 720))
	for i := range frame.Pix {
		frame.Pix[i] = 0xd0
	}
	b := code.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			frame.Set(440+x, 160+y, code.At(x, y))
		}
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, frame, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestFrameBombsAreRefusedBeforeDecoding: an anonymous visitor with a
// session posts camera frames. A small PNG that declares 10000×10000
// 16-bit pixels (200 MB once decoded) and a file over the byte limit are
// answered 413 without being decoded: the server allocates far less than
// the picture would take. A real camera frame is still read.
func TestFrameBombsAreRefusedBeforeDecoding(t *testing.T) {
	s := servertest.New(t)
	tok := s.Enrol("trader", "trader-pass", s.AddUser("trader", "trader-pass"))
	swipe := oneswipe.SignIn{UserID: "trader", Passcode: code(t, tok, s.Clock.Now()), Serial: tok.Serial}.String()
	huge := make([]byte, 1<<20+1)
	_, _ = rand.Read(huge)
	tests := []struct {
		name        string
		data        []byte
		contentType string
		status      float64
		userID      string
	}{
		{"a 16-bit 10000×10000 PNG", stress.PNGBomb(10000, 10000), "image/png", 413, ""},
		{"a file over 1 MiB", huge, "image/jpeg", 413, ""},
		{"a 1280×720 camera frame", cameraFrame(t, swipe), "image/jpeg", 200, "trader"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := servertest.NewBrowser(t, s.URL)
			b.Get("")
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			got := b.PostFrame(tt.data, tt.contentType)
			runtime.ReadMemStats(&after)
			if got["status"] != tt.status || tt.userID != "" && got["userid"] != tt.userID {
				t.Fatalf("answer %v, want status %v and user ID %q", got, tt.status, tt.userID)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; tt.status == 413 && alloc > 16<<20 {
				t.Fatalf("the refused frame cost %d MB of allocations: it was decoded", alloc>>20)
			}
			if tt.status != 200 && got["error"] == nil {
				t.Fatalf("no error for the user to read: %v", got)
			}
		})
	}
}

// TestFramesInOtherFormatsAreRefused: the reader takes the PNG and JPEG
// frames cameras and pages make, nothing else. A TIFF, BMP or GIF frame
// holding a valid sign-in code is refused from its first bytes, 415 with
// a message that says so, although this test binary registers TIFF and
// BMP decoders with the image package (as the app's dependencies do):
// their decoders are never reached with a stranger's bytes.
func TestFramesInOtherFormatsAreRefused(t *testing.T) {
	s := servertest.New(t)
	tok := s.Enrol("trader", "trader-pass", s.AddUser("trader", "trader-pass"))
	swipe, err := qr.Encode(oneswipe.SignIn{UserID: "trader", Passcode: code(t, tok, s.Clock.Now()), Serial: tok.Serial}.String(), 400)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, contentType string
		encode            func(*bytes.Buffer) error
	}{
		{"TIFF", "image/tiff", func(b *bytes.Buffer) error { return tiff.Encode(b, swipe, nil) }},
		{"BMP", "image/bmp", func(b *bytes.Buffer) error { return bmp.Encode(b, swipe) }},
		{"GIF", "image/gif", func(b *bytes.Buffer) error { return gif.Encode(b, swipe, nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var frame bytes.Buffer
			if err := tt.encode(&frame); err != nil {
				t.Fatal(err)
			}
			b := servertest.NewBrowser(t, s.URL)
			b.Get("")
			got := b.PostFrame(frame.Bytes(), tt.contentType)
			if got["status"] != float64(http.StatusUnsupportedMediaType) || got["error"] != "The camera picture must be a JPEG or PNG image." {
				t.Fatalf("answer %v, want 415 and what the page must send", got)
			}
		})
	}
}

// TestWebSessionsCapped: with at most 3 sessions a site, a 4th visitor
// gets a 503 page that says the site is busy, whatever address they come
// from; the self-help desk has its own sessions; a sign-in in a full
// table still works (its new session replaces the old one).
func TestWebSessionsCapped(t *testing.T) {
	s := servertest.NewWith(t, servertest.Options{Web: web.Limits{MaxSessions: 3}})
	s.AddUser("trader", "trader-pass")
	first := servertest.NewBrowser(t, s.URL)
	for i, ip := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"} {
		b := first
		if i > 0 {
			b = servertest.NewBrowserFrom(t, s.URL, ip)
		}
		if status, _ := b.Get(""); status != http.StatusOK {
			t.Fatalf("visitor %d: %d", i+1, status)
		}
	}
	status, body := servertest.NewBrowserFrom(t, s.URL, "127.0.0.4").Get("")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "The site is busy") {
		t.Fatalf("a 4th visitor: %d %s", status, body)
	}
	if status, _ := servertest.NewBrowser(t, s.Helpdesk).Get(""); status != http.StatusOK {
		t.Fatalf("the self-help desk: %d", status)
	}
	if status, body := first.Post("", url.Values{"userid": {"trader"}, "password": {"trader-pass"}}); status != http.StatusOK ||
		!strings.Contains(body, "Now the passcode") {
		t.Fatalf("a sign-in in a full table: %d %s", status, body)
	}
}
