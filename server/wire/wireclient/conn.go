package wireclient

import (
	"context"
	"fmt"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/wire"
)

// Conn is one websocket to the server as a client sees it: one request at
// a time, each answered by one reply. The caller dials the socket (through
// its proxy, from its address, with its TLS settings) and hands it over;
// Conn takes the challenge and sends requests on it. One goroutine sends
// at a time; Close may come from any.
type Conn struct {
	ws      *websocket.Conn
	enc     string
	timeout time.Duration
	key     *Key
}

// NewConn wraps a dialled socket. Its secrets will be encrypted with the
// padding enc (wire.EncPKCS1v15 or wire.EncOAEPSHA256); each Send may take
// timeout to write and as much again to read the reply (0: no limit).
func NewConn(ws *websocket.Conn, enc string, timeout time.Duration) *Conn {
	return &Conn{ws: ws, enc: enc, timeout: timeout}
}

// Close closes the socket, which ends a Send waiting for its reply.
func (c *Conn) Close() error { return c.ws.Close() }

// Key is the challenge's key, nil before Challenge succeeded.
func (c *Conn) Key() *Key { return c.key }

// Send sends msg (a wire.Request, or anything that marshals to the JSON
// a test wants to send) and reads the reply. Cancelling ctx closes the
// socket, which ends the wait at once and the connection with it
// (gorilla/websocket connections do not recover from a failed read).
// Errors wrap the socket's, so that a timeout is a net.Error.
func (c *Conn) Send(ctx context.Context, msg any) (wire.Response, error) {
	stop := context.AfterFunc(ctx, func() { c.ws.Close() })
	defer stop()
	if c.timeout > 0 {
		_ = c.ws.SetWriteDeadline(time.Now().Add(c.timeout))
		_ = c.ws.SetReadDeadline(time.Now().Add(c.timeout))
	}
	if err := c.ws.WriteJSON(msg); err != nil {
		return wire.Response{}, fmt.Errorf("send: %w", err)
	}
	var r wire.Response
	if err := c.ws.ReadJSON(&r); err != nil {
		return wire.Response{}, fmt.Errorf("read the reply: %w", err)
	}
	return r, nil
}

// Challenge asks for the key that encrypts this connection's secrets and
// keeps it. It returns the server's reply with an error that wraps
// ErrRefused for a result other than OK, ErrBadKey for a key that cannot
// encrypt, or the socket's error.
func (c *Conn) Challenge(ctx context.Context) (wire.Response, error) {
	ch, err := c.Send(ctx, wire.Request{Type: wire.TypeChallenge})
	if err != nil {
		return ch, fmt.Errorf("challenge: %w", err)
	}
	if ch.Result != wire.ResultOK {
		return ch, fmt.Errorf("%w: %s", ErrRefused, ch.Result)
	}
	if c.key, err = ParseKey(ch.Key, c.enc); err != nil {
		return ch, fmt.Errorf("challenge: %w", err)
	}
	return ch, nil
}

// Login logs in with a password and a passcode ("" for none).
func (c *Conn) Login(ctx context.Context, userID, password, passcode string) (wire.Response, error) {
	return c.withPassword(ctx, wire.TypeLogin, userID, password, passcode)
}

// VerifyLogin sends a back-end's verifylogin for userID.
func (c *Conn) VerifyLogin(ctx context.Context, userID, password, passcode string) (wire.Response, error) {
	return c.withPassword(ctx, wire.TypeVerifyLogin, userID, password, passcode)
}

func (c *Conn) withPassword(ctx context.Context, typ, userID, password, passcode string) (wire.Response, error) {
	if c.key == nil {
		return wire.Response{}, fmt.Errorf("%s: %w", typ, ErrNoChallenge)
	}
	req, err := c.key.withPassword(typ, userID, password, passcode)
	if err != nil {
		return wire.Response{}, err
	}
	return c.Send(ctx, req)
}
