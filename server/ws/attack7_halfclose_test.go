//go:build linux

package ws_test

import (
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
)

// cpuTime is the process's user and system time.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// closesWithin reports how long the server took to close c (its close
// frame or the end of the stream), up to limit.
func closesWithin(c *client, limit time.Duration) (time.Duration, bool) {
	start := time.Now()
	_ = c.c.SetReadDeadline(start.Add(limit))
	for {
		if _, _, err := c.c.ReadMessage(); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				return time.Since(start), false
			}
			return time.Since(start), true
		}
	}
}

// A client that sends the start of a ping and then ends its half of the
// stream (FIN) can never finish the frame. Gorilla (the build before,
// and TLS sockets now) meets the end at once (unexpected EOF) and the
// socket closes; the waiter peeks the same few bytes, says "more", and
// parks on the poller, which reports the FIN only once: the dead socket
// is held (its goroutine, its place in the table of sockets not logged
// in, a logged-in user's session lease) until the login or idle timeout.
// A client can thus leave server sockets behind at no cost of its own.
func TestAttack7HalfClosedPartialPingLingers(t *testing.T) {
	const timeout = 4 * time.Second
	prefixes := []struct {
		name  string
		bytes []byte
	}{
		{"a text frame's first byte (gorilla's)", []byte{0x81}},
		{"a ping's first byte", []byte{0x89}},
		{"a ping without its masking key's end", frame(websocket.PingMessage, "x")[:4]},
	}
	for _, loggedIn := range []bool{false, true} {
		for _, p := range prefixes {
			s := newServer(t, ws.Config{LoginTimeout: timeout, IdleTimeout: timeout})
			c := s.dial()
			if loggedIn {
				if r := c.login("plain", "plain-password", ""); r.Result != wire.ResultOK {
					t.Fatalf("login: %+v", r)
				}
			}
			if _, err := c.c.NetConn().Write(p.bytes); err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
			cpu0 := cpuTime(t)
			if err := c.c.NetConn().(*net.TCPConn).CloseWrite(); err != nil {
				t.Fatal(err)
			}
			took, closed := closesWithin(c, timeout/2)
			if spent := cpuTime(t) - cpu0; spent > 50*time.Millisecond && spent > took/2 {
				t.Errorf("logged in %v, %s then FIN: %s of CPU in %s (a spin?)", loggedIn, p.name, spent, took)
			}
			if !closed {
				t.Errorf("logged in %v, %s then FIN: the socket still open %s later (timeout %s)", loggedIn, p.name, took, timeout)
			}
			s.stop()
		}
	}
}
