package ws_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
)

// dialUntil dials until the server takes the socket, for a bounded time:
// a socket closed by a client leaves the server's count once the server
// has read the close.
func dialUntil(t *testing.T, s *servertest.Server) *servertest.Client {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if c, _, _ := s.TryDial("", nil); c != nil {
			return c
		}
	}
	t.Fatal("the server never took a new socket")
	return nil
}

// TestSocketCaps: with at most 3 open sockets, a 4th is refused at the
// upgrade with HTTP 503, and closing one lets a new one in; with at most
// 2 sockets not logged in, a 3rd is refused until one of them logs in.
func TestSocketCaps(t *testing.T) {
	t.Run("open sockets", func(t *testing.T) {
		s := servertest.NewWith(t, servertest.Options{WS: ws.Config{MaxSockets: 3, MaxPendingLogins: 10, Connections: ratelimit.Rate{PerMinute: 10_000, Burst: 10_000}}})
		open := []*servertest.Client{s.Dial(), s.Dial(), s.Dial()}
		if c, status, _ := s.TryDial("", nil); c != nil || status != http.StatusServiceUnavailable {
			t.Fatalf("a 4th socket: HTTP %d", status)
		}
		open[0].Close()
		dialUntil(t, s).Close()
	})
	t.Run("sockets not logged in", func(t *testing.T) {
		s := servertest.NewWith(t, servertest.Options{WS: ws.Config{MaxSockets: 10, MaxPendingLogins: 2, Connections: ratelimit.Rate{PerMinute: 10_000, Burst: 10_000}}})
		tok := s.Enrol("trader", "trader-pass", s.AddUser("trader", "trader-pass"))
		first, _ := dialUntil(t, s), dialUntil(t, s) // once the enrolment's socket has left
		if c, status, _ := s.TryDial("", nil); c != nil || status != http.StatusServiceUnavailable {
			t.Fatalf("a 3rd socket not logged in: HTTP %d", status)
		}
		s.Clock.Advance(30 * time.Second)
		now, err := tok.Code(s.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if r := first.Login("trader", "trader-pass", now); r.Result != wire.ResultOK {
			t.Fatalf("login: %+v", r)
		}
		if c, status, _ := s.TryDial("", nil); c == nil {
			t.Fatalf("a logged-in socket still counts as not logged in: HTTP %d", status)
		}
	})
}

// TestBusyServerAnswersBusy: while the password hashing budget is full,
// a websocket login is answered "server busy" and an enrol-site sign-in
// a 503 page that says so; a send2fatoken is answered "server busy" and
// the socket stays open, its code tries uncounted; once there is room the
// same socket completes its login.
func TestBusyServerAnswersBusy(t *testing.T) {
	pool := password.NewPool(int64(servertest.Cheap.Memory)<<10, 10*time.Millisecond)
	s := servertest.NewWith(t, servertest.Options{Rules: account.Config{Hashing: pool}})
	tok := s.Enrol("trader", "trader-pass", s.AddUser("trader", "trader-pass"))
	s.Clock.Advance(30 * time.Second)
	code, err := tok.Code(s.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	held, err := pool.Acquire(context.Background(), servertest.Cheap)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Dial()
	if r := c.Login("trader", "trader-pass", code); r.Result != wire.ResultBusy {
		t.Fatalf("login while busy: %+v", r)
	}
	c.Close()
	held.Release()
	pending := s.Dial()
	if r := pending.Login("trader", "trader-pass", ""); r.Result != wire.ResultNeed2FA {
		t.Fatalf("login without a passcode: %+v", r)
	}
	if held, err = pool.Acquire(context.Background(), servertest.Cheap); err != nil {
		t.Fatal(err)
	}
	for range 4 { // more than the socket's 3 code tries: none is counted
		if r := pending.Send(map[string]string{"type": "send2fatoken", "2fatoken": "000000"}); r.Result != wire.ResultBusy {
			t.Fatalf("send2fatoken while busy: %+v", r)
		}
	}
	b := servertest.NewBrowser(t, s.URL)
	b.Get("")
	if status, body := b.Post("", url.Values{"userid": {"trader"}, "password": {"trader-pass"}}); status != http.StatusServiceUnavailable ||
		!strings.Contains(body, "The server is busy") {
		t.Fatalf("enrol site sign-in while busy: %d %s", status, body)
	}
	held.Release()
	if r := pending.Send(map[string]string{"type": "send2fatoken", "2fatoken": code}); r.Result != wire.ResultOK {
		t.Fatalf("send2fatoken on the same socket once there is room: %+v", r)
	}
}

// dialAll opens a socket from each address of from, eight at a time,
// each with its challenge, and fails the test if the server refuses one.
// The sockets close when the test ends.
func dialAll(t *testing.T, s *servertest.Server, from []string) []*servertest.Client {
	t.Helper()
	out := make([]*servertest.Client, len(from))
	t.Cleanup(func() {
		for _, c := range out {
			if c != nil {
				c.Close()
			}
		}
	})
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(from); i = int(next.Add(1) - 1) {
				c, status, err := s.TryDial(from[i], nil)
				if err != nil {
					t.Errorf("socket %d, from %s: HTTP %d: %v", i+1, from[i], status, err)
					return
				}
				out[i] = c
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return out
}

// closedOf counts the sockets of cs the server closes within wait.
func closedOf(cs []*servertest.Client, wait time.Duration) int {
	var closed atomic.Int64
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(func() {
			if c.Closed(wait) != 0 {
				closed.Add(1)
			}
		})
	}
	wg.Wait()
	return int(closed.Load())
}

// TestIdleSocketsCannotShutOutALogin is issue 21's figure: 1,000 sockets
// that never log in, 10 from each of 100 addresses (inside every
// per-address limit), fill --max-pending-logins (1,000 by default); a
// trader from another address must still connect and log in. The oldest
// idle socket of the busiest addresses makes room for it, closed with
// 1013 (try again later); every other idle socket stays open.
func TestIdleSocketsCannotShutOutALogin(t *testing.T) {
	// The defaults, but a login timeout that outlasts filling the table
	// on a loaded machine.
	s := servertest.NewWith(t, servertest.Options{WS: ws.Config{LoginTimeout: 2 * time.Minute}})
	tok := s.Enrol("trader", "trader-pass", s.AddUser("trader", "trader-pass"))
	var from []string
	for a := range 100 {
		for range 10 {
			from = append(from, fmt.Sprintf("127.0.1.%d", a+1))
		}
	}
	oldest := dialAll(t, s, from[:1])[0]
	idle := dialAll(t, s, from[1:])
	s.Clock.Advance(30 * time.Second)
	code, err := tok.Code(s.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	c, status, err := s.TryDial("", nil)
	if err != nil {
		t.Fatalf("a trader's socket, with %d idle ones open: HTTP %d: %v", len(from), status, err)
	}
	defer c.Close()
	if r := c.Login("trader", "trader-pass", code); r.Result != wire.ResultOK {
		t.Fatalf("the trader's login: %+v", r)
	}
	if got := oldest.Closed(5 * time.Second); got != websocket.CloseTryAgainLater {
		t.Errorf("the oldest idle socket: close code %d, want %d (try again later)", got, websocket.CloseTryAgainLater)
	}
	if n := closedOf(idle, time.Second); n != 0 {
		t.Errorf("%d more idle sockets closed: one trader needs one place", n)
	}
}

// TestPendingSocketsShareByAddress: with room for 3 sockets not logged
// in, 2 from one address, a third socket from one address is refused
// with HTTP 429; once all 3 are taken, each newcomer takes the place of
// the oldest idle socket of the busiest address (closed with 1013), and a
// newcomer from an address as busy as the busiest is refused with 503. A
// socket waiting for its security answers goes only after every socket
// that proved nothing, and a logged-in socket never: both carry on.
func TestPendingSocketsShareByAddress(t *testing.T) {
	many := ratelimit.Rate{PerMinute: 10_000, Burst: 10_000}
	s := servertest.NewWith(t, servertest.Options{WS: ws.Config{MaxPendingLogins: 3, MaxPendingPerAddr: 2, Connections: many, Challenges: many}})
	initial := s.AddUser("trader", "trader-pass")
	admin := s.Dial()
	defer admin.Close()
	if r := admin.Login("admin", "admin-password", ""); r.Result != wire.ResultOK {
		t.Fatalf("admin login: %+v", r)
	}
	refused := func(from string, want int) {
		t.Helper()
		if c, status, _ := s.TryDial(from, nil); c != nil || status != want {
			t.Fatalf("a socket from %s: HTTP %d, want %d", from, status, want)
		}
	}
	dial := func(from string) *servertest.Client { t.Helper(); return dialAll(t, s, []string{from})[0] }
	a := []*servertest.Client{dial("127.0.3.1"), dial("127.0.3.1")}
	refused("127.0.3.1", http.StatusTooManyRequests)
	enrol := dial("127.0.3.2")
	r := enrol.Send(map[string]string{"type": "enrol", "userid": "trader", "pass": enrol.Enc("trader-pass"), "passcode": enrol.Enc(initial)})
	if r.Result != wire.ResultQuestions {
		t.Fatalf("enrol: %+v", r)
	}
	first := dial("127.0.3.4")
	if got := a[0].Closed(5 * time.Second); got != websocket.CloseTryAgainLater {
		t.Fatalf("the oldest socket of the busiest address: close code %d, want %d", got, websocket.CloseTryAgainLater)
	}
	refused("127.0.3.1", http.StatusServiceUnavailable)
	dial("127.0.3.5")
	dial("127.0.3.6")
	for i, c := range []*servertest.Client{a[1], first} {
		if got := c.Closed(5 * time.Second); got != websocket.CloseTryAgainLater {
			t.Errorf("idle socket %d: close code %d, want %d", i+2, got, websocket.CloseTryAgainLater)
		}
	}
	r = enrol.Send(map[string]any{"type": "answers", "answers": []map[string]any{
		{"id": r.Questions[0].ID, "answer": enrol.Enc("Springfield")}, {"id": r.Questions[1].ID, "answer": enrol.Enc("Rex")}}})
	tok, err := servertest.TokenOf(r)
	if err != nil {
		t.Fatalf("answers: %+v: %v", r, err)
	}
	code, err := tok.Code(s.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r := enrol.Send(map[string]string{"type": "confirm", "2fatoken": code}); r.Result != wire.ResultOK {
		t.Errorf("the enrolment's confirm: %+v", r)
	}
	if r := admin.Send(map[string]string{"type": "logout"}); r.Result != wire.ResultOK {
		t.Errorf("the logged-in socket: %+v", r)
	}
}
