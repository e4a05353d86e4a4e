package stress

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/wire"
)

// Client speaks the websocket protocol to the server, as a trading
// front-end or a web back-end written to the seed would.
type Client struct {
	ws  *websocket.Conn
	key *rsa.PublicKey
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
	c := &Client{ws: ws}
	ch, err := c.Send(map[string]string{"type": "challenge"})
	if err != nil {
		ws.Close()
		return nil, err
	}
	der, err := base64.StdEncoding.DecodeString(ch.Key)
	if err != nil {
		ws.Close()
		return nil, fmt.Errorf("challenge: %+v", ch)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		ws.Close()
		return nil, fmt.Errorf("challenge key: %w", err)
	}
	c.key = pub.(*rsa.PublicKey)
	return c, nil
}

// Close closes the socket.
func (c *Client) Close() { c.ws.Close() }

// Send sends msg and reads the reply.
func (c *Client) Send(msg any) (wire.Response, error) {
	var r wire.Response
	if err := c.ws.WriteJSON(msg); err != nil {
		return r, fmt.Errorf("send: %w", err)
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(2 * time.Minute))
	if err := c.ws.ReadJSON(&r); err != nil {
		return r, fmt.Errorf("read: %w", err)
	}
	return r, nil
}

// Enc encrypts a password field with the challenge key (PKCS#1 v1.5, as
// the seed's Java sample does).
func (c *Client) Enc(s string) string {
	ct, err := rsa.EncryptPKCS1v15(rand.Reader, c.key, []byte(s))
	if err != nil {
		panic(err) // only for a message longer than the key
	}
	return base64.StdEncoding.EncodeToString(ct)
}

// Login logs in with a password and a passcode ("" for none).
func (c *Client) Login(userID, pw, code string) (wire.Response, error) {
	m := map[string]string{"type": "login", "userid": userID, "pass": c.Enc(pw)}
	if code != "" {
		m["2fatoken"] = code
	}
	return c.Send(m)
}

// Verify sends verifylogin for userID.
func (c *Client) Verify(userID, pw, code string) (wire.Response, error) {
	return c.Send(map[string]string{"type": "verifylogin", "userid": userID, "pass": c.Enc(pw), "2fatoken": code})
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
