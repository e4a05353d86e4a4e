package enrolclient

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/wire"
)

// encOAEP names the padding of every secret the client encrypts
// (wire.Request.Enc): RSA-OAEP with SHA-256.
const encOAEP = "oaep-sha256"

// session is one websocket to the server. One step uses it at a time;
// Close of its connection may come from any goroutine.
type session struct {
	c   *Client
	ws  *websocket.Conn
	key *rsa.PublicKey // the challenge's key, which encrypts every secret
}

func (c *Client) dial(ctx context.Context, wsURL string) (*session, error) {
	u, err := url.Parse(wsURL)
	if err != nil {
		return nil, newErr(KindBadURL, "url", "the enrol URL is not valid: type it as in your welcome mail", err)
	}
	proxy, err := c.proxyFor(u)
	if err != nil {
		return nil, newErr(KindProxy, "", fmt.Sprintf("this PC's proxy setting is not usable (%v): check %s, or ask your administrator", err, proxySettingName), err)
	}
	// The proxy, if any, is dialled here rather than by gorilla/websocket
	// (connectVia says why).
	d := websocket.Dialer{HandshakeTimeout: c.timeout(), TLSClientConfig: c.TLS, Proxy: nil}
	if proxy != nil {
		d.NetDialContext = func(ctx context.Context, _, addr string) (net.Conn, error) { return connectVia(ctx, proxy, addr) }
	}
	dctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	conn, resp, err := d.DialContext(dctx, wsURL, nil)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		err := dialErr(ctx, wsURL, err)
		if k := KindOf(err); proxy == nil && (k == KindUnreachable || k == KindTimeout) {
			var e *Error
			if hint := c.autoConfigHint(); hint != "" && errors.As(err, &e) {
				e.Msg += hint
			}
		}
		return nil, err
	}
	return &session{c: c, ws: conn}, nil
}

func dialErr(ctx context.Context, wsURL string, err error) error {
	u, _ := url.Parse(wsURL)
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var pe *proxyErr
	switch {
	case ctx.Err() != nil:
		return errCancelled(ctx.Err())
	case errors.As(err, &pe):
		return proxyMsg(pe, u.Host)
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
// (and the session: gorilla/websocket connections do not recover from a
// failed read).
func (s *session) roundTrip(ctx context.Context, req wire.Request) (wire.Response, error) {
	stop := context.AfterFunc(ctx, func() { s.ws.Close() })
	defer stop()
	_ = s.ws.SetWriteDeadline(time.Now().Add(s.c.timeout()))
	_ = s.ws.SetReadDeadline(time.Now().Add(s.c.timeout()))
	if err := s.ws.WriteJSON(req); err != nil {
		return wire.Response{}, s.netErr(ctx, err)
	}
	var resp wire.Response
	if err := s.ws.ReadJSON(&resp); err != nil {
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
	ch, err := s.roundTrip(ctx, wire.Request{Type: wire.TypeChallenge})
	if err != nil {
		return err
	}
	if ch.Result != wire.ResultOK {
		return resultErr(ch.Result, ch.Message)
	}
	if s.key, err = parseKey(ch.Key); err != nil {
		return newErr(KindServer, "", "the enrolment server sent an unusable key: contact your administrator", err)
	}
	return nil
}

// parseKey decodes a challenge's key: base64 of an X.509
// SubjectPublicKeyInfo holding an RSA key.
func parseKey(b64 string) (*rsa.PublicKey, error) {
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("decode the challenge key: %w", err)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse the challenge key: %w", err)
	}
	key, ok := pub.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("the challenge key is a %T, not an RSA key", pub)
	}
	return key, nil
}

func (s *session) encrypt(secret string) (string, error) {
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, s.key, []byte(secret), nil)
	if err != nil {
		return "", newErr(KindServer, "", "cannot encrypt for the enrolment server: contact your administrator", err)
	}
	return base64.StdEncoding.EncodeToString(ct), nil
}

// prove runs the challenge and sends the user's proof (password and
// passcode, or a One Swipe code); it returns the server's reply, which
// asks questions, offers the new token, or refuses.
func (s *session) prove(ctx context.Context, p Params) (wire.Response, error) {
	if err := s.challenge(ctx); err != nil {
		return wire.Response{}, err
	}
	req := wire.Request{Type: wire.TypeEnrol, UserID: strings.TrimSpace(p.UserID), Enc: encOAEP}
	var err error
	if p.OneSwipe != "" {
		req.OneSwipe, err = s.encrypt(p.OneSwipe)
	} else if req.Pass, err = s.encrypt(p.Password); err == nil {
		req.Passcode, err = s.encrypt(strings.ReplaceAll(p.Passcode, " ", ""))
	}
	if err != nil {
		return wire.Response{}, err
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
	req := wire.Request{Type: wire.TypeAnswers, Enc: encOAEP}
	for id, a := range answers {
		enc, err := s.encrypt(a)
		if err != nil {
			return wire.Response{}, err
		}
		req.Answers = append(req.Answers, wire.Answer{ID: id, Answer: enc})
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
