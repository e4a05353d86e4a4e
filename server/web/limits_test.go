package web_test

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
		{"a 16-bit 10000×10000 PNG", stress.PNGBomb(10000, 10000), "image/png", http.StatusRequestEntityTooLarge, ""},
		{"a file over 1 MiB", huge, "image/jpeg", http.StatusRequestEntityTooLarge, ""},
		{"a 1280×720 camera frame", cameraFrame(t, swipe), "image/jpeg", http.StatusOK, "trader"},
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
			if alloc := after.TotalAlloc - before.TotalAlloc; tt.status == http.StatusRequestEntityTooLarge && alloc > 16<<20 {
				t.Fatalf("the refused frame cost %d MB of allocations: it was decoded", alloc>>20)
			}
			if tt.status != http.StatusOK && got["error"] == nil {
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

// TestWebSessionsCapped: with at most 3 sessions a site, all signed in,
// from 3 addresses, a 4th visitor from one of them gets a 503 page that
// says the site is busy: no address holds more sessions than theirs, and
// theirs has none that has not signed in. The self-help desk has its own
// sessions; a sign-in in a full table still works (its new session
// replaces the old one).
func TestWebSessionsCapped(t *testing.T) {
	s := servertest.NewWith(t, servertest.Options{Web: web.Limits{MaxSessions: 3}})
	s.AddUser("trader", "trader-pass")
	var first *servertest.Browser
	for _, ip := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"} {
		b := servertest.NewBrowserFrom(t, s.URL, ip)
		if status, body := b.SignIn("trader", "trader-pass"); status != http.StatusOK || !strings.Contains(body, "Now the passcode") {
			t.Fatalf("a sign-in from %s: %d %s", ip, status, body)
		}
		first = cmp.Or(first, b)
	}
	status, body := servertest.NewBrowserFrom(t, s.URL, "127.0.0.1").Get("")
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

// visitAll opens the page at url n times from each address of from,
// eight addresses at a time, as a browser that keeps no cookie: each
// visit starts a session. It fails the test unless every visit is
// answered 200.
func visitAll(t *testing.T, url string, from []string, n int) {
	t.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(from); i = int(next.Add(1) - 1) {
				d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from[i])}}
				tr := &http.Transport{DialContext: d.DialContext}
				c := &http.Client{Transport: tr, Timeout: 20 * time.Second}
				for v := range n {
					resp, err := c.Get(url)
					if err != nil {
						t.Errorf("visit %d from %s: %v", v+1, from[i], err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						t.Errorf("visit %d from %s: HTTP %d", v+1, from[i], resp.StatusCode)
						return
					}
				}
				tr.CloseIdleConnections()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
}

// TestIdleSessionsCannotShutOutASignIn is issue 21's figure for the
// pages: 170 addresses each start a burst of sessions (30, the default
// --session-rate burst) and never come back, which fills a site's table
// of 5,100 (the default --max-web-sessions of 100,000 scaled by about
// 30/600: ten minutes at 60 a minute is what one address keeps alive);
// a user from another address must still sign in, on either site. The
// oldest session of the busiest addresses makes room for them.
func TestIdleSessionsCannotShutOutASignIn(t *testing.T) {
	tests := []struct {
		site string
		url  func(*servertest.Server) string
		// signIn goes as far as the password, and returns the page that
		// follows, which asks for the next step (want).
		signIn func(b *servertest.Browser) (int, string)
		want   string
	}{
		{"enrol site", func(s *servertest.Server) string { return s.URL }, func(b *servertest.Browser) (int, string) {
			return b.SignIn("trader", "trader-pass")
		}, "Now the passcode"},
		{"help desk", func(s *servertest.Server) string { return s.Helpdesk }, func(b *servertest.Browser) (int, string) {
			b.Get("")
			b.Post("", url.Values{"userid": {"trader"}})
			return b.Post("password", url.Values{"password": {"trader-pass"}})
		}, `name="answer"`},
	}
	for _, tt := range tests {
		t.Run(tt.site, func(t *testing.T) {
			s := servertest.NewWith(t, servertest.Options{Web: web.Limits{MaxSessions: 5_100}})
			s.Enrol("trader", "trader-pass", s.AddUser("trader", "trader-pass"))
			site := tt.url(s)
			var from []string
			for a := range 170 {
				from = append(from, fmt.Sprintf("127.0.2.%d", a+1))
			}
			oldest := servertest.NewBrowserFrom(t, site, from[0])
			if status, _ := oldest.Get(""); status != http.StatusOK {
				t.Fatalf("the first visit: HTTP %d", status)
			}
			visitAll(t, site, from[:1], web.DefaultLimits.Sessions.Burst-1)
			visitAll(t, site, from[1:], web.DefaultLimits.Sessions.Burst)
			if status, body := tt.signIn(servertest.NewBrowser(t, site)); !strings.Contains(body, tt.want) {
				t.Fatalf("a user's sign-in, with %d sessions open: HTTP %d, busy %v", 170*web.DefaultLimits.Sessions.Burst, status,
					strings.Contains(body, "The site is busy"))
			}
			if status, body := oldest.Post("", url.Values{"userid": {"someone"}, "password": {"x"}}); status != http.StatusForbidden {
				t.Errorf("the oldest session still works (HTTP %d): it should have made room\n%s", status, body)
			}
		})
	}
}

// alive reports whether the browser's enrol-site session still exists:
// a camera frame posted with its CSRF token is read (400 for one that is
// not a picture) rather than refused as expired (403).
func alive(t *testing.T, b *servertest.Browser) bool {
	t.Helper()
	return b.PostFrame([]byte("not a picture"), "image/png")["status"] != float64(http.StatusForbidden)
}

// TestWebSessionsShareByAddress: with room for 4 sessions, 2 from one
// address, a third visitor from an address takes the place of its
// oldest session; an address whose 2 sessions have signed in gets "Too
// many visits" (429) instead. Once the table is full, a visitor from
// elsewhere takes the place of the oldest session of the busiest
// address that has one not signed in, or of its own; signed-in sessions
// carry on.
func TestWebSessionsShareByAddress(t *testing.T) {
	s := servertest.NewWith(t, servertest.Options{Web: web.Limits{MaxSessions: 4, MaxSessionsPerAddr: 2}})
	s.AddUser("trader", "trader-pass")
	visit := func(from string) *servertest.Browser {
		t.Helper()
		b := servertest.NewBrowserFrom(t, s.URL, from)
		if status, _ := b.Get(""); status != http.StatusOK {
			t.Fatalf("a visitor from %s: HTTP %d", from, status)
		}
		return b
	}
	gone := func(who string, b *servertest.Browser) {
		t.Helper()
		if alive(t, b) {
			t.Errorf("%s's session is still there: it should have made room", who)
		}
	}
	a1, a2 := visit("127.0.4.1"), visit("127.0.4.1")
	a3 := visit("127.0.4.1")
	gone("a1", a1)
	var signedIn []*servertest.Browser
	for range 2 {
		b := servertest.NewBrowserFrom(t, s.URL, "127.0.4.2")
		if _, body := b.SignIn("trader", "trader-pass"); !strings.Contains(body, "Now the passcode") {
			t.Fatalf("a sign-in from 127.0.4.2: %s", body)
		}
		signedIn = append(signedIn, b)
	}
	if status, body := servertest.NewBrowserFrom(t, s.URL, "127.0.4.2").Get(""); status != http.StatusTooManyRequests ||
		!strings.Contains(body, "Too many visits") {
		t.Errorf("a third visitor from an address whose two have signed in: HTTP %d", status)
	}
	c1 := visit("127.0.4.3")
	gone("a2", a2)
	visit("127.0.4.3")
	gone("c1", c1)
	if !alive(t, a3) {
		t.Error("a3's session is gone: its address holds no more than the newcomer's")
	}
	for i, b := range signedIn {
		if status, body := b.Get("passcode"); status != http.StatusOK || !strings.Contains(body, "Now the passcode") {
			t.Errorf("signed-in session %d: HTTP %d", i+1, status)
		}
	}
}
