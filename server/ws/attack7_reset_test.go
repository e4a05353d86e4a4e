package ws_test

import (
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/ws"
)

// A client that sends the start of a ping and then resets its
// connection (RST) has nothing left on its side; the server's socket
// should close at once, as it does for any other bytes (gorilla meets
// ECONNRESET). The waiter peeks the same bytes again (the kernel still
// hands them out before the error), says "more" and parks: the socket,
// and its place among those not logged in (10 an address by default),
// are held until the login timeout.
func TestAttack7ResetAfterPartialPingHoldsTheSocket(t *testing.T) {
	const timeout = 4 * time.Second
	s := newServer(t, ws.Config{})
	cfg := ws.Config{LoginTimeout: timeout, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h := ws.New(s.acct, keys(), cfg)
	srv := httptest.NewServer(h)
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	for _, tc := range []struct {
		name  string
		bytes []byte
	}{
		{"a text frame's first byte (gorilla's)", []byte{0x81}},
		{"a ping's first byte", []byte{0x89}},
		{"a ping without its payload's end", frame(websocket.PingMessage, "abc")[:7]},
	} {
		c, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if open, _ := h.Sockets(); open != 1 {
			t.Fatalf("%s: %d sockets open, want 1", tc.name, open)
		}
		tcp := c.NetConn().(*net.TCPConn)
		if _, err := tcp.Write(tc.bytes); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		_ = tcp.SetLinger(0)
		_ = tcp.Close() // RST
		start := time.Now()
		for time.Since(start) < timeout/2 {
			if open, _ := h.Sockets(); open == 0 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if open, pending := h.Sockets(); open != 0 {
			t.Errorf("%s, then RST: %d sockets open (%d not logged in) %s later; the login timeout is %s",
				tc.name, open, pending, time.Since(start).Round(time.Millisecond), timeout)
			for time.Since(start) < timeout+time.Second { // the next case starts clean
				if open, _ := h.Sockets(); open == 0 {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
}
