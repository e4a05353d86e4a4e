package ws_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
)

// A flood of pings of every length up to 125 bytes, cut at odd places
// and mixed with messages and pongs, before and after the login: every
// ping gets its pong, in order, every message its reply, and the byte
// stream stays in step (the last message is answered).
func TestAttack7PingFloodStaysInStep(t *testing.T) {
	for _, login := range []bool{false, true} {
		s := newServer(t, ws.Config{})
		c := s.dial()
		if login {
			if r := c.login("plain", "plain-password", ""); r.Result != wire.ResultOK {
				t.Fatalf("login: %+v", r)
			}
		}
		var want []string
		var stream []byte
		msgs := 0
		for i := range 126 {
			p := strings.Repeat(string(rune('a'+i%26)), i)
			want = append(want, p)
			stream = append(stream, frame(websocket.PingMessage, p)...)
			stream = append(stream, frame(websocket.PongMessage, p)...)
			if i%17 == 0 {
				stream = append(stream, frame(websocket.TextMessage, `{"type":"sync"}`)...)
				msgs++
			}
		}
		pongs := make(chan string, len(want))
		c.c.SetPongHandler(func(p string) error { pongs <- p; return nil })
		for i, cut := 0, 1; i < len(stream); cut = cut*7%97 + 1 {
			j := min(len(stream), i+cut)
			if _, err := c.c.NetConn().Write(stream[i:j]); err != nil {
				t.Fatal(err)
			}
			i = j
			if cut%5 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		for range msgs {
			if r := c.read(); r.Type != "sync" {
				t.Fatalf("login %v: %+v", login, r)
			}
		}
		if r := c.send(map[string]string{"type": "sync"}); r.Type != "sync" {
			t.Fatalf("login %v: the last message: %+v", login, r)
		}
		var got []string
		for len(got) < len(want) {
			select {
			case p := <-pongs:
				got = append(got, p)
			case <-time.After(time.Second):
				t.Fatalf("login %v: %d pongs of %d", login, len(got), len(want))
			}
		}
		if !bytes.Equal([]byte(fmt.Sprint(got)), []byte(fmt.Sprint(want))) {
			t.Errorf("login %v: pongs out of order or wrong", login)
		}
		s.stop()
	}
}
