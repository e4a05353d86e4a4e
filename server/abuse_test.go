package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/softtoken/softtoken/server/request"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/server/wire"
)

// Findings of the security review of issue 12 (branch attack): each test
// fails while its finding stands.

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

// Finding 1: a camera frame was bounded by bytes and declared pixels, but
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

// pause is a store that, once armed, calls hook right after the first
// transaction that read a user's SMS number confirmation code (the
// reservation of a help desk number confirmation) has committed: between
// the reservation and the settlement, where the slow hash comparison is.
type pause struct {
	store.Store
	mu   sync.Mutex
	hook func()
}

func (p *pause) arm(hook func()) { p.mu.Lock(); p.hook = hook; p.mu.Unlock() }

func (p *pause) Update(ctx context.Context, fn func(store.Tx) error) error {
	var read bool
	err := p.Store.Update(ctx, func(tx store.Tx) error { return fn(&watchTx{Tx: tx, read: &read}) })
	if read {
		p.mu.Lock()
		hook := p.hook
		p.hook = nil
		p.mu.Unlock()
		if hook != nil {
			hook()
		}
	}
	return err
}

type watchTx struct {
	store.Tx
	read *bool
}

func (t *watchTx) SMSCodeOf(id int64, purpose string) (store.SMSCode, error) {
	if purpose == store.SMSPhone {
		*t.read = true
	}
	return t.Tx.SMSCodeOf(id, purpose)
}

// Finding 2: the 30-day rule of the help desk was checked, when a new
// number is confirmed, on the copy of the user read when the attempt was
// reserved, not on the row in the settling transaction. A second help desk
// session that got a temporary passcode while the first one's code was
// being compared (the argon2id comparison: tens of milliseconds) did not
// stop the first from also changing the number: two recoveries in one
// 30-day period, and the stale row written back whole. Now the rule
// applies to the current row.
func TestHelpdeskRaceKeepsThe30DayRule(t *testing.T) {
	p := &pause{}
	s := open(t, servertest.Options{Wrap: func(st store.Store) store.Store { p.Store = st; return p }})
	enrolled(t, s, "rita")
	d1 := helpdeskAtQuestion(t, s, "rita")
	if _, body := d1.Post("question", url.Values{"answer": {answerFor(d1)}}); !strings.Contains(body, "Temporary passcode") {
		t.Fatalf("the options page: %s", errorOf(body))
	}
	if _, body := d1.Post("options", url.Values{"phone": {"+447700900666"}, "days": {"0"}}); !strings.Contains(body, "SMS") {
		t.Fatalf("the new number: %s", errorOf(body))
	}
	d2 := helpdeskAtQuestion(t, s, "rita")
	if _, body := d2.Post("question", url.Values{"answer": {answerFor(d2)}}); !strings.Contains(body, "Temporary passcode") {
		t.Fatalf("the options page of the second session: %s", errorOf(body))
	}
	var tempBody string
	p.arm(func() { _, tempBody = d2.Post("options", url.Values{"days": {"3"}}) })
	_, numberBody := d1.Post("confirm", url.Values{"code": {s.LastSMS("+447700900666")}})
	gotTemp := strings.Contains(tempBody, "Your temporary passcode")
	gotNumber := strings.Contains(numberBody, "take over from your present token")
	t.Logf("temporary passcode issued: %v; new number confirmed: %v", gotTemp, gotNumber)
	if gotTemp && gotNumber {
		t.Errorf("two help desk sessions got a temporary passcode and a new number within one 30-day period")
	}
}

// Finding 3: per-address limits and the password throttle keyed on the
// whole IPv6 address. Anyone with one IPv6 /64 (every home line and
// cloud host has one) has 2^64 addresses: each new one got 5 free wrong
// passwords for a user ID and a fresh burst of connections. Now an IPv6
// client counts as its /64. Shown behind
// a trusted proxy that forwards IPv6 clients (as every dual-stack proxy
// does); a server listening on IPv6 itself is the same.
func TestIPv6NetworksAreThrottledAsOne(t *testing.T) {
	s := servertest.NewWith(t, servertest.Options{Proxies: request.Proxies{Trusted: proxy}})
	enrolled(t, s, "vic")
	const guesses = 20
	guess := func(addr func(i int) string) (throttled, refused int) {
		for i := range guesses {
			c, _, err := s.TryDial("127.0.0.2", http.Header{"X-Forwarded-For": {addr(i)}})
			if err != nil {
				refused++ // the per-address connection limit
				continue
			}
			if r := c.Login("vic", fmt.Sprintf("guess-%d", i), ""); r.Result == wire.ResultRateLimited {
				throttled++
			}
			c.Close()
		}
		return throttled, refused
	}
	// The control: one IPv4 address is throttled after 5 wrong passwords,
	// and its connections limited after a burst of 10.
	if th, ref := guess(func(int) string { return "198.51.100.7" }); th == 0 || ref == 0 {
		t.Fatalf("from one address: %d throttled, %d refused connections; want both", th, ref)
	}
	th, ref := guess(func(i int) string { return fmt.Sprintf("2001:db8:1:2::%x", i+1) })
	if th == 0 && ref == 0 {
		t.Errorf("%d connections and wrong passwords for one user ID from one IPv6 /64: none refused, none throttled", guesses)
	}
}
