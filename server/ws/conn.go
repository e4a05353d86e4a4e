package ws

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/fair"
	"github.com/softtoken/softtoken/server/wire"
)

// conn is one websocket connection: the socket, and the protocol state
// that its steps (peer.step) read and return. The serving goroutine alone
// runs the steps and writes st, with wmu held: the keeper of the session
// lease reads st.grant.
type conn struct {
	peer
	ws  *websocket.Conn
	wmu sync.Mutex
	// idle waits for the next message outside gorilla (nil: gorilla
	// waits); midMessage is set while gorilla reads a message that has
	// begun (the idle wait saw its first bytes).
	idle       *idleWaiter
	midMessage bool
	// entry is the socket's place among those not logged in yet (nil once
	// logged in); it is busy while the socket handles a message.
	entry *fair.Entry[*conn]
	st    state
}

// serve reads a message, takes the protocol's step and writes the reply,
// until the socket closes. Between messages the socket waits outside
// gorilla where it can (idle.go); the message is read and handled on a
// goroutine that ends with it: the deep stack of a login (JSON, RSA,
// argon2id, SQL) and of gorilla's read grows that goroutine's stack, not
// this one's, which waits as long as the socket lives (8 KB a socket
// otherwise; docs/benchmarks.md).
func (c *conn) serve(ctx context.Context) {
	defer c.close()
	// Messages a little over the limit get a "message too big" reply
	// (wire.Decode refuses them); far larger ones are cut off by the read
	// limit, and the socket closes with status 1009.
	c.ws.SetReadLimit(4 * wire.MaxMessageBytes)
	_ = c.ws.SetReadDeadline(time.Now().Add(c.h.cfg.LoginTimeout))
	c.ws.SetPongHandler(c.pong)
	for {
		if !c.setBusy(false) {
			return // evicted
		}
		if c.idle == nil {
			kind, data, err := c.ws.ReadMessage()
			if err != nil || !c.setBusy(true) {
				return // closed, timed out, evicted, or over the read limit (gorilla sends close 1009)
			}
			if !c.await(func() bool { return c.handle(ctx, kind, data) }) {
				return
			}
		} else if c.idle.wait(c.control) != nil || !c.await(func() bool { return c.readAndHandle(ctx) }) {
			return // closed, timed out, evicted, or the message ends the socket
		}
	}
}

// await runs f on a goroutine of its own and waits for it; it reports
// what f does.
func (c *conn) await(f func() bool) bool {
	goOn := make(chan bool, 1)
	go func() { goOn <- f() }()
	return <-goOn
}

// readAndHandle reads a message and answers it; it reports whether the
// socket goes on.
func (c *conn) readAndHandle(ctx context.Context) bool {
	c.midMessage = true
	kind, data, err := c.ws.ReadMessage()
	c.midMessage = false
	if err != nil || !c.setBusy(true) {
		return false // closed, timed out, evicted, or over the read limit (gorilla sends close 1009)
	}
	return c.handle(ctx, kind, data)
}

// pong keeps a logged-in socket alive. Before that, a client's own pongs
// must not push back the login, SMS or enrolment deadline; nor, once a
// message has begun, the time it has to arrive whole (the socket's
// reads, where pongs are taken, alone write c.st and midMessage).
func (c *conn) pong(string) error {
	if c.st.stage != stageLoggedIn || c.midMessage {
		return nil
	}
	return c.ws.SetReadDeadline(time.Now().Add(c.h.cfg.IdleTimeout))
}

// control answers a ping or pong that the socket took while waiting, as
// gorilla answers those it reads: a ping gets a pong with its payload.
func (c *conn) control(op byte, payload []byte) error {
	if op == opPong {
		return c.pong("")
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.WriteControl(websocket.PongMessage, payload, time.Now().Add(writeWait)); err != nil && !errors.Is(err, websocket.ErrCloseSent) {
		return fmt.Errorf("answer a ping: %w", err)
	}
	return nil
}

// handle answers one message; it reports whether the socket goes on.
func (c *conn) handle(ctx context.Context, kind int, data []byte) bool {
	if kind != websocket.TextMessage {
		return c.reply(reply{Response: wire.Response{Type: wire.TypeError, Result: wire.ResultMalformed, Message: "send JSON text messages"}})
	}
	start := time.Now()
	next, r := c.step(ctx, c.st, data)
	c.apply(next, r)
	count(c.h.cfg.Metrics, r.Response, time.Since(start))
	return c.reply(r)
}

// reply writes a step's reply; it reports whether the socket goes on. A
// socket is idle again once its reply goes out: a client that has it
// finds its socket as the table of sockets not logged in counts it (a
// slow reader of its replies may be evicted meanwhile; the reply is
// written all the same).
func (c *conn) reply(r reply) bool {
	if !c.setBusy(false) {
		return false // evicted
	}
	return c.write(r.Response) == nil && !r.close
}

// apply makes the socket follow a step: the new state, a longer wait for
// a user who types, a place behind strangers for a proved password, and
// the logged-in socket's pings and lease.
func (c *conn) apply(next state, r reply) {
	was := c.st.stage
	c.wmu.Lock()
	c.st = next
	c.wmu.Unlock()
	if r.wait > 0 {
		_ = c.ws.SetReadDeadline(time.Now().Add(r.wait))
	}
	if r.proved != "" {
		c.proved(r.proved)
	}
	if was != stageLoggedIn && next.stage == stageLoggedIn {
		c.loggedIn()
	}
}

// setBusy marks a socket not logged in yet as handling a message (never
// evicted then) or waiting for one; it reports false once the socket was
// evicted.
func (c *conn) setBusy(busy bool) bool {
	return c.entry == nil || c.h.pending.SetBusy(c.entry, busy)
}

// proved moves a socket not logged in yet behind those that proved
// nothing in the order of eviction: its password was right, and it waits
// for a passcode or enrols. The socket counts among userID's: beyond
// MaxPendingPerUser of them, that user's oldest idle one is closed, so
// that a stranger who knows one password cannot fill the table with
// sockets evicted last.
func (c *conn) proved(userID string) {
	if c.entry == nil {
		return
	}
	c.h.pending.Promote(c.entry)
	if victim := c.h.pending.Claim(c.entry, userID); victim != nil {
		_ = victim.Value.ws.NetConn().SetReadDeadline(time.Unix(1, 0)) // as admit's victim
	}
}

func (c *conn) write(resp wire.Response) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
	return c.ws.WriteJSON(resp)
}

// loggedIn moves the socket to the logged-in stage: the login deadline
// gives way to pings and the idle timeout, and the user's session lease is
// kept fresh well within its hold, so that it lapses only when this node
// stops.
func (c *conn) loggedIn() {
	if c.entry != nil {
		c.h.pending.Leave(c.entry) // never evicted while it handles a message
		c.entry = nil
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(c.h.cfg.IdleTimeout))
	keepEvery := max(time.Second, min(2*pingPeriod, c.h.acct.SessionHold()/3))
	c.h.sweep.add(c, keepEvery)
}

// sendPing pings the client; it reports whether the socket goes on.
func (c *conn) sendPing() bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)) == nil
}

// keepSession keeps the user's session lease fresh while the login holds;
// once it no longer does (a reset, a disable), the lease ends and the
// socket closes, so that the real user may log in. It reports whether the
// socket goes on.
func (c *conn) keepSession() bool {
	c.wmu.Lock()
	g := c.st.grant
	c.wmu.Unlock()
	err := c.h.acct.KeepSession(context.Background(), g, c.holder)
	switch {
	case err == nil:
		return true
	case errors.Is(err, account.ErrSignedOut), errors.Is(err, account.ErrDisabled), errors.Is(err, account.ErrLocked):
		c.wmu.Lock()
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "signed out"), time.Now().Add(writeWait))
		c.wmu.Unlock()
		c.ws.Close()
		return false
	}
	c.h.cfg.Logger.Error("keep session", "userid", g.UserID, "err", err)
	return true
}

func (c *conn) close() {
	c.h.sweep.remove(c)
	defer c.h.sockets.Add(-1)
	code, reason := websocket.CloseNormalClosure, ""
	if c.entry != nil && !c.h.pending.Leave(c.entry) {
		code, reason = websocket.CloseTryAgainLater, "server busy: room was made for a newer socket"
		c.h.cfg.Logger.Info("closed a socket not logged in to make room for a newer one", "client", c.addr)
	}
	if c.st.stage == stageLoggedIn && !c.st.user.admin {
		// The request's context may be gone: the lease must end anyway.
		ctx, cancel := context.WithTimeout(context.Background(), writeWait)
		if err := c.h.acct.EndSession(ctx, c.st.grant.UserID, c.holder, c.st.loggedOut); err != nil {
			c.h.cfg.Logger.Error("end session", "userid", c.st.grant.UserID, "err", err)
		}
		cancel()
	}
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	c.wmu.Unlock()
	c.ws.Close()
}
