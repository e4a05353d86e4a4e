package pac

import (
	"context"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/dop251/goja"
)

// lookupTimeout bounds one name lookup of dnsResolve, isResolvable or
// isInNet (the whole run is bounded by RunTimeout too).
const lookupTimeout = time.Second

// install defines the PAC functions in vm: those that need the PC (name
// lookups, its address, the clock) in Go, the others in JavaScript.
func (s *Script) install(ctx context.Context, vm *goja.Runtime) error {
	resolve := func(host string) string {
		if ip := net.ParseIP(host); ip != nil {
			return ip.String()
		}
		lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
		defer cancel()
		ips, err := s.env.LookupIP(lctx, host)
		if err != nil || len(ips) == 0 {
			return ""
		}
		for _, ip := range ips {
			if ip.To4() != nil {
				return ip.String()
			}
		}
		return ips[0].String()
	}
	fns := map[string]any{
		"dnsResolve": func(host string) goja.Value {
			if ip := resolve(host); ip != "" {
				return vm.ToValue(ip)
			}
			return goja.Null()
		},
		"isResolvable": func(host string) bool { return resolve(host) != "" },
		"isInNet": func(host, pattern, mask string) bool {
			return inNet(resolve(host), pattern, mask)
		},
		"myIpAddress": func() string { return s.env.MyIP() },
		"shExpMatch":  shExpMatch,
		"__nowMillis": func() int64 { return s.env.Now().UnixMilli() },
		"alert":       func(goja.FunctionCall) goja.Value { return goja.Undefined() },
	}
	for name, fn := range fns {
		if err := vm.Set(name, fn); err != nil {
			return err
		}
	}
	_, err := vm.RunString(prelude)
	return err
}

// inNet says whether the address ip is in the IPv4 network pattern/mask
// (dotted quads); false for anything that is not an IPv4 address.
func inNet(ip, pattern, mask string) bool {
	a, p, m := net.ParseIP(ip).To4(), net.ParseIP(pattern).To4(), net.ParseIP(mask).To4()
	if a == nil || p == nil || m == nil {
		return false
	}
	for i := range a {
		if a[i]&m[i] != p[i]&m[i] {
			return false
		}
	}
	return true
}

// shExpMatch matches s against a shell expression: "*" is any run of
// characters, "?" one character, everything else itself. Compiled to a
// regular expression, so matching is linear whatever the pattern.
func shExpMatch(s, pattern string) bool {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`\z`)
	re, err := regexp.Compile(b.String())
	return err == nil && re.MatchString(s)
}

// myAddress is this PC's first non-loopback IPv4 address (else IPv6),
// read from its interfaces without sending anything; 127.0.0.1 when there
// is none.
func myAddress() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "127.0.0.1"
	}
	var v6 string
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() {
			continue
		}
		if n.IP.To4() != nil {
			return n.IP.String()
		}
		if v6 == "" {
			v6 = n.IP.String()
		}
	}
	if v6 != "" {
		return v6
	}
	return "127.0.0.1"
}
