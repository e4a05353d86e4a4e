package server_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/softtoken/softtoken/server/servertest"
)

// scanBomb is a progressive grayscale JPEG of w×h pixels (within the
// frame's pixel limit) made of one DC scan and n AC scans, each scan a
// single EOB run over every block: 17 bytes on the wire, a pass over
// every block of the picture for Go's decoder.
func scanBomb(w, h, n int) []byte {
	var b bytes.Buffer
	seg := func(marker byte, body []byte) {
		b.Write([]byte{0xFF, marker, byte((len(body) + 2) >> 8), byte(len(body) + 2)})
		b.Write(body)
	}
	b.Write([]byte{0xFF, 0xD8})
	q := make([]byte, 65)
	for i := 1; i < 65; i++ {
		q[i] = 1
	}
	seg(0xDB, q)
	seg(0xC2, []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 1, 1, 0x11, 0}) // SOF2: progressive
	seg(0xC4, append(append([]byte{0x00, 1}, make([]byte, 15)...), 0))                // DC table: '0' is 0
	seg(0xC4, append(append([]byte{0x10, 1}, make([]byte, 15)...), 0xE0))             // AC table: '0' is EOB14
	blocks := ((w + 7) / 8) * ((h + 7) / 8)
	seg(0xDA, []byte{1, 1, 0x00, 0, 0, 0})
	b.Write(make([]byte, (blocks+7)/8))
	for range n {
		seg(0xDA, []byte{1, 1, 0x00, 1, 63, 0})
		b.Write([]byte{0x7F, 0xFF, 0x00}) // EOB run of 32767 blocks (0xFF stuffed)
	}
	b.Write([]byte{0xFF, 0xD9})
	return b.Bytes()
}

// A camera frame was bounded by bytes and declared pixels, but
// not by the work of decoding it. A progressive JPEG may hold tens of
// thousands of scans, and Go's decoder walks every block of the picture
// for each one: 1,000 scans (17 KB) cost seconds of CPU, a frame of the
// 1 MiB limit about a minute, on one of the two decoder places. Now a
// JPEG of more scans than any camera or encoder makes is refused from its
// markers, before decoding, and another visitor's frame is read.
func TestProgressiveJPEGScanBombIsRefused(t *testing.T) {
	s := servertest.New(t)
	attacker := servertest.NewBrowser(t, s.URL)
	attacker.Get("")
	for _, scans := range []int{1000, 40} {
		got := attacker.PostFrame(scanBomb(1414, 1414, scans), "image/jpeg")
		if got["status"] != float64(http.StatusRequestEntityTooLarge) {
			t.Errorf("a JPEG of %d scans: %v, want 413", scans, got)
		}
	}
	user := servertest.NewBrowserFrom(t, s.URL, "127.0.0.3")
	user.Get("")
	if got := user.Frame("any QR code"); got["status"] != float64(http.StatusOK) {
		t.Errorf("another visitor's camera frame: %v", got)
	}
}
