package pac

import (
	"errors"
	"net"
	"reflect"
	"strings"
	"testing"
)

func TestParseResult(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Hop
	}{
		{"PROXY a.bank.example:8080; PROXY 10.0.0.2:3128; DIRECT", []Hop{{"PROXY", "a.bank.example:8080"}, {"PROXY", "10.0.0.2:3128"}, {"DIRECT", ""}}},
		{"", []Hop{{"DIRECT", ""}}},
		{"  direct ", []Hop{{"DIRECT", ""}}},
		{"PROXY proxy", []Hop{{"PROXY", "proxy:80"}}},
		{"HTTP proxy:81;HTTPS secure;SOCKS5 s:1081", []Hop{{"PROXY", "proxy:81"}, {"HTTPS", "secure:443"}, {"SOCKS5", "s:1081"}}},
		{"PROXY [2001:db8::1]:8080; PROXY 2001:db8::2", []Hop{{"PROXY", "[2001:db8::1]:8080"}, {"PROXY", "[2001:db8::2]:80"}}},
		{"PROXY a:1;; FOO b:2; PROXY c:99999; PROXY; DIRECT x; PROXY d:2", []Hop{{"PROXY", "a:1"}, {"PROXY", "d:2"}}},
	} {
		got, err := ParseResult(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseResult(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"FOO bar", "PROXY", "PROXY a b", "PROXY http://a:1", "PROXY user@a:1", strings.Repeat("DIRECT;", 1000)} {
		if got, err := ParseResult(in); !errors.Is(err, ErrResult) {
			t.Errorf("ParseResult(%q) = %v, %v; want ErrResult", in, got, err)
		}
	}
}

// Whatever a script returns, the parser does not panic, and what it
// keeps is well formed: DIRECT, or a known type with host:port, which it
// reads back the same.
func FuzzParseResult(f *testing.F) {
	for _, s := range []string{"PROXY a:1; PROXY b:2; DIRECT", "", "DIRECT", "HTTPS [::1]:443", "PROXY a", "SOCKS x:1;;", "PROXY [::1]]:80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		hops, err := ParseResult(s)
		if err != nil {
			if !errors.Is(err, ErrResult) || hops != nil {
				t.Fatalf("%q: %v, %v", s, hops, err)
			}
			return
		}
		if len(hops) == 0 || len(hops) > MaxHops {
			t.Fatalf("%q: %d hops", s, len(hops))
		}
		for _, h := range hops {
			if h.Direct() {
				if h.Addr != "" {
					t.Fatalf("%q: DIRECT with %q", s, h.Addr)
				}
				continue
			}
			if _, _, err := net.SplitHostPort(h.Addr); err != nil {
				t.Fatalf("%q: hop %v: %v", s, h, err)
			}
			again, err := ParseResult(h.String())
			if err != nil || len(again) != 1 || again[0] != h {
				t.Fatalf("%q: hop %v reads back as %v, %v", s, h, again, err)
			}
		}
	})
}
