package ws_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

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
