package ws_test

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
)

// Nothing a client sends between messages but a pong from a logged-in
// socket pushes its deadline back: pings, pongs before the login, the
// pieces of a ping, one byte at a time.
func TestAttack7ControlFramesDoNotExtendDeadlines(t *testing.T) {
	const timeout = time.Second
	ping := frame(websocket.PingMessage, "keep me")
	for _, tc := range []struct {
		name     string
		loggedIn bool
		feed     func(i int) []byte // the bytes sent every 100 ms
	}{
		{"pings before the login", false, func(int) []byte { return ping }},
		{"pongs before the login", false, func(int) []byte { return frame(websocket.PongMessage, "") }},
		{"a ping and a pong in turn before the login", false, func(i int) []byte {
			if i%2 == 0 {
				return ping
			}
			return frame(websocket.PongMessage, "x")
		}},
		{"a ping byte by byte before the login", false, func(i int) []byte { return ping[i%len(ping) : i%len(ping)+1] }},
		{"pings after the login", true, func(int) []byte { return ping }},
		{"a ping byte by byte after the login", true, func(i int) []byte { return ping[i%len(ping) : i%len(ping)+1] }},
	} {
		s := newServer(t, ws.Config{LoginTimeout: timeout, IdleTimeout: timeout})
		c := s.dial()
		if tc.loggedIn {
			if r := c.login("plain", "plain-password", ""); r.Result != wire.ResultOK {
				t.Fatalf("login: %+v", r)
			}
		}
		closed := make(chan time.Time, 1)
		go func() {
			for {
				if _, _, err := c.c.ReadMessage(); err != nil {
					closed <- time.Now()
					return
				}
			}
		}()
		start := time.Now()
		var end time.Time
	feed:
		for i := 0; time.Since(start) < 3*timeout; i++ {
			select {
			case end = <-closed:
				break feed
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := c.c.NetConn().Write(tc.feed(i)); err != nil {
				break
			}
		}
		if end.IsZero() {
			select {
			case end = <-closed:
			case <-time.After(time.Second):
				t.Errorf("%s: the socket lives on %s after the start, its timeout %s", tc.name, time.Since(start).Round(time.Millisecond), timeout)
				s.stop()
				continue
			}
		}
		if took := end.Sub(start); took > timeout+500*time.Millisecond {
			t.Errorf("%s: closed after %s, its timeout %s", tc.name, took.Round(time.Millisecond), timeout)
		}
		s.stop()
	}
}
