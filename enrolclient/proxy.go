package enrolclient

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// EnvProxy is the proxy the environment names for a request to u (an
// https:// or http:// URL): HTTPS_PROXY or HTTP_PROXY, unless NO_PROXY
// exempts u's host; nil for none. Like net/http's ProxyFromEnvironment it
// never proxies localhost or loopback addresses, but it reads the
// variables at every call, not once per process.
func EnvProxy(u *url.URL) (*url.URL, error) {
	return httpproxy.FromEnvironment().ProxyFunc()(u)
}

// envProxySet says whether the environment names a proxy, which then
// decides alone (NO_PROXY by itself does not).
func envProxySet() bool {
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"} {
		if os.Getenv(k) != "" {
			return true
		}
	}
	return false
}

// SystemProxy is the proxy this PC names for a request to u (an https://
// or http:// URL), nil for none: [EnvProxy] when HTTPS_PROXY or
// HTTP_PROXY is set; otherwise, on Windows, the user's Internet Settings
// ([InternetSettings]: ProxyEnable, ProxyServer, ProxyOverride). It reads
// them at every call, so a change applies to the next enrolment. It does
// not run automatic configuration scripts: a Client does (Client.Proxy
// says in which order it looks).
func SystemProxy(u *url.URL) (*url.URL, error) {
	if envProxySet() {
		return EnvProxy(u)
	}
	s, ok := readInternetSettings()
	if !ok {
		return nil, nil
	}
	return s.ProxyFunc()(u)
}

// proxyName is how a proxy is told to the user: its host and port,
// never its password.
func proxyName(p *url.URL) string { return p.Host }

// ErrProxySignIn is a proxy that asks for NTLM, whose handshake softtoken
// could not make: a PC whose Windows offers no NTLM sign-in (Wine, or NTLM
// turned off), or a challenge that cannot be answered.
var ErrProxySignIn = errors.New("NTLM authentication")

// proxyErr is a failure of the proxy itself: it did not answer, or it
// refused the tunnel to the server (Status is its answer then).
type proxyErr struct {
	proxy  *url.URL
	target string // host:port of the server
	status int    // the proxy's HTTP status, 0 when it did not answer
	text   string // the status line's text
	// ntlm is the identity offered by NTLM when the proxy refused it, ""
	// when NTLM was not tried; offered says the proxy offered NTLM.
	ntlm    string
	offered bool
	err     error
}

func (e *proxyErr) Error() string {
	if e.status != 0 {
		return fmt.Sprintf("proxy %s: CONNECT %s: %s", proxyName(e.proxy), e.target, e.text)
	}
	return fmt.Sprintf("proxy %s: %v", proxyName(e.proxy), e.err)
}

func (e *proxyErr) Unwrap() error { return e.err }

// connectVia opens a tunnel to addr through the HTTP proxy p (CONNECT),
// within ctx. When the proxy asks for authentication (407), it is asked
// again: with NTLM when it offers NTLM (or Negotiate), on a new
// connection, as p's user or, on Windows, as the logged-on user; else
// with basic authentication when p has a user. A password is thus sent
// in the clear only to a proxy that asks for Basic.
// gorilla/websocket's own proxy support tells a refusal only by its
// status text and a dead proxy like a dead server: this one keeps both
// apart, for messages that name the proxy.
func connectVia(ctx context.Context, p *url.URL, addr string) (net.Conn, error) {
	t, err := openTunnel(ctx, p, addr)
	if err != nil {
		return nil, err
	}
	resp, err := t.connect("")
	if err != nil || resp.StatusCode != http.StatusProxyAuthRequired {
		if err != nil {
			return nil, err
		}
		return t.finish(resp, false)
	}
	scheme := ntlmScheme(resp.Header)
	if auth := newNTLM(p); scheme != "" && auth != nil {
		t.close()
		defer auth.release()
		return connectNTLM(ctx, p, addr, scheme, auth)
	}
	if p.User == nil || !offersBasic(resp.Header) {
		return t.finish(resp, scheme != "")
	}
	if resp.Close {
		t.close()
		if t, err = openTunnel(ctx, p, addr); err != nil {
			return nil, err
		}
	}
	pw, _ := p.User.Password()
	if resp, err = t.connect("Basic " + base64.StdEncoding.EncodeToString([]byte(p.User.Username()+":"+pw))); err != nil {
		return nil, err
	}
	return t.finish(resp, scheme != "")
}

// offersBasic says whether a proxy's 407 answer offers basic
// authentication.
func offersBasic(h http.Header) bool {
	for _, v := range h.Values("Proxy-Authenticate") {
		if name, _, _ := strings.Cut(strings.TrimSpace(v), " "); strings.EqualFold(name, "Basic") {
			return true
		}
	}
	return false
}

// connectNTLM opens a tunnel with an NTLM handshake: negotiate, the
// proxy's challenge, authenticate, all on one connection.
func connectNTLM(ctx context.Context, p *url.URL, addr, scheme string, auth ntlmAuth) (net.Conn, error) {
	t, err := openTunnel(ctx, p, addr)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (net.Conn, error) {
		t.conn.Close()
		return nil, &proxyErr{proxy: p, target: addr, err: fmt.Errorf("%w: %w", ErrProxySignIn, err)}
	}
	msg, err := auth.negotiate()
	if err != nil {
		return fail(err)
	}
	resp, err := t.connect(scheme + " " + base64.StdEncoding.EncodeToString(msg))
	if err != nil {
		return nil, err
	}
	challenge := ntlmChallenge(resp.Header, scheme)
	if resp.StatusCode != http.StatusProxyAuthRequired || challenge == nil || resp.Close {
		return t.finishNTLM(resp, auth)
	}
	if msg, err = auth.authenticate(challenge); err != nil {
		return fail(err)
	}
	if resp, err = t.connect(scheme + " " + base64.StdEncoding.EncodeToString(msg)); err != nil {
		return nil, err
	}
	return t.finishNTLM(resp, auth)
}

// tunnel is a connection to a proxy on which CONNECT requests are sent.
type tunnel struct {
	ctx  context.Context
	p    *url.URL
	addr string
	conn net.Conn
	br   *bufio.Reader
	stop func() bool
}

// openTunnel connects to the proxy p, for a tunnel to addr; the
// connection's deadline is ctx's, and ctx's end cuts it.
func openTunnel(ctx context.Context, p *url.URL, addr string) (*tunnel, error) {
	hostPort := p.Host
	if p.Port() == "" {
		hostPort = net.JoinHostPort(p.Hostname(), "80")
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", hostPort)
	if err != nil {
		return nil, &proxyErr{proxy: p, target: addr, err: err}
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	return &tunnel{ctx: ctx, p: p, addr: addr, conn: conn, br: bufio.NewReader(conn), stop: stop}, nil
}

// connect sends CONNECT with the Proxy-Authorization authz (none if "")
// and reads the answer; a refusal's body is read, so that the
// connection can carry the next request. On error the connection is
// closed.
func (t *tunnel) connect(authz string) (*http.Response, error) {
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: t.addr}, Host: t.addr, Header: http.Header{}}
	if authz != "" {
		req.Header.Set("Proxy-Authorization", authz)
	}
	var resp *http.Response
	err := req.Write(t.conn)
	if err == nil {
		resp, err = http.ReadResponse(t.br, req)
	}
	if err == nil && resp.StatusCode != http.StatusOK {
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	}
	if err != nil {
		t.close()
		if t.ctx.Err() != nil {
			err = t.ctx.Err()
		}
		return nil, &proxyErr{proxy: t.p, target: t.addr, err: err}
	}
	return resp, nil
}

func (t *tunnel) close() {
	t.stop()
	t.conn.Close()
}

// finish is the tunnel when the proxy answered 200, else its refusal;
// offered says the proxy offered NTLM.
func (t *tunnel) finish(resp *http.Response, offered bool) (net.Conn, error) {
	if resp.StatusCode != http.StatusOK {
		t.close()
		text := strings.TrimSpace(resp.Status)
		return nil, &proxyErr{proxy: t.p, target: t.addr, status: resp.StatusCode, text: text, offered: offered, err: errors.New(text)}
	}
	if t.br.Buffered() > 0 {
		t.close()
		return nil, &proxyErr{proxy: t.p, target: t.addr, err: errors.New("the proxy sent data before the server spoke")}
	}
	t.stop()
	_ = t.conn.SetDeadline(time.Time{})
	return t.conn, nil
}

// finishNTLM is finish after an NTLM handshake: a refusal names the
// identity offered.
func (t *tunnel) finishNTLM(resp *http.Response, auth ntlmAuth) (net.Conn, error) {
	conn, err := t.finish(resp, true)
	var pe *proxyErr
	if errors.As(err, &pe) && pe.status == http.StatusProxyAuthRequired {
		pe.ntlm = auth.who()
	}
	return conn, err
}

// proxyMsg turns a proxy failure into an Error for the user; setting
// names where the proxy came from.
func proxyMsg(e *proxyErr, server, setting string) *Error {
	name := proxyName(e.proxy)
	ask := "check " + setting + ", or ask your administrator"
	var msg string
	switch {
	case errors.Is(e.err, ErrProxySignIn):
		cause := strings.TrimPrefix(e.err.Error(), ErrProxySignIn.Error()+": ")
		msg = fmt.Sprintf("the proxy %s asks for a sign-in (NTLM) that softtoken could not make here (%s): to sign in with a user name and password instead, %s, or ask your administrator", name, cause, fmt.Sprintf(proxyAuthHow, name))
	case e.status == http.StatusProxyAuthRequired && e.ntlm != "" && e.proxy.User == nil:
		msg = fmt.Sprintf("the proxy %s refused %s (NTLM, %s): %s; to use another user name and password, %s", name, e.ntlm, e.text, ask, fmt.Sprintf(proxyAuthHow, name))
	case e.status == http.StatusProxyAuthRequired && e.proxy.User == nil:
		how := fmt.Sprintf(proxyAuthHow, name)
		if e.offered {
			how += ` (it asks for NTLM: write the user as DOMAIN%5Cuser)`
		}
		msg = fmt.Sprintf("the proxy %s asks for a user name and password (%s): %s, or ask your administrator", name, e.text, how)
	case e.status == http.StatusProxyAuthRequired:
		msg = fmt.Sprintf("the proxy %s refused the user name or password of user %s (%s): %s", name, e.proxy.User.Username(), e.text, ask)
	case e.status != 0:
		msg = fmt.Sprintf("the proxy %s refused the connection to the enrolment server %s (%s): %s", name, server, e.text, ask)
	case isTimeout(e.err), errors.Is(e.err, context.DeadlineExceeded):
		msg = fmt.Sprintf("the proxy %s did not answer in time: %s", name, ask)
	default:
		msg = fmt.Sprintf("the proxy %s does not answer: %s", name, ask)
	}
	err := newErr(KindProxy, "", msg, e)
	err.Proxy, err.ProxyAnswer = name, e.text
	return err
}
