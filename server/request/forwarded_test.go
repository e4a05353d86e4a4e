package request

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// show writes hops as "addr/proto", with "-" for a hop without an address.
func show(hs []hop) string {
	var out []string
	for _, h := range hs {
		a := "-"
		if h.addr.IsValid() {
			a = h.addr.String()
		}
		out = append(out, a+"/"+h.proto)
	}
	return strings.Join(out, " ")
}

func TestParseForwarded(t *testing.T) {
	tests := []struct {
		lines []string
		want  string
	}{
		{nil, ""},
		{[]string{"for=192.0.2.43"}, "192.0.2.43/"},
		{[]string{`for=192.0.2.43, for="[2001:db8:cafe::17]:4711"`}, "192.0.2.43/ 2001:db8:cafe::17/"},
		{[]string{`for=192.0.2.60;proto=http;by=203.0.113.43`}, "192.0.2.60/http"},
		{[]string{"for=192.0.2.43", "for=198.51.100.17;proto=HTTPS"}, "192.0.2.43/ 198.51.100.17/https"},
		{[]string{"for=unknown", "for=_hidden, for=_SEVKISEK"}, "-/ -/ -/"},
		{[]string{`for="_gazonk"`}, "-/"},
		{[]string{"for=192.0.2.43,, ,for=192.0.2.44"}, "192.0.2.43/ 192.0.2.44/"},
		{[]string{`for="192.0.2.43:47011"`}, "192.0.2.43/"},
		{[]string{`for="[2001:db8::1]"`}, "2001:db8::1/"},
		{[]string{`for="[2001:db8::1]x"`}, "-/"},
		{[]string{`for="[2001:db8::1"`}, "-/"},
		{[]string{`for="2001:db8::1"`}, "2001:db8::1/"},
		{[]string{`for=fe80::1%eth0`}, "fe80::1/"},
		{[]string{"for"}, "-/"},
		{[]string{"for="}, "-/"},
		{[]string{"=192.0.2.1"}, "-/"},
		{[]string{`for="192.0.2.1`}, "-/"},
		{[]string{`for=192.0.2.1"x"`}, "-/"},
		{[]string{`for="192.0.2.1" ;proto=https`}, "192.0.2.1/https"},
		{[]string{"for=192.0.2.1;proto=http;proto=https"}, "-/"},
		{[]string{`for="a,b;c", for=192.0.2.1`}, "-/ 192.0.2.1/"},
		{[]string{`for="\"`}, "-/"},
		{[]string{"proto=https"}, "-/https"},
		{[]string{"for=999.0.0.1"}, "-/"},
		{[]string{"for=192.0.2.1:80:80"}, "192.0.2.1/"},
	}
	for _, tt := range tests {
		if got := show(parseForwarded(tt.lines)); got != tt.want {
			t.Errorf("parseForwarded(%q) = %q, want %q", tt.lines, got, tt.want)
		}
	}
}

func TestParseXForwardedFor(t *testing.T) {
	tests := []struct {
		fors, protos []string
		want         string
	}{
		{nil, nil, ""},
		{[]string{"203.0.113.9"}, nil, "203.0.113.9/"},
		{[]string{" 203.0.113.9 ,10.0.0.1:80,[2001:db8::1]:443 ,2001:db8::2,"}, nil, "203.0.113.9/ 10.0.0.1/ 2001:db8::1/ 2001:db8::2/"},
		{[]string{"203.0.113.9", "10.0.0.1"}, []string{"https", "http"}, "203.0.113.9/https 10.0.0.1/http"},
		{[]string{"203.0.113.9, 10.0.0.1"}, []string{"https"}, "203.0.113.9/https 10.0.0.1/https"},
		{[]string{"unknown, _x, 1.2.3, [1.2.3.4], \"203.0.113.9\""}, nil, "-/ -/ -/ -/ -/"},
		{[]string{"203.0.113.9\t"}, []string{" HTTPS "}, "203.0.113.9/https"},
	}
	for _, tt := range tests {
		if got := show(parseXForwardedFor(tt.fors, tt.protos)); got != tt.want {
			t.Errorf("parseXForwardedFor(%q, %q) = %q, want %q", tt.fors, tt.protos, got, tt.want)
		}
	}
}

// A long header keeps only its last hops: memory does not grow with it,
// and the hops kept are the nearest ones, in order.
func TestLongHeader(t *testing.T) {
	var b strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&b, "10.1.%d.%d, ", i/256%256, i%256)
	}
	b.WriteString("203.0.113.9")
	for _, hs := range [][]hop{parseXForwardedFor([]string{b.String()}, nil),
		parseForwarded([]string{strings.ReplaceAll("for="+b.String(), ", ", ", for=")})} {
		if len(hs) != maxHops || hs[maxHops-1].addr.String() != "203.0.113.9" || hs[maxHops-2].addr.String() != "10.1.39.15" {
			t.Errorf("%d hops, last %s", len(hs), show(hs[len(hs)-2:]))
		}
	}
}

// FuzzForwarded feeds the forwarding headers a client may write to a
// server behind a trusted proxy: whatever they hold, the client is an
// address, either the proxy or one the header names, with no untrusted
// hop to its right (the walk never goes past the client).
func FuzzForwarded(f *testing.F) {
	f.Add(`for=192.0.2.43, for="[2001:db8:cafe::17]:4711";proto=https`, "6.6.6.6, 10.0.0.5", "https")
	f.Add(`for=unknown;by=_x, for="_hidden"`, "unknown, [::1]:80", "http, https")
	f.Add(`for="\"\\`, `"10.1.0.1, 10.1.0.2`, "")
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.1.0.0/16")}
	f.Fuzz(func(t *testing.T, fwd, xff, xfp string) {
		for _, header := range []string{HeaderForwarded, HeaderXForwardedFor} {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = "127.0.0.1:4711"
			r.Header = http.Header{"Forwarded": {fwd}, "X-Forwarded-For": {xff}, "X-Forwarded-Proto": {xfp}}
			p := Proxies{Trusted: trusted, Header: header}
			o := p.resolve(r)
			hs := parseForwarded([]string{fwd})
			if header == HeaderXForwardedFor {
				hs = parseXForwardedFor([]string{xff}, []string{xfp})
			}
			if len(hs) > maxHops {
				t.Fatalf("%d hops kept", len(hs))
			}
			want := "127.0.0.1"
			for i := len(hs) - 1; i >= 0 && hs[i].addr.IsValid(); i-- {
				if a := hs[i].addr; a.Is4In6() || a.Zone() != "" {
					t.Fatalf("hop %s not in plain form", a)
				}
				want = hs[i].addr.String()
				if !p.trusts(hs[i].addr) {
					break
				}
			}
			if o.client != want {
				t.Fatalf("%s: client %q, want %q (hops %s)", header, o.client, want, show(hs))
			}
			if _, err := netip.ParseAddr(o.client); err != nil {
				t.Fatalf("client %q is not an address", o.client)
			}
		}
	})
}
