package ws_test

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
)

// A logged-in client that sends the first fragment of a message and then
// only pongs keeps its socket inside gorilla's read of that message for
// as long as it likes: gorilla takes the pongs between fragments, and
// each one pushes the idle deadline back. This was so in the build
// before (one goroutine); now the socket holds two, the second with
// gorilla's deep stack. Not a regression of the deadline, one of the
// cost; a message begun should not have its deadline pushed back by
// pongs.
func TestAttack7PongsKeepAMessageBegunOpen(t *testing.T) {
	const timeout = time.Second
	s := newServer(t, ws.Config{IdleTimeout: timeout})
	c := s.dial()
	if r := c.login("plain", "plain-password", ""); r.Result != wire.ResultOK {
		t.Fatalf("login: %+v", r)
	}
	first := frame(websocket.TextMessage, `{"type":`)
	first[0] &^= 0x80 // not final
	if _, err := c.c.NetConn().Write(first); err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		for {
			if _, _, err := c.c.ReadMessage(); err != nil {
				return
			}
		}
	}()
	start := time.Now()
	for time.Since(start) < 3*timeout {
		select {
		case <-closed:
			return // the message's deadline held
		case <-time.After(200 * time.Millisecond):
		}
		if _, err := c.c.NetConn().Write(frame(websocket.PongMessage, "")); err != nil {
			return
		}
	}
	t.Errorf("a message begun %s ago, its idle timeout %s, is still read (%d sockets inside gorilla)", time.Since(start).Round(time.Millisecond), timeout, waitingInGorilla())
}
