package enrolclient

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
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
// them at every call, so a change applies to the next enrolment.
func SystemProxy(u *url.URL) (*url.URL, error) {
	if envProxySet() {
		return EnvProxy(u)
	}
	s, ok := osInternetSettings()
	if !ok {
		return nil, nil
	}
	return s.ProxyFunc()(u)
}

// autoConfigHint is a sentence for a server that cannot be reached
// without a proxy while this PC's Internet Settings name an automatic
// configuration script, which softtoken does not run; "" otherwise.
func (c *Client) autoConfigHint() string {
	if c.Proxy != nil || envProxySet() {
		return ""
	}
	s, ok := osInternetSettings()
	if !ok || s.AutoConfigURL == "" || (s.Enable && s.Server != "") {
		return ""
	}
	return fmt.Sprintf("; this PC finds its proxy with an automatic configuration script (%s), which softtoken cannot use: ask your administrator for the proxy's address and set it in Internet Options (LAN settings) or as HTTPS_PROXY", s.AutoConfigURL)
}

// proxyFor is the proxy for the websocket URL wsURL, or nil.
func (c *Client) proxyFor(wsURL *url.URL) (*url.URL, error) {
	find := c.Proxy
	if find == nil {
		find = SystemProxy
	}
	u := *wsURL
	u.Scheme = map[string]string{"wss": "https", "ws": "http"}[u.Scheme]
	p, err := find(&u)
	if err != nil || p == nil {
		return nil, err
	}
	if p.Scheme != "http" || p.Host == "" {
		return nil, fmt.Errorf("proxy %s: only http:// proxies are supported", proxyName(p))
	}
	return p, nil
}

// proxyName is how a proxy is told to the user: its host and port,
// never its password.
func proxyName(p *url.URL) string { return p.Host }

// proxyErr is a failure of the proxy itself: it did not answer, or it
// refused the tunnel to the server (Status is its answer then).
type proxyErr struct {
	proxy  *url.URL
	target string // host:port of the server
	status int    // the proxy's HTTP status, 0 when it did not answer
	text   string // the status line's text
	err    error
}

func (e *proxyErr) Error() string {
	if e.status != 0 {
		return fmt.Sprintf("proxy %s: CONNECT %s: %s", proxyName(e.proxy), e.target, e.text)
	}
	return fmt.Sprintf("proxy %s: %v", proxyName(e.proxy), e.err)
}

func (e *proxyErr) Unwrap() error { return e.err }

// connectVia opens a tunnel to addr through the HTTP proxy p (CONNECT,
// with basic authentication when p has a user), within ctx.
// gorilla/websocket's own proxy support tells a refusal only by its
// status text and a dead proxy like a dead server: this one keeps both
// apart, for messages that name the proxy.
func connectVia(ctx context.Context, p *url.URL, addr string) (net.Conn, error) {
	hostPort := p.Host
	if p.Port() == "" {
		hostPort = net.JoinHostPort(p.Hostname(), "80")
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", hostPort)
	if err != nil {
		return nil, &proxyErr{proxy: p, target: addr, err: err}
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: addr}, Host: addr, Header: http.Header{}}
	if p.User != nil {
		pw, _ := p.User.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(p.User.Username()+":"+pw)))
	}
	br := bufio.NewReader(conn)
	var resp *http.Response
	if err = req.Write(conn); err == nil {
		resp, err = http.ReadResponse(br, req)
	}
	if err != nil {
		conn.Close()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, &proxyErr{proxy: p, target: addr, err: err}
	}
	if resp.StatusCode != http.StatusOK {
		conn.Close()
		text := strings.TrimSpace(resp.Status)
		return nil, &proxyErr{proxy: p, target: addr, status: resp.StatusCode, text: text, err: errors.New(text)}
	}
	if br.Buffered() > 0 {
		conn.Close()
		return nil, &proxyErr{proxy: p, target: addr, err: errors.New("the proxy sent data before the server spoke")}
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, nil
}

// proxyMsg turns a proxy failure into an Error for the user.
func proxyMsg(e *proxyErr, server string) *Error {
	name := proxyName(e.proxy)
	ask := "check this PC's proxy setting (" + proxySettingName + "), or ask your administrator"
	var msg string
	switch {
	case e.status == http.StatusProxyAuthRequired && e.proxy.User == nil:
		msg = fmt.Sprintf("the proxy %s asks for a user name and password (%s): %s, or ask your administrator", name, e.text, fmt.Sprintf(proxyAuthHow, name))
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
