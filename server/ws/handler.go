// Package ws serves the websocket authentication protocol at /ws
// (docs/protocol.md): challenge, login, send2fatoken, verifylogin, adduser
// and logout, exactly as the protocol seed describes them; and this
// server's extensions: the enrolment (enrol, answers, confirm) and
// verifylogout, which releases a verifylogin's hold.
//
// The package parses messages, calls one method of the rules service
// (server/account) for each and renders its result; it holds no store and
// knows users only by the rules' views. Each connection is served by one
// goroutine (conn.go) that reads a message and, on a goroutine that ends
// with it, takes the connection's step (step.go: state and message in,
// state and reply out, with no socket) and writes the reply; one sweeper
// for all sockets (sweep.go) sends pings and keeps the session lease once
// the user is logged in, and writes are serialised by a mutex. Deadlines, on the
// real clock, bound every wait: a socket that has not logged in within
// LoginTimeout is closed. Sockets not logged in yet are bounded in all and
// per client address (package fair): a new one may take the place of the
// oldest idle one of the busiest address.
package ws

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/challenge"
	"github.com/softtoken/softtoken/server/fair"
	"github.com/softtoken/softtoken/server/metrics"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/request"
	"github.com/softtoken/softtoken/server/wire"
)

// Config tunes the protocol's limits. Zero fields take the defaults.
type Config struct {
	// LoginTimeout closes a socket that has not logged in (default 30 s,
	// as the seed says).
	LoginTimeout time.Duration
	// SMSLoginTimeout is the time an SMS user has, from the moment the
	// text was handed to the gateway, to send its code (default 3
	// minutes): a text takes time to arrive and to be typed.
	SMSLoginTimeout time.Duration
	// IdleTimeout closes a logged-in socket that answers no ping (default 2 min).
	IdleTimeout time.Duration
	// EnrolTimeout is the time an enrolment has, from its first step, to
	// finish: people type their security answers (default 5 minutes).
	EnrolTimeout time.Duration
	// VerifyHoldsSession makes a portal's successful verifylogin hold the
	// user for the session hold (account.Config.SessionHold), as a
	// websocket login that closed without a logout does (default off:
	// docs/protocol.md, "Concurrent access").
	VerifyHoldsSession bool
	// Connections and Challenges limit each client address (defaults
	// DefaultConnections and DefaultChallenges): they slow a flood; the
	// rules' limits per account are what protect a user.
	Connections, Challenges ratelimit.Rate
	// Issuer names the server in the tokens it enrols (the enrol URL's
	// host, from configuration: never from a request's Host header, which
	// a client chooses).
	Issuer string
	// MaxCodeTries is how many wrong send2fatoken a socket may send before
	// it is closed (default 3).
	MaxCodeTries int
	// MaxSockets bounds the open websockets (default DefaultMaxSockets):
	// beyond it a new socket is refused at the upgrade with HTTP 503 and
	// a Retry-After, whatever address it comes from.
	MaxSockets int
	// MaxPendingLogins bounds the sockets that have not logged in yet,
	// enrolments included (default DefaultMaxPendingLogins), and
	// MaxPendingPerAddr those of one client address (default
	// DefaultMaxPendingPerAddr): an address over its share is refused
	// with HTTP 429. When all are taken, a newcomer takes the place of
	// the oldest idle socket of the busiest address (package fair),
	// which is closed with 1013 (try again later); a newcomer from an
	// address as busy as the busiest is refused with HTTP 503. A socket
	// that proved a password (waiting for its SMS passcode, or enrolling)
	// goes only when no socket that proved nothing is left; one in the
	// middle of a message, or logged in, never.
	MaxPendingLogins  int
	MaxPendingPerAddr int
	// Metrics counts logins and verifications by result, and their
	// latency (nil: not counted).
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	// Now is the clock of the concurrent-access hold; socket deadlines and
	// the per-address rate limits, which are about traffic, use the real
	// clock.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.LoginTimeout, DefaultLoginTimeout)
	def(&c.SMSLoginTimeout, DefaultSMSLoginTimeout)
	def(&c.IdleTimeout, DefaultIdleTimeout)
	def(&c.EnrolTimeout, DefaultEnrolTimeout)
	c.Connections, c.Challenges = c.Connections.Or(DefaultConnections), c.Challenges.Or(DefaultChallenges)
	if c.MaxCodeTries <= 0 {
		c.MaxCodeTries = DefaultMaxCodeTries
	}
	if c.MaxSockets <= 0 {
		c.MaxSockets = DefaultMaxSockets
	}
	if c.MaxPendingLogins <= 0 {
		c.MaxPendingLogins = DefaultMaxPendingLogins
	}
	if c.MaxPendingPerAddr <= 0 {
		c.MaxPendingPerAddr = DefaultMaxPendingPerAddr
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// The default per-address limits: 30 new sockets and 30 challenges a
// minute, 10 at once. Behind a NAT, where many clients share an address,
// set them higher (docs/deploy.md).
var (
	DefaultConnections = ratelimit.Rate{PerMinute: 30, Burst: 10}
	DefaultChallenges  = ratelimit.Rate{PerMinute: 30, Burst: 10}
)

// Defaults of the caps on sockets: a logged-in socket costs the server
// about 9 KB, one that has not logged in may be about to cost a password
// check. One address's share of those not logged in is the burst of
// DefaultConnections; behind a NAT, raise it with them (docs/deploy.md).
const (
	DefaultMaxSockets        = 20_000
	DefaultMaxPendingLogins  = 1_000
	DefaultMaxPendingPerAddr = 10
	// MaxPendingPerUser bounds the sockets of one user that proved the
	// password and wait for a passcode or enrol: a person needs one, two
	// when a retry overlaps.
	MaxPendingPerUser = 2
)

// Handler is the http.Handler of /ws.
type Handler struct {
	acct     *account.Service
	keys     *challenge.Keys
	cfg      Config
	conns    *ratelimit.Limiter
	chals    *ratelimit.Limiter
	upgrader websocket.Upgrader
	// sockets counts the open sockets; pending holds those not logged in
	// yet.
	sockets atomic.Int64
	pending *fair.Table[*conn]
	// sweep pings the logged-in sockets and keeps their leases.
	sweep sweeper
}

// New returns the /ws handler.
func New(a *account.Service, keys *challenge.Keys, cfg Config) *Handler {
	cfg = cfg.withDefaults()
	return &Handler{
		acct: a, keys: keys, cfg: cfg,
		conns:   cfg.Connections.Limiter(),
		chals:   cfg.Challenges.Limiter(),
		pending: fair.New[*conn](fair.Limits{Max: cfg.MaxPendingLogins, PerAddr: cfg.MaxPendingPerAddr, PerKey: MaxPendingPerUser}),
		// Clients are trading front-ends and back-ends, not browsers on
		// other sites: no origin is trusted but a missing one or our own.
		// An idle socket holds no write buffer (they come from a pool for
		// each write) and a small read buffer: a node holds thousands.
		// The read buffer is the socket's own (upgrade); gorilla
		// reuses it.
		upgrader: websocket.Upgrader{HandshakeTimeout: 10 * time.Second, WriteBufferSize: 1024,
			WriteBufferPool: &sync.Pool{}},
	}
}

// Timing constants of a connection.
const (
	writeWait  = 10 * time.Second
	pingPeriod = 30 * time.Second
)

// readBufferSize is a socket's read buffer: a frame header (14 bytes)
// and a control frame's payload (125) fit, and a longer message is read
// through it in pieces. Gorilla reuses a hijacked reader of more than
// 256 bytes; 288 costs what 257 would (the allocator's size class). The
// idle wait depends on that reuse to see what gorilla read ahead: were
// gorilla to read through a buffer of its own, the second of two
// messages sent in one write would wait for the next bytes
// (TestIdleSocketTakesWhatArrives).
const readBufferSize = 288

// ServeHTTP upgrades a request to a websocket, within the per-address
// connection limit and the caps on sockets, and serves it until it
// closes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	addr := request.ClientAddr(r)
	if !h.conns.Allow(addr, time.Now()) {
		http.Error(w, wire.ResultRateLimited, http.StatusTooManyRequests)
		return
	}
	c := &conn{peer: peer{h: h, holder: account.NewHolder(), addr: addr}}
	switch err := h.admit(c); {
	case errors.Is(err, fair.ErrAddrFull):
		w.Header().Set("Retry-After", "5")
		http.Error(w, wire.ResultRateLimited, http.StatusTooManyRequests)
		return
	case err != nil:
		w.Header().Set("Retry-After", "5")
		http.Error(w, wire.ResultBusy, http.StatusServiceUnavailable)
		return
	}
	ws, br, err := h.upgrade(w, r)
	if err != nil {
		h.pending.Leave(c.entry)
		h.sockets.Add(-1)
		return // the upgrader has answered
	}
	c.ws, c.idle = ws, newIdleWaiter(ws.NetConn(), br)
	// The socket is served on a goroutine of its own, and ServeHTTP
	// returns: the HTTP server's buffers and deep stack of the upgrade are
	// let go, which an idle socket would otherwise hold for its lifetime.
	// The request's context ends when ServeHTTP returns, and holds the
	// HTTP connection's state: the socket's steps get a context of their
	// own (the rules read no value from it; c.addr is the client).
	go c.serve(context.Background())
}

// upgrade upgrades the request to a websocket whose read buffer is br,
// so that the socket's waiter (idle.go) can see what gorilla has read
// ahead: gorilla has no way to tell.
func (h *Handler) upgrade(w http.ResponseWriter, r *http.Request) (*websocket.Conn, *bufio.Reader, error) {
	hw := &hijacker{ResponseWriter: w}
	ws, err := h.upgrader.Upgrade(hw, r, nil)
	if err != nil {
		return nil, nil, err
	}
	return ws, hw.br, nil
}

// hijacker hands gorilla's upgrade a read buffer of the socket's own
// (br), which gorilla reuses (its ReadBufferSize is 0): the connection's
// HTTP read buffer, 4 KB, is let go.
type hijacker struct {
	http.ResponseWriter
	br *bufio.Reader
}

// Hijack takes the connection over from the HTTP server.
func (h *hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil || brw.Reader.Buffered() > 0 {
		return nc, brw, err // gorilla refuses bytes sent before the handshake's end
	}
	h.br = bufio.NewReaderSize(nc, readBufferSize)
	return nc, bufio.NewReadWriter(h.br, brw.Writer), nil
}

// admit counts a new socket, not logged in yet, if the caps allow it,
// busy until it waits for its first message; the socket evicted to make
// room for it, if any, is told to close.
func (h *Handler) admit(c *conn) error {
	if h.sockets.Add(1) > int64(h.cfg.MaxSockets) {
		h.sockets.Add(-1)
		return fair.ErrFull
	}
	e, victim, err := h.pending.Admit(c.addr, c, fair.Anonymous, true)
	if err != nil {
		h.sockets.Add(-1)
		return err
	}
	c.entry = e
	if victim != nil {
		// The victim waits for a message on its own goroutine (it is not
		// busy): a read deadline in the past wakes it, and it closes
		// itself (conn.close). Its net.Conn may be called from any
		// goroutine.
		_ = victim.Value.ws.NetConn().SetReadDeadline(time.Unix(1, 0))
	}
	return nil
}

// Sockets reports the open sockets and those among them not logged in
// yet, for the metrics.
func (h *Handler) Sockets() (open, pending int64) {
	return h.sockets.Load(), int64(h.pending.Len())
}

// Evicted reports how many sockets not logged in were closed to make
// room for newcomers, for the metrics.
func (h *Handler) Evicted() uint64 { return h.pending.Evicted() }
