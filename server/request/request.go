// Package request says what the server knows of an HTTP request's origin:
// the client's address, which the rate limits, the password throttle and
// the audit key on, and whether the client's side of the connection is
// HTTPS, which makes the pages' cookies Secure and turns HSTS on. The
// websocket and the pages ask it, so that both answer alike.
//
// Behind a reverse proxy every connection comes from the proxy: the
// client's address and scheme are in the headers the proxy adds. Those
// headers are believed only from the proxies the configuration names
// (Proxies), and only the one header the proxies set; from anyone else
// they are ignored, since a client writes whatever it likes there. The
// server resolves each request once (Proxies.Handler) and every adapter
// reads the result with ClientAddr and HTTPS: nothing else looks at the
// peer's address or the forwarding headers. (Nothing is taken from the
// Host header either: the server's name comes from its configuration.)
package request

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// The forwarding headers a proxy may set (Proxies.Header).
const (
	// HeaderXForwardedFor is X-Forwarded-For, with the scheme in
	// X-Forwarded-Proto: what most proxies set.
	HeaderXForwardedFor = "x-forwarded-for"
	// HeaderForwarded is Forwarded (RFC 7239), with for= and proto=.
	HeaderForwarded = "forwarded"
)

// Proxies says which peers are the server's own reverse proxies, whose
// forwarding headers name the client, and which header they set. The zero
// value trusts no one: every request's client is its peer.
type Proxies struct {
	// Trusted are the proxies' networks.
	Trusted []netip.Prefix
	// Header is the header the proxies set: HeaderXForwardedFor (the
	// default) or HeaderForwarded. The other one is ignored, because a
	// proxy passes on unchanged the header it does not write, with
	// whatever the client put in it.
	Header string
}

// ParseTrusted reads a comma-separated list of networks (CIDR, or single
// addresses) of trusted proxies. A network of every address is refused:
// trusting it would let every client name its own address.
func ParseTrusted(list string) ([]netip.Prefix, error) {
	out, err := ParseNetworks(list)
	for _, p := range out {
		if p.Bits() == 0 {
			return nil, fmt.Errorf("%q is every address: any client could name its own address", p)
		}
	}
	return out, err
}

// ParseNetworks reads a comma-separated list of networks (CIDR, or single
// addresses; IPv4 written in IPv6 counts as IPv4), masked.
func ParseNetworks(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, fmt.Errorf("%q is not a network like 10.0.0.0/8 or an address", f)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// CheckHeader reports whether h names a forwarding header Proxies reads.
func CheckHeader(h string) error {
	switch strings.ToLower(h) {
	case "", HeaderXForwardedFor, HeaderForwarded:
		return nil
	}
	return fmt.Errorf("%q is not a forwarding header: use %s or %s", h, HeaderXForwardedFor, HeaderForwarded)
}

// origin is what the server knows of where a request comes from.
type origin struct {
	client string
	https  bool
}

type originKey struct{}

// Handler resolves where each request comes from, once, and serves it
// with next, which reads the result with ClientAddr and HTTPS.
func (p Proxies) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := p.resolve(r)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), originKey{}, o)))
	})
}

// ClientAddr is the address of the client that sent r, without its port:
// the peer, or the client a trusted proxy names (Proxies.Handler).
func ClientAddr(r *http.Request) string { return of(r).client }

// HTTPS reports whether the client's side of r is HTTPS: TLS on our own
// listener, or a trusted proxy's word that the client used https.
func HTTPS(r *http.Request) bool { return of(r).https }

// of is r's origin as Proxies.Handler resolved it; a request that did not
// pass through one trusts no proxy.
func of(r *http.Request) origin {
	if o, ok := r.Context().Value(originKey{}).(origin); ok {
		return o
	}
	return Proxies{}.resolve(r)
}

// resolve works out r's origin: its peer, unless the peer is a trusted
// proxy, in which case the proxies' header names the client.
func (p Proxies) resolve(r *http.Request) origin {
	o := origin{client: peerHost(r.RemoteAddr), https: r.TLS != nil}
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !p.trusts(peer.Addr()) {
		return o
	}
	var hops []hop
	if strings.ToLower(p.Header) == HeaderForwarded {
		hops = parseForwarded(r.Header.Values("Forwarded"))
	} else {
		hops = parseXForwardedFor(r.Header.Values("X-Forwarded-For"), r.Header.Values("X-Forwarded-Proto"))
	}
	client, proto := p.walk(hops)
	if client.IsValid() {
		o.client = client.String()
	}
	o.https = o.https || strings.EqualFold(proto, "https")
	return o
}

// walk finds the client in the hops a chain of proxies recorded, the
// nearest last: from the right, it skips the hops that are themselves
// trusted proxies; the first that is not is the client. The leftmost hops
// are whatever the client sent, so the walk never goes past the client. A
// hop a proxy could not name (unknown, obfuscated, malformed) stops the
// walk: the client is then the proxy that recorded it. It returns the
// client (invalid when the peer itself is the client) and the scheme the
// client used, as its proxy recorded it.
func (p Proxies) walk(hops []hop) (client netip.Addr, proto string) {
	for i := len(hops) - 1; i >= 0; i-- {
		if !hops[i].addr.IsValid() {
			break
		}
		client, proto = hops[i].addr, hops[i].proto
		if !p.trusts(client) {
			break
		}
	}
	if !client.IsValid() && len(hops) > 0 {
		proto = hops[len(hops)-1].proto
	}
	return client, proto
}

func (p Proxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, n := range p.Trusted {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// peerHost is the host of a RemoteAddr, as the server writes addresses.
func peerHost(remote string) string {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap().WithZone("").String()
	}
	if h, _, err := net.SplitHostPort(remote); err == nil {
		return h
	}
	return remote
}
