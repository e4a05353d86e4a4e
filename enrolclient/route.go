package enrolclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/softtoken/softtoken/enrolclient/pac"
)

// route is how to reach the server: the hops to try in order, a nil hop
// being a direct connection, and the automatic configuration script that
// chose them ("" when none did).
type route struct {
	hops   []*url.URL
	script string
}

// readInternetSettings reads this PC's Internet Settings (a variable for
// tests of their meaning on any system).
var readInternetSettings = osInternetSettings

// hopTimeout bounds each hop of a route but the last, so that a proxy
// that does not answer leaves time for the next.
const hopTimeout = 5 * time.Second

// routeFor finds how to reach the websocket URL wsURL, in this order: the
// Client's Proxy function; its ProxyPAC script; HTTPS_PROXY or
// HTTP_PROXY; on Windows, the Internet Settings' AutoConfigURL script,
// then their manual proxy; else directly.
func (c *Client) routeFor(ctx context.Context, wsURL *url.URL) (route, error) {
	u := *wsURL
	u.Scheme = map[string]string{"wss": "https", "ws": "http"}[u.Scheme]
	var s InternetSettings
	var ok bool
	switch {
	case c.Proxy != nil:
		return single(c.Proxy(&u))
	case c.ProxyPAC != "":
		return runPAC(ctx, c.ProxyPAC, &u)
	case envProxySet():
		return single(EnvProxy(&u))
	}
	if s, ok = readInternetSettings(); ok && strings.TrimSpace(s.AutoConfigURL) != "" {
		return runPAC(ctx, s.AutoConfigURL, &u)
	}
	if ok {
		return single(s.ProxyFunc()(&u))
	}
	return route{hops: []*url.URL{nil}}, nil
}

// single is the route through proxy p, or direct when p is nil.
func single(p *url.URL, err error) (route, error) {
	if err != nil {
		return route{}, err
	}
	if p != nil && (p.Scheme != "http" || p.Host == "") {
		return route{}, fmt.Errorf("proxy %s: only http:// proxies are supported", proxyName(p))
	}
	return route{hops: []*url.URL{p}}, nil
}

// pacErr is a script that could not be fetched or run, or chose no proxy
// softtoken can use; its cause wraps pac.ErrFetch, pac.ErrScript or
// pac.ErrResult.
type pacErr struct {
	script string
	err    error
}

func (e *pacErr) Error() string { return e.err.Error() }
func (e *pacErr) Unwrap() error { return e.err }

// runPAC fetches the script at scriptURL and runs it for u. A server on
// this computer is reached directly, whatever the script says.
func runPAC(ctx context.Context, scriptURL string, u *url.URL) (route, error) {
	name := scriptURL
	if su, err := url.Parse(strings.TrimSpace(scriptURL)); err == nil {
		name = pac.Redacted(su)
	}
	if isLoopbackHost(u.Hostname()) {
		return route{hops: []*url.URL{nil}, script: name}, nil
	}
	fail := func(err error) (route, error) { return route{}, &pacErr{script: name, err: err} }
	src, err := pac.Fetch(ctx, scriptURL)
	if err != nil {
		return fail(err)
	}
	script, err := pac.Compile(src, pac.Env{})
	if err != nil {
		return fail(err)
	}
	answer, err := script.FindProxy(ctx, u)
	if err != nil {
		return fail(err)
	}
	hops, err := pac.ParseResult(answer)
	if err != nil {
		return fail(err)
	}
	r := route{script: name}
	var unusable []string
	for _, h := range hops {
		switch h.Type {
		case "DIRECT":
			r.hops = append(r.hops, nil)
		case "PROXY":
			r.hops = append(r.hops, &url.URL{Scheme: "http", Host: h.Addr})
		default:
			unusable = append(unusable, h.String())
		}
	}
	if len(r.hops) == 0 {
		return fail(fmt.Errorf("%w: it chose only %s, which softtoken does not support", pac.ErrResult, strings.Join(unusable, "; ")))
	}
	return r, nil
}

// ErrNoProxyAnswers is the cause of a KindProxy error when none of
// several proxies that an automatic configuration script chose answered.
var ErrNoProxyAnswers = errors.New("none of the proxies answers")

// routeErr says that every hop of a route of several failed; it is
// ErrNoProxyAnswers.
type routeErr struct {
	r    route
	errs []error
}

func (e *routeErr) Error() string {
	return fmt.Sprintf("no proxy of %s answers: %v", e.r.names(), errors.Join(e.errs...))
}

func (e *routeErr) Unwrap() []error { return e.errs }

func (e *routeErr) Is(target error) bool { return target == ErrNoProxyAnswers }

// names are the route's hops as the user is told them.
func (r route) names() string {
	var s []string
	for _, h := range r.hops {
		if h == nil {
			s = append(s, "DIRECT")
		} else {
			s = append(s, proxyName(h))
		}
	}
	return strings.Join(s, ", ")
}

// dialRoute connects to addr by the first hop of r that answers. A proxy
// that answers with a refusal ends the search: it is told as such.
func dialRoute(ctx context.Context, r route, addr string) (net.Conn, error) {
	var errs []error
	for i, hop := range r.hops {
		hctx, cancel := ctx, context.CancelFunc(func() {})
		if i < len(r.hops)-1 {
			hctx, cancel = context.WithTimeout(ctx, hopTimeout)
		}
		var conn net.Conn
		var err error
		if hop == nil {
			var d net.Dialer
			conn, err = d.DialContext(hctx, "tcp", addr)
		} else {
			conn, err = connectVia(hctx, hop, addr)
		}
		cancel()
		if err == nil {
			return conn, nil
		}
		var pe *proxyErr
		if len(r.hops) == 1 || ctx.Err() != nil || (errors.As(err, &pe) && pe.status != 0) {
			return nil, err
		}
		errs = append(errs, err)
	}
	return nil, &routeErr{r: r, errs: errs}
}

// pacMsg turns a script's failure into an Error for the user.
func pacMsg(e *pacErr) *Error {
	var msg string
	switch detail := func(prefix error) string { return strings.TrimPrefix(e.err.Error(), prefix.Error()+": ") }; {
	case errors.Is(e.err, pac.ErrFetch):
		msg = fmt.Sprintf("cannot fetch this PC's automatic proxy configuration script %s (%s): check your network connection, or ask your administrator",
			e.script, strings.TrimPrefix(e.err.Error(), pac.ErrFetch.Error()+" from "+e.script+": "))
	case errors.Is(e.err, pac.ErrResult):
		msg = fmt.Sprintf("this PC's automatic proxy configuration script %s chose no proxy softtoken can use (%s): ask your administrator", e.script, detail(pac.ErrResult))
	default:
		msg = fmt.Sprintf("this PC's automatic proxy configuration script %s does not work (%s): ask your administrator", e.script, detail(pac.ErrScript))
	}
	err := newErr(KindProxy, "", msg, e)
	err.ProxyScript = e.script
	return err
}

// routeMsg tells that no hop of a route answered.
func routeMsg(e *routeErr, server string) *Error {
	setting := "this PC's proxy setting (" + proxySettingName + ")"
	if e.r.script != "" {
		setting = "this PC's automatic proxy configuration script " + e.r.script
	}
	msg := fmt.Sprintf("cannot reach the enrolment server %s through any of the proxies that %s chose (%s): none answers; check your network connection, or ask your administrator", server, setting, e.r.names())
	err := newErr(KindProxy, "", msg, e)
	err.Proxy, err.ProxyScript = e.r.names(), e.r.script
	return err
}
