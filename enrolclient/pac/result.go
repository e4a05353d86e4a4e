package pac

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Limits on what FindProxyForURL may return.
const (
	// MaxResultBytes is the longest result accepted.
	MaxResultBytes = 4096
	// MaxHops is the most entries of a result that are kept.
	MaxHops = 32
)

// Hop is one entry of a PAC result: DIRECT, or a proxy of some type at
// Addr (host:port).
type Hop struct {
	// Type is "DIRECT", "PROXY" (a plain HTTP proxy; "HTTP" is read as
	// PROXY), "HTTPS" (an HTTP proxy spoken to over TLS), "SOCKS",
	// "SOCKS4" or "SOCKS5".
	Type string
	// Addr is the proxy's host:port, "" for DIRECT.
	Addr string
}

// Direct says the hop is a direct connection.
func (h Hop) Direct() bool { return h.Type == "DIRECT" }

// String is the hop as a PAC result writes it.
func (h Hop) String() string {
	if h.Direct() {
		return "DIRECT"
	}
	return h.Type + " " + h.Addr
}

// ErrResult wraps every error of ParseResult.
var ErrResult = errors.New("the automatic configuration script returned no usable proxy")

// ParseResult reads what FindProxyForURL returned ("PROXY a:8080; PROXY
// b:3128; DIRECT"), in order. An empty result means DIRECT, as browsers
// take it. Entries this parser cannot read are skipped, as browsers do,
// unless none is left; a proxy without a port gets port 80 (HTTPS: 443).
func ParseResult(s string) ([]Hop, error) {
	if len(s) > MaxResultBytes {
		return nil, fmt.Errorf("%w: its answer is %d bytes long (at most %d)", ErrResult, len(s), MaxResultBytes)
	}
	if strings.TrimSpace(s) == "" {
		return []Hop{{Type: "DIRECT"}}, nil
	}
	var hops []Hop
	var bad []string
	for _, entry := range strings.Split(s, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		h, ok := parseHop(entry)
		if !ok {
			bad = append(bad, entry)
			continue
		}
		if len(hops) < MaxHops {
			hops = append(hops, h)
		}
	}
	if len(hops) == 0 {
		return nil, fmt.Errorf("%w: cannot read %q", ErrResult, strings.Join(bad, "; "))
	}
	return hops, nil
}

// parseHop reads one entry: "DIRECT" or "TYPE host[:port]".
func parseHop(entry string) (Hop, bool) {
	fields := strings.Fields(entry)
	typ := strings.ToUpper(fields[0])
	if typ == "DIRECT" {
		return Hop{Type: typ}, len(fields) == 1
	}
	port := "80"
	switch typ {
	case "PROXY", "HTTP":
		typ = "PROXY"
	case "HTTPS":
		port = "443"
	case "SOCKS", "SOCKS4", "SOCKS5":
		port = "1080"
	default:
		return Hop{}, false
	}
	if len(fields) != 2 {
		return Hop{}, false
	}
	addr, ok := hostPort(fields[1], port)
	return Hop{Type: typ, Addr: addr}, ok
}

// hostPort checks "host", "host:port" or "[v6]:port" and adds the default
// port when there is none.
func hostPort(s, defPort string) (string, bool) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		host, port = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"), defPort
	}
	if host == "" || strings.ContainsAny(host, "/@?#[]% \t") || (strings.Contains(host, ":") && net.ParseIP(host) == nil) {
		return "", false
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strings.Trim(port, "0123456789") != "" {
		return "", false
	}
	return net.JoinHostPort(host, port), true
}
