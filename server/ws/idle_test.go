package ws_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
)

// frame is a client's frame, final and masked, of at most 125 bytes.
func frame(op byte, payload string) []byte {
	key := []byte{0x37, 0xfa, 0x21, 0x3d}
	b := append([]byte{0x80 | op, 0x80 | byte(len(payload))}, key...)
	for i := range len(payload) {
		b = append(b, payload[i]^key[i%4])
	}
	return b
}

// newTLSServer is newServer serving wss:// from the node itself: there
// gorilla waits for an idle socket's messages (TLS hides the frames from
// the descriptor).
func newTLSServer(t *testing.T, cfg ws.Config) *server {
	t.Helper()
	s := newServer(t, cfg)
	s.srv.Close()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s.srv = httptest.NewTLSServer(ws.New(s.acct, keys(), cfg))
	s.url = "wss" + strings.TrimPrefix(s.srv.URL, "https")
	s.dialer = &websocket.Dialer{TLSClientConfig: s.srv.Client().Transport.(*http.Transport).TLSClientConfig}
	return s
}

// waitingInGorilla counts the server's sockets whose goroutine waits
// inside gorilla's read of a message.
func waitingInGorilla() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "softtoken/server/ws.(*conn)") && strings.Contains(g, "websocket.(*Conn).ReadMessage") {
			n++
		}
	}
	return n
}

// An idle logged-in socket takes the pings and pongs that arrive, and
// every message, however the client's bytes are cut and put together:
// messages, pings and pongs in one write, a ping or a message in pieces.
// Between messages it waits outside gorilla (idle.go): an idle socket
// costs half the memory then (docs/benchmarks.md, "Idle sockets").
func TestIdleSocketTakesWhatArrives(t *testing.T) {
	for _, tls := range []bool{false, true} {
		s := newServer(t, ws.Config{})
		if tls {
			s = newTLSServer(t, ws.Config{})
		}
		c := s.dial()
		if r := c.login("plain", "plain-password", ""); r.Result != wire.ResultOK {
			t.Fatalf("login: %+v", r)
		}
		pongs := make(chan string, 16)
		c.c.SetPongHandler(func(p string) error { pongs <- p; return nil })
		msg := frame(websocket.TextMessage, `{"type":"logged-in?"}`)
		ping := frame(websocket.PingMessage, "are you there")
		for _, tc := range []struct {
			name    string
			writes  [][]byte
			replies int
			pong    string // the payload of the pong owed, if any
		}{
			{"a message", [][]byte{msg}, 1, ""},
			{"two messages in one write", [][]byte{bytes.Join([][]byte{msg, msg}, nil)}, 2, ""},
			{"a pong and a message", [][]byte{bytes.Join([][]byte{frame(websocket.PongMessage, ""), msg}, nil)}, 1, ""},
			{"a message and a ping", [][]byte{bytes.Join([][]byte{msg, ping}, nil)}, 1, "are you there"},
			{"a ping in pieces", [][]byte{ping[:1], ping[1:4], ping[4:9], ping[9:]}, 0, "are you there"},
			{"a pong in pieces and a message", [][]byte{frame(websocket.PongMessage, "x")[:3], bytes.Join([][]byte{frame(websocket.PongMessage, "x")[3:], msg}, nil)}, 1, ""},
			{"a message in pieces", [][]byte{msg[:1], msg[1:7], msg[7:]}, 1, ""},
			{"a message, then a ping in pieces", [][]byte{bytes.Join([][]byte{msg, ping[:5]}, nil), ping[5:]}, 1, "are you there"},
		} {
			for _, w := range tc.writes {
				if _, err := c.c.NetConn().Write(w); err != nil {
					t.Fatalf("TLS %v, %s: %v", tls, tc.name, err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			for range tc.replies {
				if r := c.read(); r.Type != "logged-in?" || r.Result == wire.ResultOK {
					t.Errorf("TLS %v, %s: %+v", tls, tc.name, r)
				}
			}
			// A last message: its reply comes after any pong owed.
			if r := c.send(map[string]string{"type": "sync"}); r.Type != "sync" || r.Result == wire.ResultOK {
				t.Errorf("TLS %v, %s: the next message: %+v", tls, tc.name, r)
			}
			select {
			case p := <-pongs:
				if p != tc.pong {
					t.Errorf("TLS %v, %s: pong %q, want %q", tls, tc.name, p, tc.pong)
				}
			default:
				if tc.pong != "" {
					t.Errorf("TLS %v, %s: no pong", tls, tc.name)
				}
			}
		}
		if tls || runtime.GOOS != "linux" {
			continue // gorilla waits
		}
		deadline := time.Now().Add(2 * time.Second)
		for waitingInGorilla() > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := waitingInGorilla(); n > 0 {
			t.Errorf("%d idle sockets wait inside gorilla", n)
		}
	}
}

// A logged-in socket lives on the client's pongs, taken while it waits,
// and closes at its idle timeout once they stop.
func TestPongsKeepALoggedInSocket(t *testing.T) {
	s := newServer(t, ws.Config{IdleTimeout: time.Second})
	c := s.dial()
	if r := c.login("plain", "plain-password", ""); r.Result != wire.ResultOK {
		t.Fatalf("login: %+v", r)
	}
	for range 12 {
		if err := c.c.WriteControl(websocket.PongMessage, nil, time.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	if r := c.send(map[string]string{"type": "sync"}); r.Type != "sync" {
		t.Fatalf("after 3 s of pongs, twice the idle timeout: %+v", r)
	}
	start := time.Now()
	if !c.closed() {
		t.Fatal("a silent logged-in socket outlived its idle timeout")
	}
	if took := time.Since(start); took < 500*time.Millisecond {
		t.Errorf("closed %s after its last message, before its idle timeout", took)
	}
}
