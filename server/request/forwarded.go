package request

import (
	"net/netip"
	"strings"
)

// hop is one step a proxy recorded: the address it received the request
// from (invalid when the proxy did not name it: unknown, obfuscated or
// malformed) and the scheme of that connection ("" when not said).
type hop struct {
	addr  netip.Addr
	proto string
}

// maxHops bounds the hops kept of a header, the nearest ones: the walk
// needs no more than the chain of proxies is long, and a long header must
// not cost memory in proportion. A chain longer than this ends at a
// trusted proxy, which then counts as the client.
const maxHops = 32

// hops keeps the last maxHops hops added, in order.
type hops struct{ list []hop }

func (h *hops) add(x hop) {
	if len(h.list) == 2*maxHops {
		h.list = append(h.list[:0], h.list[maxHops:]...)
	}
	h.list = append(h.list, x)
}

func (h *hops) last() []hop {
	if len(h.list) > maxHops {
		return h.list[len(h.list)-maxHops:]
	}
	return h.list
}

// parseForwarded reads Forwarded header lines (RFC 7239), one hop per
// element, in order: for= is the hop's address and proto= its scheme. An
// element that does not parse, that names no address, or names it twice,
// is a hop without an address.
func parseForwarded(lines []string) []hop {
	var hs hops
	for _, line := range lines {
		eachPart(line, ',', func(el string) {
			if strings.TrimSpace(el) != "" {
				hs.add(forwardedElement(el))
			}
		})
	}
	return hs.last()
}

// forwardedElement reads one element: pairs name=value separated by ";",
// names case-insensitive, values tokens or quoted strings.
func forwardedElement(el string) hop {
	var h hop
	var seenFor, seenProto, bad bool
	eachPart(el, ';', func(pair string) {
		pair = strings.TrimSpace(pair)
		if pair == "" || bad {
			return
		}
		name, value, ok := strings.Cut(pair, "=")
		v, vok := unquote(strings.TrimSpace(value))
		switch name = strings.ToLower(strings.TrimSpace(name)); {
		case !ok || !vok || name == "":
			bad = true
		case name == "for":
			bad, seenFor = seenFor, true
			h.addr = parseNode(v)
		case name == "proto":
			bad, seenProto = seenProto, true
			h.proto = strings.ToLower(v)
		}
	})
	if bad {
		return hop{}
	}
	return h
}

// parseXForwardedFor reads X-Forwarded-For header lines, a list of
// addresses (with or without a port), and the X-Forwarded-Proto lines
// that go with them: when both lists are as long, each scheme goes with
// its address; otherwise the last scheme, our own proxy's, goes with all.
func parseXForwardedFor(fors, protos []string) []hop {
	var schemes, hs hops
	m := eachItem(protos, func(p string) { schemes.add(hop{proto: strings.ToLower(p)}) })
	n := eachItem(fors, func(a string) { hs.add(hop{addr: parseNode(a)}) })
	ps, list := schemes.last(), hs.last()
	for i := range list {
		switch {
		case len(ps) == 0:
		case n == m: // the last maxHops of each go together
			list[i].proto = ps[i].proto
		default:
			list[i].proto = ps[len(ps)-1].proto
		}
	}
	return list
}

// eachItem calls fn with each item of a comma-separated list header's
// lines, trimmed, skipping empty ones, and returns how many there were.
// Quotes mean nothing in these lists: a client's stray quote must not
// swallow the item its proxy appends.
func eachItem(lines []string, fn func(string)) int {
	n := 0
	for _, line := range lines {
		for more := true; more; {
			var item string
			item, line, more = strings.Cut(line, ",")
			if item = strings.TrimSpace(item); item != "" {
				fn(item)
				n++
			}
		}
	}
	return n
}

// parseNode reads a node's address: 192.0.2.1, 192.0.2.1:4711,
// [2001:db8::1], [2001:db8::1]:4711, or (leniently) 2001:db8::1. Anything
// else (unknown, an obfuscated _name) is no address.
func parseNode(v string) netip.Addr {
	var a netip.Addr
	var err error
	if rest, ok := strings.CutPrefix(v, "["); ok {
		host, port, ok := strings.Cut(rest, "]")
		if !ok || (port != "" && !strings.HasPrefix(port, ":")) {
			return netip.Addr{}
		}
		if a, err = netip.ParseAddr(host); err != nil || !a.Is6() {
			return netip.Addr{}
		}
	} else if a, err = netip.ParseAddr(v); err != nil {
		host, _, ok := strings.Cut(v, ":")
		if a, err = netip.ParseAddr(host); !ok || err != nil || !a.Is4() {
			return netip.Addr{}
		}
	}
	return a.Unmap().WithZone("")
}

// eachPart calls fn with each part of s between separators sep, where a
// separator inside a quoted string (with backslash escapes) does not
// count; an unterminated quote runs to the end of s.
func eachPart(s string, sep byte, fn func(string)) {
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == sep:
			fn(s[start:i])
			start = i + 1
		}
	}
	fn(s[start:])
}

// unquote is a value: a token as it is, or a quoted string's text; false
// when it is neither.
func unquote(v string) (string, bool) {
	if !strings.HasPrefix(v, `"`) {
		return v, v != "" && !strings.ContainsAny(v, "\" \t")
	}
	var b strings.Builder
	for i := 1; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && i+1 < len(v):
			i++
			b.WriteByte(v[i])
		case c == '"':
			return b.String(), i == len(v)-1
		default:
			b.WriteByte(c)
		}
	}
	return "", false
}
