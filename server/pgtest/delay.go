package pgtest

import (
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Delayed returns dsn through a proxy on loopback that holds every chunk
// of bytes d before passing it on, in each direction: a round trip to the
// database through it takes 2×d more, as across data centres or zones.
// Order and content are kept; the proxy closes with the test. trips
// counts the round trips on the wire so far: the times a client spoke
// after the database had (or first), on every connection.
func Delayed(t testing.TB, dsn string, d time.Duration) (delayed string, trips func() int64) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pgtest: delaying proxy: %v", err)
	}
	p := &delayProxy{ln: ln, to: u.Host, d: d}
	go p.serve()
	t.Cleanup(p.close)
	u.Host = ln.Addr().String()
	return u.String(), p.trips.Load
}

// delayProxy passes connections to to, each chunk d late.
type delayProxy struct {
	ln    net.Listener
	to    string
	d     time.Duration
	mu    sync.Mutex
	conns []net.Conn
	trips atomic.Int64
}

func (p *delayProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.to)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		var serverSpoke atomic.Bool
		serverSpoke.Store(true)
		go p.pass(c, up, func() {
			if serverSpoke.Swap(false) {
				p.trips.Add(1)
			}
		})
		go p.pass(up, c, func() { serverSpoke.Store(true) })
	}
}

// chunk is bytes read, and when they may be written.
type chunk struct {
	b   []byte
	due time.Time
}

// pass copies from src to dst, each chunk p.d after it was read, and
// calls read for each chunk read; when either side ends, both close.
func (p *delayProxy) pass(src, dst net.Conn, read func()) {
	q := make(chan chunk, 1024)
	go func() {
		defer dst.Close()
		for c := range q {
			time.Sleep(time.Until(c.due))
			if _, err := dst.Write(c.b); err != nil {
				src.Close()
				for range q {
				}
				return
			}
		}
	}()
	defer close(q)
	for {
		buf := make([]byte, 32<<10)
		n, err := src.Read(buf)
		if n > 0 {
			read()
			q <- chunk{b: buf[:n], due: time.Now().Add(p.d)}
		}
		if err != nil {
			return
		}
	}
}

func (p *delayProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}
