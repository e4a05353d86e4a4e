package stress

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/wire/wireclient"
)

// replyWait is how long a Client waits for each reply: long, since a
// server under load answers late, and a late answer is measured, not
// failed.
const replyWait = 2 * time.Minute

// Client speaks the websocket protocol to the server, as a trading
// front-end or a web back-end written to the seed would: the protocol's
// one client (wireclient) with PKCS#1 v1.5, the seed's padding, on a
// socket dialled for loopback load.
type Client struct {
	ws   *websocket.Conn
	conn *wireclient.Conn
}

// Dial connects to addr's /ws from the local address from ("" for any)
// with the extra headers h (a proxy's X-Forwarded-For), and asks for a
// challenge.
func Dial(ctx context.Context, addr, from string, h http.Header) (*Client, error) {
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}
	if from != "" {
		nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		d.NetDialContext = nd.DialContext
	}
	ws, resp, err := d.DialContext(ctx, "ws://"+addr+"/ws", h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial: HTTP %d", resp.StatusCode)
		}
		return nil, fmt.Errorf("dial: %w", err)
	}
	c := &Client{ws: ws, conn: wireclient.NewConn(ws, wire.EncPKCS1v15, replyWait)}
	if ch, err := c.conn.Challenge(ctx); err != nil {
		ws.Close()
		return nil, fmt.Errorf("%w (reply %+v)", err, ch)
	}
	return c, nil
}

// Close closes the socket.
func (c *Client) Close() { c.ws.Close() }

// Send sends msg and reads the reply.
func (c *Client) Send(msg any) (wire.Response, error) {
	return c.conn.Send(context.Background(), msg)
}

// Enc encrypts a password field with the challenge key (PKCS#1 v1.5, as
// the seed's Java sample does).
func (c *Client) Enc(s string) string {
	ct, err := c.conn.Key().Encrypt(s)
	if err != nil {
		panic(err) // only for a message longer than the key
	}
	return ct
}

// Login logs in with a password and a passcode ("" for none).
func (c *Client) Login(userID, pw, code string) (wire.Response, error) {
	return c.conn.Login(context.Background(), userID, pw, code)
}

// Verify sends verifylogin for userID.
func (c *Client) Verify(userID, pw, code string) (wire.Response, error) {
	return c.conn.VerifyLogin(context.Background(), userID, pw, code)
}

// Idle reads (and so answers the server's pings) until the socket closes,
// then closes done.
func (c *Client) Idle(done chan<- struct{}) {
	defer close(done)
	_ = c.ws.SetReadDeadline(time.Time{})
	for {
		if _, _, err := c.ws.NextReader(); err != nil {
			return
		}
	}
}
