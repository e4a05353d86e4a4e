package servertest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/wire"
)

// Client is a raw websocket client of the protocol, as a trading
// front-end or back-end written to the seed would be: it sends what a
// test says and reads one reply per message.
type Client struct {
	t   testingT
	ws  *websocket.Conn
	key *rsa.PublicKey
}

// testingT is what a Client needs of a test.
type testingT interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// Dial connects to the server's websocket and asks for a challenge.
func (s *Server) Dial() *Client { return s.DialFrom("") }

// DialFrom is Dial from a local address (such as 127.0.0.2: every
// 127.0.0.0/8 address is this machine), to play a second client address.
func (s *Server) DialFrom(localIP string) *Client {
	s.t.Helper()
	c, status, err := s.TryDial(localIP, nil)
	if err != nil {
		s.t.Fatalf("dial (HTTP status %d): %v", status, err)
	}
	return c
}

// TryDial is DialFrom with extra headers on the upgrade request (such as
// a proxy's X-Forwarded-For); it returns the HTTP status of a refused
// upgrade (429 over the per-address limit), or an error for a refused
// challenge, rather than failing the test.
func (s *Server) TryDial(localIP string, h http.Header) (c *Client, status int, err error) {
	s.t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	if localIP != "" {
		nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(localIP)}}
		d.NetDialContext = nd.DialContext
	}
	ws, resp, err := d.Dial(s.WS, h)
	if err != nil {
		if resp != nil {
			status = resp.StatusCode
		}
		return nil, status, err
	}
	c = &Client{t: s.t, ws: ws}
	ch := c.Send(map[string]string{"type": "challenge"})
	der, err := base64.StdEncoding.DecodeString(ch.Key)
	if err != nil || ch.Key == "" {
		ws.Close()
		return nil, http.StatusSwitchingProtocols, fmt.Errorf("challenge: %+v", ch)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		s.t.Fatal(err)
	}
	c.key = pub.(*rsa.PublicKey)
	return c, http.StatusSwitchingProtocols, nil
}

// Close closes the socket.
func (c *Client) Close() { c.ws.Close() }

// Closed waits up to wait for the server to close the socket and returns
// the close frame's code (websocket.CloseTryAgainLater, …); 0 when the
// socket is still open after wait, -1 when it ended without a close
// frame. Whatever the socket receives meanwhile is read and dropped.
func (c *Client) Closed(wait time.Duration) int {
	_ = c.ws.SetReadDeadline(time.Now().Add(wait))
	for {
		_, _, err := c.ws.ReadMessage()
		var ce *websocket.CloseError
		var ne net.Error
		switch {
		case err == nil:
			continue
		case errors.As(err, &ce):
			return ce.Code
		case errors.As(err, &ne) && ne.Timeout():
			return 0
		}
		return -1
	}
}

// Send sends msg and returns the reply; a closed socket replies with an
// empty Response.
func (c *Client) Send(msg any) wire.Response {
	c.t.Helper()
	if err := c.ws.WriteJSON(msg); err != nil {
		return wire.Response{}
	}
	var r wire.Response
	_ = c.ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	if err := c.ws.ReadJSON(&r); err != nil {
		return wire.Response{}
	}
	return r
}

// Enc encrypts a field for the server as the seed's Java sample does
// (PKCS#1 v1.5, base64).
func (c *Client) Enc(s string) string {
	c.t.Helper()
	ct, err := rsa.EncryptPKCS1v15(rand.Reader, c.key, []byte(s))
	if err != nil {
		c.t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(ct)
}

// Login sends a login with a password and a passcode ("" for none).
func (c *Client) Login(userID, pw, code string) wire.Response {
	c.t.Helper()
	m := map[string]string{"type": "login", "userid": userID, "pass": c.Enc(pw)}
	if code != "" {
		m["2fatoken"] = code
	}
	return c.Send(m)
}
