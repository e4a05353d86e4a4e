package ws_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/ws"
)

// dialFrom dials s from the loopback address local (another client
// address to the table of sockets not logged in).
func dialFrom(t *testing.T, s *server, local string) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
		return nd.DialContext(ctx, network, addr)
	}}
	c, _, err := d.Dial(s.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// A socket not logged in is evicted for a newcomer from another address
// wherever its client left it: idle in the waiter, waiting for the rest
// of a ping there, or inside gorilla (a ping's first byte read ahead with
// a message). It closes at once with 1013, whatever it was waiting for.
func TestAttack7EvictedWhereverItWaits(t *testing.T) {
	msg := frame(websocket.TextMessage, `{"type":"nonsense"}`)
	ping := frame(websocket.PingMessage, "x")
	for _, tc := range []struct {
		name  string
		bytes []byte
	}{
		{"idle", nil},
		{"the start of a ping", ping[:3]},
		{"a message and a ping's first byte", append(append([]byte{}, msg...), ping[0])},
	} {
		s := newServer(t, ws.Config{MaxPendingLogins: 1, LoginTimeout: 10 * time.Second,
			Connections: ratelimit.Rate{PerMinute: 1 << 30, Burst: 1 << 30}})
		old := dialFrom(t, s, "127.0.0.1")
		if tc.bytes != nil {
			if _, err := old.NetConn().Write(tc.bytes); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(100 * time.Millisecond)
		if tc.bytes != nil && len(tc.bytes) > len(msg) {
			_ = old.SetReadDeadline(time.Now().Add(time.Second))
			if _, _, err := old.ReadMessage(); err != nil { // the reply to the message
				t.Fatalf("%s: %v", tc.name, err)
			}
		}
		dialFrom(t, s, "127.0.0.2")
		start := time.Now()
		_ = old.SetReadDeadline(start.Add(3 * time.Second))
		var err error
		for err == nil {
			_, _, err = old.ReadMessage()
		}
		if !websocket.IsCloseError(err, websocket.CloseTryAgainLater) {
			t.Errorf("%s: evicted, the old socket ends with %v after %s", tc.name, err, time.Since(start).Round(time.Millisecond))
		}
		s.stop()
	}
}
