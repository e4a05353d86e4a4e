package enrolclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/wire/wireclient"
)

// session is one websocket to the server: the protocol's one client
// (wireclient), encrypting every secret with RSA-OAEP and SHA-256, its
// errors turned into the user's words. One step uses it at a time; Close
// of its connection may come from any goroutine.
type session struct {
	c    *Client
	conn *wireclient.Conn
}

func (c *Client) dial(ctx context.Context, wsURL string) (*session, error) {
	u, err := url.Parse(wsURL)
	if err != nil {
		return nil, newErr(KindBadURL, "url", "the enrol URL is not valid: type it as in your welcome mail", err)
	}
	r, err := c.routeFor(ctx, u)
	var pe *pacErr
	switch {
	case ctx.Err() != nil:
		return nil, errCancelled(ctx.Err())
	case errors.As(err, &pe):
		return nil, pacMsg(pe)
	case err != nil:
		return nil, newErr(KindProxy, "", fmt.Sprintf("this PC's proxy setting is not usable (%v): check %s, or ask your administrator", err, proxySettingName), err)
	}
	// The proxies, if any, are dialled here rather than by
	// gorilla/websocket (connectVia says why).
	d := websocket.Dialer{HandshakeTimeout: c.timeout(), TLSClientConfig: c.TLS, Proxy: nil,
		NetDialContext: func(ctx context.Context, _, addr string) (net.Conn, error) { return dialRoute(ctx, r, addr) }}
	dctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	conn, resp, err := d.DialContext(dctx, wsURL, nil)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		return nil, dialErr(ctx, wsURL, r, err)
	}
	return &session{c: c, conn: wireclient.NewConn(conn, wire.EncOAEPSHA256, c.timeout())}, nil
}

func dialErr(ctx context.Context, wsURL string, r route, err error) error {
	u, _ := url.Parse(wsURL)
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var pe *proxyErr
	var re *routeErr
	switch {
	case ctx.Err() != nil:
		return errCancelled(ctx.Err())
	case errors.As(err, &re):
		return routeMsg(re, u.Host)
	case errors.As(err, &pe):
		setting := "this PC's proxy setting (" + proxySettingName + ")"
		if r.script != "" {
			setting = "this PC's automatic proxy configuration script " + r.script
		}
		e := proxyMsg(pe, u.Host, setting)
		e.ProxyScript = r.script
		return e
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		return newErr(KindTLS, "url", fmt.Sprintf("the server %s has a certificate this PC does not trust: check the enrol URL; if it is right, ask your administrator", u.Host), err)
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return newErr(KindTimeout, "url", fmt.Sprintf("the server %s did not answer in time: check the enrol URL, or try again in a moment", u.Host), err)
	case errors.Is(err, websocket.ErrBadHandshake):
		return newErr(KindBadURL, "url", fmt.Sprintf("there is no enrolment service at %s: check the enrol URL in your welcome mail", u.Host), err)
	}
	return newErr(KindUnreachable, "url", fmt.Sprintf("cannot reach the enrolment server %s: check the enrol URL and your network connection", u.Host), err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// roundTrip sends one message and reads the reply, within the step
// timeout. Cancelling ctx closes the socket, which ends the wait at once
// (and the session).
func (s *session) roundTrip(ctx context.Context, req wire.Request) (wire.Response, error) {
	resp, err := s.conn.Send(ctx, req)
	if err != nil {
		return wire.Response{}, s.netErr(ctx, err)
	}
	return resp, nil
}

func (s *session) netErr(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return errCancelled(ctx.Err())
	case isTimeout(err):
		return newErr(KindTimeout, "", "the enrolment server stopped answering: try again in a moment", err)
	}
	return newErr(KindUnreachable, "", "the connection to the enrolment server broke: try again", err)
}

// challenge asks for the key that encrypts this connection's secrets.
func (s *session) challenge(ctx context.Context) error {
	ch, err := s.conn.Challenge(ctx)
	switch {
	case errors.Is(err, wireclient.ErrRefused):
		return resultErr(ch.Result, ch.Message)
	case errors.Is(err, wireclient.ErrBadKey):
		return newErr(KindServer, "", "the enrolment server sent an unusable key: contact your administrator", err)
	case err != nil:
		return s.netErr(ctx, err)
	}
	return nil
}

// encryptErr is the error of a secret the challenge key could not
// encrypt.
func encryptErr(err error) error {
	return newErr(KindServer, "", "cannot encrypt for the enrolment server: contact your administrator", err)
}

// prove runs the challenge and sends the user's proof (password and
// passcode, or a One Swipe code); it returns the server's reply, which
// asks questions, offers the new token, or refuses.
func (s *session) prove(ctx context.Context, p Params) (wire.Response, error) {
	if err := s.challenge(ctx); err != nil {
		return wire.Response{}, err
	}
	userID, key := strings.TrimSpace(p.UserID), s.conn.Key()
	var req wire.Request
	var err error
	if p.OneSwipe != "" {
		req, err = key.EnrolOneSwipe(userID, p.OneSwipe)
	} else {
		req, err = key.Enrol(userID, p.Password, strings.ReplaceAll(p.Passcode, " ", ""))
	}
	if err != nil {
		return wire.Response{}, encryptErr(err)
	}
	resp, err := s.roundTrip(ctx, req)
	if err != nil {
		return wire.Response{}, err
	}
	if e := oneSwipeErr(resp.Result); p.OneSwipe != "" && e != nil {
		return wire.Response{}, e
	}
	return resp, nil
}

// answer sends the chosen question IDs with their answers, encrypted.
func (s *session) answer(ctx context.Context, answers map[int]string) (wire.Response, error) {
	req, err := s.conn.Key().Answers(answers)
	if err != nil {
		return wire.Response{}, encryptErr(err)
	}
	return s.roundTrip(ctx, req)
}

// confirm sends a code of the new token. It takes no context: once the
// code is sent, the reply must be read whatever the user does, or the
// client would not know whether the server switched to the new token. It
// returns when the token takes over if it waits for the user's
// confirmation by mail (zero: it is the user's now).
func (s *session) confirm(code string) (time.Time, error) {
	resp, err := s.roundTrip(context.Background(), wire.Request{Type: wire.TypeConfirm, TwoFAToken: code})
	if err != nil {
		return time.Time{}, err
	}
	if resp.Result != wire.ResultOK {
		return time.Time{}, resultErr(resp.Result, resp.Message)
	}
	if resp.ActiveFrom > 0 {
		return time.Unix(resp.ActiveFrom, 0), nil
	}
	return time.Time{}, nil
}
