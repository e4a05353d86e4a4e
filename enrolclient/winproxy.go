package enrolclient

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// InternetSettings are the proxy values of a Windows user's Internet
// Settings (Internet Options, LAN settings), as found in the registry under
// HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings. They
// are plain data, so their meaning is tested on any system; only reading
// them from the registry is Windows' ([SystemProxy]).
type InternetSettings struct {
	// Enable is ProxyEnable: the manual proxy is on.
	Enable bool
	// Server is ProxyServer: "host:port" for every protocol, or one proxy
	// per protocol, "http=host:port;https=host:port;ftp=…;socks=…".
	Server string
	// Override is ProxyOverride: the hosts reached without the proxy,
	// separated by ";": names or addresses with "*" wildcards
	// ("*.bank.example", "10.*"), and "<local>" for every name without a
	// dot.
	Override string
	// AutoConfigURL is the automatic configuration script (PAC) the
	// settings name, if any. softtoken does not run such scripts: it is
	// kept to say so when the server cannot be reached.
	AutoConfigURL string
}

// ProxyFunc is the proxy for a request to an https:// or http:// URL under
// these settings: nil for none (the proxy is off, names no proxy for the
// URL's scheme, or the host is exempt). As in Windows, localhost and
// loopback addresses never go through the proxy. An error says the
// settings name a proxy softtoken cannot use (SOCKS, or a malformed
// address).
func (s InternetSettings) ProxyFunc() func(*url.URL) (*url.URL, error) {
	return func(u *url.URL) (*url.URL, error) {
		if !s.Enable || strings.TrimSpace(s.Server) == "" {
			return nil, nil
		}
		host := u.Hostname()
		if isLoopbackHost(host) || bypassed(s.Override, u) {
			return nil, nil
		}
		return serverFor(s.Server, u.Scheme)
	}
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// serverFor picks the proxy for scheme out of a ProxyServer value.
func serverFor(value, scheme string) (*url.URL, error) {
	var all, socks string
	perScheme := map[string]string{}
	for _, part := range strings.FieldsFunc(value, func(r rune) bool { return r == ';' || r == ' ' || r == '\t' }) {
		key, addr, ok := strings.Cut(part, "=")
		if !ok {
			// A bare address is the proxy for every protocol (the first wins).
			if all == "" {
				all = part
			}
			continue
		}
		key = strings.ToLower(strings.TrimSpace(key))
		if _, seen := perScheme[key]; !seen {
			perScheme[key] = strings.TrimSpace(addr)
		}
		if key == "socks" && socks == "" {
			socks = strings.TrimSpace(addr)
		}
	}
	addr := perScheme[strings.ToLower(scheme)]
	switch {
	case addr != "":
	case all != "":
		addr = all
	case socks != "":
		return nil, fmt.Errorf("the proxy setting names only a SOCKS proxy (%s) for %s://, which softtoken does not support", withoutUser(socks), scheme)
	default:
		// A per-protocol list without this protocol: Windows connects
		// directly.
		return nil, nil
	}
	return proxyURL(addr)
}

// proxyURL turns a ProxyServer address ("host:port", "host", or with a
// scheme, "http://host:port") into the proxy's URL.
func proxyURL(addr string) (*url.URL, error) {
	s := addr
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	p, err := url.Parse(s)
	if err != nil || p.Hostname() == "" || (p.Path != "" && p.Path != "/") || p.RawQuery != "" || p.Fragment != "" {
		return nil, fmt.Errorf("the proxy address %q is not host:port", withoutUser(addr))
	}
	if port := p.Port(); port != "" && strings.Trim(port, "0123456789") != "" {
		return nil, fmt.Errorf("the proxy address %q has no valid port", withoutUser(addr))
	}
	if p.Port() == "" {
		// WinINet's default port for an HTTP proxy.
		p.Host = net.JoinHostPort(p.Hostname(), "80")
	}
	p.Path = ""
	return p, nil
}

// withoutUser is a proxy address as an error may show it: without the user
// and password that may come before its last "@", even when the rest does
// not parse.
func withoutUser(addr string) string {
	at := strings.LastIndex(addr, "@")
	if at < 0 {
		return addr
	}
	scheme := ""
	if i := strings.Index(addr, "://"); i >= 0 && i < at {
		scheme = addr[:i+3]
	}
	return scheme + addr[at+1:]
}

// bypassed says whether ProxyOverride exempts u.
func bypassed(override string, u *url.URL) bool {
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	for _, rule := range strings.FieldsFunc(override, func(r rune) bool { return r == ';' || r == ' ' || r == '\t' || r == ',' }) {
		rule = strings.ToLower(rule)
		if rule == "<local>" {
			if !strings.Contains(host, ".") && !strings.Contains(host, ":") {
				return true
			}
			continue
		}
		if scheme, rest, ok := strings.Cut(rule, "://"); ok {
			if scheme != u.Scheme {
				continue
			}
			rule = rest
		}
		pattern, rulePort := splitRulePort(rule)
		if rulePort != "" && rulePort != port {
			continue
		}
		if glob(pattern, host) {
			return true
		}
	}
	return false
}

// splitRulePort splits "host:port" or "[v6]:port"; a rule that is an IPv6
// address without brackets has no port.
func splitRulePort(rule string) (pattern, port string) {
	if strings.HasPrefix(rule, "[") {
		if end := strings.Index(rule, "]"); end > 0 {
			pattern, rest := rule[1:end], rule[end+1:]
			return pattern, strings.TrimPrefix(rest, ":")
		}
	}
	if strings.Count(rule, ":") == 1 {
		h, p, _ := strings.Cut(rule, ":")
		if p != "" && strings.Trim(p, "0123456789") == "" {
			return h, p
		}
	}
	return rule, ""
}

// glob matches s against pattern, where "*" stands for any run of
// characters (dots included) and every other character for itself.
func glob(pattern, s string) bool {
	// Iterative matching with one backtrack point: linear enough for
	// hand-written rules, and never exponential on hostile ones.
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
