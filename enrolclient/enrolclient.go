// Package enrolclient enrols a soft token with the companion server, for
// the desktop app's Add dialog and the `softtoken enrol` command alike.
//
// The user proves their password and a passcode (the initial passcode of
// the welcome mail, or the current passcode of their old PC's token); the
// server answers with a new seed; the client stores it in the token store
// and confirms with a code of the new seed. Only then does the server make
// the new token the user's only one, so a failure at any step leaves the
// previous token working and nothing half-stored: a token stored before a
// failed confirmation is deleted again. Every failure is an [*Error] whose
// message says what to do.
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
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token"
)

// Questioner answers the server's security questions: it returns the
// chosen question IDs with their answers. problem is "" the first time, and
// the server's objection when it refused the previous answers.
type Questioner func(ctx context.Context, questions []wire.Question, problem string) (map[int]string, error)

// Params is what the user types.
type Params struct {
	// URL is the enrol URL, as in the welcome mail: https://HOST/secenrol/.
	URL      string
	UserID   string
	Password string
	// Passcode is the initial passcode, or the old token's current one.
	Passcode string
	// OneSwipe is the secret of a scanned One Swipe enrolment code
	// (token/oneswipe); when set, it proves the user instead of Password
	// and Passcode.
	OneSwipe string
	// Answer is asked when the server wants security questions; nil means
	// nobody can answer, and such an enrolment fails with KindQuestions.
	Answer Questioner
}

// Client enrols into a token store.
type Client struct {
	Store token.Store
	// TLS configures certificate checks; nil uses the system's roots.
	TLS *tls.Config
	// StepTimeout bounds every network step (default 20 s).
	StepTimeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Result is a finished enrolment.
type Result struct {
	Entry token.Entry
	// ClockSkew is the server's clock minus this PC's. Passcodes fail when
	// it is more than about 30 s: see ClockWarning.
	ClockSkew time.Duration
	// Replaced says an older token of the same account in this store was
	// replaced (it could no longer work).
	Replaced bool
}

// MaxClockSkew is how far the PC's clock may be off before passcodes fail.
const MaxClockSkew = 30 * time.Second

// ClockWarning is a sentence for the user when the PC's clock is too far
// from the server's, or "" when it is fine.
func (r Result) ClockWarning() string {
	skew := r.ClockSkew
	dir := "behind"
	if skew < 0 {
		skew, dir = -skew, "ahead of"
	}
	if skew <= MaxClockSkew {
		return ""
	}
	return fmt.Sprintf("This PC's clock is %s %s the server's: its passcodes will be refused. Set the clock right (turn on automatic time).",
		skew.Round(time.Second), dir)
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) timeout() time.Duration {
	if c.StepTimeout > 0 {
		return c.StepTimeout
	}
	return 20 * time.Second
}

// Enrol runs the whole enrolment; see the package documentation.
func (c *Client) Enrol(ctx context.Context, p Params) (Result, error) {
	enrolURL, wsURL, err := URLs(p.URL)
	if err != nil {
		return Result{}, err
	}
	if err := checkInput(p); err != nil {
		return Result{}, err
	}
	entries, err := c.Store.List()
	if err != nil {
		return Result{}, err
	}
	old, replacing := findAccount(entries, enrolURL, p.UserID)
	// With six tokens there is no slot for the new one beside the old: it
	// goes into the old one's slot before the confirmation (and the old
	// one back if the server refuses).
	inPlace := len(entries) >= token.MaxTokens
	if inPlace && !replacing {
		return Result{}, newErr(KindFull, "", token.ErrFull.Error(), token.ErrFull)
	}
	s, err := c.dial(ctx, wsURL)
	if err != nil {
		return Result{}, err
	}
	defer s.close()
	offer, err := s.enrol(ctx, p)
	if err != nil {
		return Result{}, err
	}
	tok, err := tokenFrom(offer, enrolURL, p.UserID)
	if err != nil {
		return Result{}, err
	}
	tok.Label = uniqueLabel(entries, tok.Label)
	var entry token.Entry
	if inPlace {
		entry, err = c.Store.Replace(old.ID, tok)
	} else {
		entry, err = c.Store.Add(tok)
	}
	if err != nil {
		return Result{}, fmt.Errorf("store the new token: %w", err)
	}
	skew := time.Unix(offer.ServerTime, 0).Sub(c.now())
	// The code is computed at the server's time, so a wrong PC clock does
	// not stop the enrolment; the caller warns about it instead.
	code, err := tok.Code(c.now().Add(skew))
	if err == nil {
		s.detach()
		err = s.confirm(code)
	}
	if err != nil {
		if k := KindOf(err); k == KindTimeout || k == KindUnreachable {
			// No answer: the server may or may not have switched. Keep the
			// token, which is right if it did, and say so.
			return Result{}, newErr(k, "", fmt.Sprintf("the server did not confirm the new token %q: if its passcodes are refused, delete it and enrol again", entry.Token.Label), err)
		}
		// The server refused the new token: do not keep it.
		var derr error
		if inPlace {
			_, derr = c.Store.Replace(old.ID, old.Token)
		} else {
			derr = c.Store.Delete(entry.ID)
		}
		if derr != nil {
			err = fmt.Errorf("%w (and the unconfirmed token could not be removed: delete %q and enrol again)", err, entry.Token.Label)
		}
		return Result{}, err
	}
	res := Result{Entry: entry, ClockSkew: skew, Replaced: replacing}
	if replacing && !inPlace {
		// The old token of this account is dead now: the new one takes its
		// slot and name, and its own entry goes.
		if moved, err := c.Store.Replace(old.ID, entry.Token); err == nil {
			if err := c.Store.Delete(entry.ID); err == nil {
				res.Entry = moved
			}
		} else if err := c.Store.Delete(old.ID); err != nil {
			res.Replaced = false
		}
	}
	return res, nil
}

func checkInput(p Params) error {
	switch {
	case strings.TrimSpace(p.UserID) == "":
		return newErr(KindInput, "userid", "type your user ID as in your welcome mail", nil)
	case p.OneSwipe != "":
		return nil
	case p.Password == "":
		return newErr(KindInput, "password", "type your password", nil)
	}
	code := strings.ReplaceAll(p.Passcode, " ", "")
	if len(code) < 6 || len(code) > 8 || strings.Trim(code, "0123456789") != "" {
		return newErr(KindInput, "passcode", "type the 6-digit passcode from your welcome mail, or the one your old PC shows now", nil)
	}
	return nil
}

// findAccount finds a token of the same account on the same server.
func findAccount(entries []token.Entry, enrolURL, userID string) (token.Entry, bool) {
	u, _ := url.Parse(enrolURL)
	for _, e := range entries {
		if e.Err != nil || !strings.EqualFold(e.Token.Account, userID) {
			continue
		}
		if eu, err := url.Parse(e.Token.EnrolURL); err == nil && strings.EqualFold(eu.Host, u.Host) {
			return e, true
		}
	}
	return token.Entry{}, false
}

func uniqueLabel(entries []token.Entry, label string) string {
	taken := map[string]bool{}
	for _, e := range entries {
		taken[e.Token.Label] = true
	}
	for i := 2; taken[label]; i++ {
		label = fmt.Sprintf("%s (%d)", strings.TrimSuffix(label, fmt.Sprintf(" (%d)", i-1)), i)
	}
	return label
}

func tokenFrom(r wire.Response, enrolURL, userID string) (token.Token, error) {
	secret, err := token.ParseSecret(r.TwoFASeed)
	if err != nil {
		return token.Token{}, newErr(KindServer, "", "the enrolment server sent an unusable token: contact your administrator", err)
	}
	u, _ := url.Parse(enrolURL)
	issuer := u.Hostname()
	account := userID
	if r.UserID != "" {
		account = r.UserID
	}
	t := token.Token{
		Label: token.DefaultLabel(issuer, account), Issuer: issuer, Account: account,
		EnrolURL: enrolURL, Serial: r.Serial, Secret: secret,
		Params: token.Params{Type: token.TOTP, Algorithm: token.Algorithm(r.Algorithm), Digits: r.Digits, Period: r.Period},
	}
	if err := t.Validate(); err != nil {
		return token.Token{}, newErr(KindServer, "", "the enrolment server sent an unusable token ("+err.Error()+"): contact your administrator", err)
	}
	return t, nil
}

// URLs checks the enrol URL a user typed and returns it cleaned up and the
// websocket URL of the server behind it: https://HOST/secenrol/ is served
// by wss://HOST/ws. A bare host name means https://HOST/secenrol/. Plain
// http:// is accepted for this computer (loopback) only.
func URLs(typed string) (enrolURL, wsURL string, err error) {
	s := strings.TrimSpace(typed)
	if s == "" {
		return "", "", newErr(KindBadURL, "url", "type the enrol URL from your welcome mail, e.g. https://secureauth.example.com/secenrol/", nil)
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return "", "", newErr(KindBadURL, "url", "the enrol URL is not valid: type it as in your welcome mail, e.g. https://secureauth.example.com/secenrol/", nil)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "", "", newErr(KindInsecure, "url", "the enrol URL must start with https:// (http:// is allowed only for a server on this computer)", nil)
	}
	u.RawQuery, u.Fragment = "", ""
	if u.Path == "" || u.Path == "/" {
		u.Path = "/secenrol/"
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	ws := *u
	ws.Scheme = map[string]string{"https": "wss", "http": "ws"}[u.Scheme]
	ws.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "secenrol")
	ws.Path = strings.TrimSuffix(ws.Path, "/") + "/ws"
	return u.String(), ws.String(), nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// session is one websocket to the server.
type session struct {
	c       *Client
	ws      *websocket.Conn
	key     *rsa.PublicKey
	stopped chan struct{}
	once    sync.Once
}

func (c *Client) dial(ctx context.Context, wsURL string) (*session, error) {
	d := websocket.Dialer{HandshakeTimeout: c.timeout(), TLSClientConfig: c.TLS, Proxy: nil}
	dctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	conn, resp, err := d.DialContext(dctx, wsURL, nil)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		return nil, dialErr(ctx, wsURL, err)
	}
	s := &session{c: c, ws: conn, stopped: make(chan struct{})}
	// Cancel really cancels: closing the socket ends any wait at once.
	go func() {
		select {
		case <-ctx.Done():
			conn.Close()
		case <-s.stopped:
		}
	}()
	return s, nil
}

// detach stops cancellation from closing the socket: from the confirmation
// on, the answer must be read whatever the user does, or we would not know
// whether the server switched to the new token.
func (s *session) detach() { s.once.Do(func() { close(s.stopped) }) }

func (s *session) close() {
	s.detach()
	s.ws.Close()
}

func dialErr(ctx context.Context, wsURL string, err error) error {
	u, _ := url.Parse(wsURL)
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case ctx.Err() != nil:
		return newErr(KindCancelled, "", "enrolment cancelled", ctx.Err())
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

// roundTrip sends one message and reads the reply, within the step timeout.
func (s *session) roundTrip(ctx context.Context, req wire.Request) (wire.Response, error) {
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
		return newErr(KindCancelled, "", "enrolment cancelled", ctx.Err())
	case isTimeout(err):
		return newErr(KindTimeout, "", "the enrolment server stopped answering: try again in a moment", err)
	}
	return newErr(KindUnreachable, "", "the connection to the enrolment server broke: try again", err)
}

func (s *session) encrypt(secret string) (string, error) {
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, s.key, []byte(secret), nil)
	if err != nil {
		return "", newErr(KindServer, "", "cannot encrypt for the enrolment server: contact your administrator", err)
	}
	return base64.StdEncoding.EncodeToString(ct), nil
}

// enrol runs challenge, enrol and, when asked, answers; it returns the
// server's offer of a new token.
func (s *session) enrol(ctx context.Context, p Params) (wire.Response, error) {
	ch, err := s.roundTrip(ctx, wire.Request{Type: wire.TypeChallenge})
	if err != nil {
		return wire.Response{}, err
	}
	if ch.Result != wire.ResultOK {
		return wire.Response{}, resultErr(ch.Result, ch.Message)
	}
	der, err := base64.StdEncoding.DecodeString(ch.Key)
	if err == nil {
		var pub any
		if pub, err = x509.ParsePKIXPublicKey(der); err == nil {
			var ok bool
			if s.key, ok = pub.(*rsa.PublicKey); !ok {
				err = errors.New("not an RSA key")
			}
		}
	}
	if err != nil {
		return wire.Response{}, newErr(KindServer, "", "the enrolment server sent an unusable key: contact your administrator", err)
	}
	req := wire.Request{Type: wire.TypeEnrol, UserID: strings.TrimSpace(p.UserID), Enc: "oaep-sha256"}
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
	problem := ""
	for tries := 0; resp.Result == wire.ResultQuestions || (resp.Result == wire.ResultBadAnswers && tries < 3); tries++ {
		if p.Answer == nil {
			return wire.Response{}, newErr(KindQuestions, "answers", "the server asks you to choose two security questions first", nil)
		}
		qs := resp.Questions
		answers, err := p.Answer(ctx, qs, problem)
		if err != nil {
			if ctx.Err() != nil {
				return wire.Response{}, newErr(KindCancelled, "", "enrolment cancelled", err)
			}
			return wire.Response{}, err
		}
		req := wire.Request{Type: wire.TypeAnswers, Enc: "oaep-sha256"}
		for id, a := range answers {
			enc, err := s.encrypt(a)
			if err != nil {
				return wire.Response{}, err
			}
			req.Answers = append(req.Answers, wire.Answer{ID: id, Answer: enc})
		}
		if resp, err = s.roundTrip(ctx, req); err != nil {
			return wire.Response{}, err
		}
		resp.Questions = qs
		problem = resp.Message
	}
	if resp.Result != wire.ResultOK {
		return wire.Response{}, resultErr(resp.Result, resp.Message)
	}
	return resp, nil
}

func (s *session) confirm(code string) error {
	resp, err := s.roundTrip(context.Background(), wire.Request{Type: wire.TypeConfirm, TwoFAToken: code})
	if err != nil {
		return err
	}
	if resp.Result != wire.ResultOK {
		return resultErr(resp.Result, resp.Message)
	}
	return nil
}
