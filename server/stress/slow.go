package stress

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// The short timeouts SlowClients gives the server, so that the scenario
// takes seconds; the defaults are in serve --help.
const (
	slowHeaderTimeout = 2 * time.Second
	slowLoginTimeout  = 3 * time.Second
	// slowGrace is how long after its timeout a slow client may still be
	// connected before it counts as never closed.
	slowGrace = 10 * time.Second
)

// SlowClients opens n connections of each kind of slow client and checks
// that the server closes every one at its timeout: HTTP requests whose
// headers trickle in a byte a second, websockets that never log in, and
// websockets that never log in but answer pings and send pongs (which
// once kept them alive for ever).
func SlowClients(n int) Scenario {
	return Scenario{Name: "slow-clients", Run: func(ctx context.Context, e Env) error {
		db := filepath.Join(e.Dir, "slow-clients.db")
		if _, err := prepare(ctx, db, 0, cheap); err != nil {
			return err
		}
		p, err := e.start(ctx, db, "--http-read-header-timeout", slowHeaderTimeout.String(), "--login-timeout", slowLoginTimeout.String())
		if err != nil {
			return err
		}
		defer p.Stop()
		kinds := []struct {
			name    string
			timeout time.Duration
			run     func(addr, from string) (time.Duration, error)
		}{
			{"trickled HTTP headers", slowHeaderTimeout, trickleHeaders},
			{"websockets that never log in", slowLoginTimeout, func(addr, from string) (time.Duration, error) { return wsNoLogin(addr, from, false) }},
			{"websockets that only send pongs", slowLoginTimeout, func(addr, from string) (time.Duration, error) { return wsNoLogin(addr, from, true) }},
		}
		for k, kind := range kinds {
			closedIn, err := concurrently(n, func(i int) (time.Duration, error) { return kind.run(p.Addr, clientAddr(k*n+i)) }, kind.timeout+slowGrace)
			if err != nil {
				e.Report.Failf("slow-clients: %s: %v", kind.name, err)
				continue
			}
			e.Report.Printf("slow-clients: %d %s closed by the server after %s at most (timeout %s)", n, kind.name, closedIn.Round(100*time.Millisecond), kind.timeout)
		}
		return nil
	}}
}

// concurrently runs n clients at once and returns the longest time one
// stayed connected; a client still connected after limit is an error.
func concurrently(n int, client func(i int) (time.Duration, error), limit time.Duration) (time.Duration, error) {
	var mu sync.Mutex
	var longest time.Duration
	var first error
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := client(i)
			mu.Lock()
			defer mu.Unlock()
			if err == nil && d > limit {
				err = fmt.Errorf("still connected after %s", d.Round(time.Second))
			}
			if err != nil && first == nil {
				first = err
			}
			longest = max(longest, d)
		}()
	}
	wg.Wait()
	return longest, first
}

// trickleHeaders sends a request's headers a byte a second until the
// server closes the connection, and says when it did (at most after 60 s).
func trickleHeaders(addr, from string) (time.Duration, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	start := time.Now()
	req := "GET /secenrol/ HTTP/1.1\r\nHost: stress\r\nX-Slow: "
	if _, err := conn.Write([]byte(req)); err != nil {
		return 0, err
	}
	closed := make(chan struct{})
	go func() {
		_, _ = conn.Read(make([]byte, 1)) // the server closes, or answers 408 and closes
		close(closed)
	}()
	for time.Since(start) < 60*time.Second {
		select {
		case <-closed:
			return time.Since(start), nil
		case <-time.After(time.Second):
			if _, err := conn.Write([]byte("a")); err != nil {
				return time.Since(start), nil
			}
		}
	}
	return time.Since(start), nil
}

// wsNoLogin opens a websocket, asks for a challenge and never logs in
// (sending a pong a second if pongs), and says when the server closed it
// (at most after 60 s).
func wsNoLogin(addr, from string, pongs bool) (time.Duration, error) {
	c, err := Dial(context.Background(), addr, from, nil)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	start := time.Now()
	done := make(chan struct{})
	go c.Idle(done)
	for time.Since(start) < 60*time.Second {
		select {
		case <-done:
			return time.Since(start), nil
		case <-time.After(time.Second):
			if pongs {
				_ = c.ws.WriteControl(websocket.PongMessage, nil, time.Now().Add(time.Second))
			}
		}
	}
	return time.Since(start), nil
}
