//go:build linux

package ws_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
)

// A client decides where its idle socket waits. The waiter hands gorilla
// what it does not take whole (a ping whose start gorilla read ahead
// with the end of a message), and gorilla, once it has answered the
// ping, waits inside ReadMessage for the next message, on the second
// goroutine (readAndHandle), while the socket's own goroutine waits for
// that one: the socket stays there, however long it idles, and costs
// more than in the build before (two goroutines, one with gorilla's deep
// stack, where there was one). A client that does this with each socket
// defeats the memory the change saves (8.5 KB a socket, was 10.7).
func TestAttack7ClientParksItsSocketInGorilla(t *testing.T) {
	msg := frame(websocket.TextMessage, `{"type":"logged-in?"}`)
	ping := frame(websocket.PingMessage, "are you there")
	for _, tc := range []struct {
		name   string
		writes [][]byte
		reply  bool
	}{
		{"a message and a ping's first byte, then the rest of the ping", [][]byte{append(append([]byte{}, msg...), ping[0]), ping[1:]}, true},
	} {
		s := newServer(t, ws.Config{})
		c := s.dial()
		if r := c.login("plain", "plain-password", ""); r.Result != wire.ResultOK {
			t.Fatalf("login: %+v", r)
		}
		pongs := make(chan string, 4)
		c.c.SetPongHandler(func(p string) error { pongs <- p; return nil })
		for _, w := range tc.writes {
			if _, err := c.c.NetConn().Write(w); err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		// The client reads its reply and the pong, and then idles.
		got := make(chan struct{})
		go func() {
			defer close(got)
			_ = c.c.SetReadDeadline(time.Now().Add(time.Second))
			for {
				if _, _, err := c.c.ReadMessage(); err != nil {
					return
				}
			}
		}()
		select {
		case p := <-pongs:
			if p != "are you there" {
				t.Errorf("%s: pong %q", tc.name, p)
			}
		case <-time.After(time.Second):
			t.Errorf("%s: no pong", tc.name)
		}
		<-got
		if n := waitingInGorilla(); n > 0 {
			t.Errorf("%s: the idle socket waits inside gorilla (%d), a second after its last bytes", tc.name, n)
		}
		s.stop()
	}
}

// What the parked sockets cost: the stacks of 200 sockets not logged in,
// idle in the waiter, and then parked inside gorilla by a message and a
// ping's first byte in one write.
func TestAttack7ParkedSocketsCost(t *testing.T) {
	const n = 200
	s := newServer(t, ws.Config{MaxPendingLogins: 2 * n, MaxPendingPerAddr: 2 * n, Connections: ratelimit.Rate{PerMinute: 1 << 30, Burst: 1 << 30}})
	stacks := func() (uint64, int) {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.StackInuse, runtime.NumGoroutine()
	}
	stack0, g0 := stacks()
	cs := make([]*client, n)
	for i := range cs {
		cs[i] = s.dial()
	}
	time.Sleep(200 * time.Millisecond)
	stack1, g1 := stacks()
	msg := frame(websocket.TextMessage, `{"type":"nonsense"}`)
	ping := frame(websocket.PingMessage, "x")
	for _, c := range cs {
		if _, err := c.c.NetConn().Write(append(append([]byte{}, msg...), ping[0])); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond)
	for _, c := range cs {
		if _, err := c.c.NetConn().Write(ping[1:]); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond)
	stack2, g2 := stacks()
	// The test's clients hold n goroutines of neither kind.
	t.Logf("idle in the waiter: %d B of stack and %.1f goroutines a socket", (stack1-stack0)/n, float64(g1-g0)/n)
	t.Logf("parked in gorilla: %d B of stack and %.1f goroutines a socket (%d in ReadMessage)", (stack2-stack0)/n, float64(g2-g0)/n, waitingInGorilla())
	if waitingInGorilla() > 0 {
		t.Errorf("%d of %d sockets parked inside gorilla by their clients", waitingInGorilla(), n)
	}
}
