package request_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/request"
)

func TestClientAddr(t *testing.T) {
	tests := []struct{ remote, want string }{
		{"192.0.2.7:51000", "192.0.2.7"},
		{"[2001:db8::1]:443", "2001:db8::1"},
		{"[::ffff:192.0.2.7]:443", "192.0.2.7"},
		{"192.0.2.7", "192.0.2.7"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		if got := request.ClientAddr(r); got != tt.want {
			t.Errorf("ClientAddr(%q) = %q, want %q", tt.remote, got, tt.want)
		}
	}
}

// resolved is what an adapter behind p.Handler reads of r.
func resolved(t *testing.T, p request.Proxies, r *http.Request) (client string, https bool) {
	t.Helper()
	p.Handler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		client, https = request.ClientAddr(r), request.HTTPS(r)
	})).ServeHTTP(httptest.NewRecorder(), r)
	return client, https
}

// The proxies of the tests: the server's own on loopback, and an inner
// tier of a bank's chain of proxies in 10.1.0.0/16.
var trusted = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("::1/128")}

func TestProxies(t *testing.T) {
	tests := []struct {
		name, peer, header string
		tls                bool
		headers            map[string][]string
		client             string
		https              bool
	}{
		{name: "no proxy", peer: "192.0.2.7:5000", client: "192.0.2.7"},
		{name: "untrusted peer forges X-Forwarded-For", peer: "192.0.2.7:5000",
			headers: map[string][]string{"X-Forwarded-For": {"10.9.9.9"}, "X-Forwarded-Proto": {"https"}}, client: "192.0.2.7"},
		{name: "untrusted peer forges Forwarded", peer: "192.0.2.7:5000", header: "forwarded",
			headers: map[string][]string{"Forwarded": {"for=10.9.9.9;proto=https"}}, client: "192.0.2.7"},
		{name: "trusted proxy", peer: "127.0.0.1:5000", headers: map[string][]string{"X-Forwarded-For": {"203.0.113.9"}}, client: "203.0.113.9"},
		{name: "trusted proxy over IPv6", peer: "[::1]:5000", headers: map[string][]string{"X-Forwarded-For": {"203.0.113.9"}}, client: "203.0.113.9"},
		{name: "trusted proxy without a header", peer: "127.0.0.1:5000", client: "127.0.0.1"},
		{name: "forged leftmost", peer: "127.0.0.1:5000", headers: map[string][]string{"X-Forwarded-For": {"6.6.6.6, 10.0.0.5"}}, client: "10.0.0.5"},
		{name: "chain of trusted proxies", peer: "127.0.0.1:5000",
			headers: map[string][]string{"X-Forwarded-For": {"6.6.6.6,203.0.113.9 , 10.1.0.2,10.1.7.7"}}, client: "203.0.113.9"},
		{name: "every hop a trusted proxy", peer: "127.0.0.1:5000", headers: map[string][]string{"X-Forwarded-For": {"10.1.0.3, 10.1.0.2"}}, client: "10.1.0.3"},
		{name: "several header lines", peer: "127.0.0.1:5000", headers: map[string][]string{"X-Forwarded-For": {"6.6.6.6", "203.0.113.9, 10.1.0.2"}}, client: "203.0.113.9"},
		{name: "ports and brackets", peer: "127.0.0.1:5000", headers: map[string][]string{"X-Forwarded-For": {"[2001:db8::1]:4711"}}, client: "2001:db8::1"},
		{name: "IPv4 with a port", peer: "127.0.0.1:5000", headers: map[string][]string{"X-Forwarded-For": {" 203.0.113.9:4711 "}}, client: "203.0.113.9"},
		{name: "bare IPv6", peer: "127.0.0.1:5000", headers: map[string][]string{"X-Forwarded-For": {"2001:db8::7"}}, client: "2001:db8::7"},
		{name: "IPv4 in IPv6", peer: "127.0.0.1:5000", headers: map[string][]string{"X-Forwarded-For": {"::ffff:203.0.113.9"}}, client: "203.0.113.9"},
		{name: "unknown is the proxy", peer: "127.0.0.1:5000", headers: map[string][]string{"X-Forwarded-For": {"6.6.6.6, unknown"}}, client: "127.0.0.1"},
		{name: "unknown behind an inner proxy", peer: "127.0.0.1:5000", headers: map[string][]string{"X-Forwarded-For": {"6.6.6.6, garbage, 10.1.0.2"}}, client: "10.1.0.2"},
		{name: "a stray quote does not swallow the proxy's entry", peer: "127.0.0.1:5000",
			headers: map[string][]string{"X-Forwarded-For": {`"6.6.6.6, 203.0.113.9`}}, client: "203.0.113.9"},
		{name: "Forwarded ignored when the proxies set X-Forwarded-For", peer: "127.0.0.1:5000",
			headers: map[string][]string{"Forwarded": {"for=6.6.6.6"}, "X-Forwarded-For": {"203.0.113.9"}}, client: "203.0.113.9"},
		{name: "X-Forwarded-For ignored when the proxies set Forwarded", peer: "127.0.0.1:5000", header: "Forwarded",
			headers: map[string][]string{"Forwarded": {"for=203.0.113.9"}, "X-Forwarded-For": {"6.6.6.6"}}, client: "203.0.113.9"},
		{name: "Forwarded, several elements", peer: "127.0.0.1:5000", header: "forwarded",
			headers: map[string][]string{"Forwarded": {`for=6.6.6.6, for="[2001:db8:cafe::17]:4711";proto=https, for=10.1.0.2;proto=http`}},
			client:  "2001:db8:cafe::17", https: true},
		{name: "Forwarded, several lines", peer: "127.0.0.1:5000", header: "forwarded",
			headers: map[string][]string{"Forwarded": {"for=6.6.6.6", `For="192.0.2.43:80";Proto=HTTPS;by=_proxy`}}, client: "192.0.2.43", https: true},
		{name: "Forwarded, unknown", peer: "127.0.0.1:5000", header: "forwarded", headers: map[string][]string{"Forwarded": {"for=6.6.6.6, for=unknown"}}, client: "127.0.0.1"},
		{name: "Forwarded, obfuscated", peer: "127.0.0.1:5000", header: "forwarded", headers: map[string][]string{"Forwarded": {`for=6.6.6.6, for="_hidden:_port"`}}, client: "127.0.0.1"},
		{name: "Forwarded, no for", peer: "127.0.0.1:5000", header: "forwarded", headers: map[string][]string{"Forwarded": {"for=6.6.6.6, proto=https"}}, client: "127.0.0.1", https: true},
		{name: "Forwarded, for twice", peer: "127.0.0.1:5000", header: "forwarded", headers: map[string][]string{"Forwarded": {"for=203.0.113.9;for=6.6.6.6"}}, client: "127.0.0.1"},
		{name: "Forwarded, unquoted IPv6 in brackets", peer: "127.0.0.1:5000", header: "forwarded", headers: map[string][]string{"Forwarded": {"for=[2001:db8::1]:80"}}, client: "2001:db8::1"},
		{name: "Forwarded, IPv4 in brackets", peer: "127.0.0.1:5000", header: "forwarded", headers: map[string][]string{"Forwarded": {`for="[192.0.2.1]"`}}, client: "127.0.0.1"},
		{name: "Forwarded, malformed", peer: "127.0.0.1:5000", header: "forwarded", headers: map[string][]string{"Forwarded": {`for="203.0.113.9`}}, client: "127.0.0.1"},
		{name: "Forwarded, a comma in quotes", peer: "127.0.0.1:5000", header: "forwarded",
			headers: map[string][]string{"Forwarded": {`for="_a,b", for=203.0.113.9`}}, client: "203.0.113.9"},
		{name: "Forwarded, escapes", peer: "127.0.0.1:5000", header: "forwarded", headers: map[string][]string{"Forwarded": {`for="203.0.113.\9"`}}, client: "203.0.113.9"},
		{name: "X-Forwarded-Proto", peer: "127.0.0.1:5000",
			headers: map[string][]string{"X-Forwarded-For": {"203.0.113.9"}, "X-Forwarded-Proto": {"https"}}, client: "203.0.113.9", https: true},
		{name: "X-Forwarded-Proto of each hop", peer: "127.0.0.1:5000",
			headers: map[string][]string{"X-Forwarded-For": {"203.0.113.9, 10.1.0.2"}, "X-Forwarded-Proto": {"https, http"}}, client: "203.0.113.9", https: true},
		{name: "X-Forwarded-Proto of the last proxy", peer: "127.0.0.1:5000",
			headers: map[string][]string{"X-Forwarded-For": {"203.0.113.9, 10.1.0.2"}, "X-Forwarded-Proto": {"HTTPS"}}, client: "203.0.113.9", https: true},
		{name: "plain HTTP at the proxy", peer: "127.0.0.1:5000",
			headers: map[string][]string{"X-Forwarded-For": {"203.0.113.9"}, "X-Forwarded-Proto": {"http"}}, client: "203.0.113.9"},
		{name: "TLS on our listener is HTTPS whatever a proxy says", peer: "127.0.0.1:5000", tls: true,
			headers: map[string][]string{"X-Forwarded-For": {"203.0.113.9"}, "X-Forwarded-Proto": {"http"}}, client: "203.0.113.9", https: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for k, vs := range tt.headers {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			client, https := resolved(t, request.Proxies{Trusted: trusted, Header: tt.header}, r)
			if client != tt.client || https != tt.https {
				t.Errorf("client %q, https %v; want %q, %v", client, https, tt.client, tt.https)
			}
		})
	}
}

// A request that never went through Proxies.Handler trusts no header.
func TestWithoutHandler(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:5000"
	r.Header.Set("X-Forwarded-For", "10.9.9.9")
	r.Header.Set("X-Forwarded-Proto", "https")
	if c, https := request.ClientAddr(r), request.HTTPS(r); c != "127.0.0.1" || https {
		t.Errorf("client %q, https %v", c, https)
	}
}

func TestParseTrusted(t *testing.T) {
	tests := []struct {
		in, want string // want: the prefixes, or "error"
	}{
		{"", ""},
		{"127.0.0.0/8", "127.0.0.0/8"},
		{" 10.0.0.1 , 192.168.1.77/24,::1", "10.0.0.1/32 192.168.1.0/24 ::1/128"},
		{"::ffff:10.0.0.0/104", "10.0.0.0/8"},
		{"::ffff:10.0.0.1", "10.0.0.1/32"},
		{"0.0.0.0/0", "error"},
		{"::/0", "error"},
		{"proxy.example.com", "error"},
		{"10.0.0.0/33", "error"},
	}
	for _, tt := range tests {
		ps, err := request.ParseTrusted(tt.in)
		var got []string
		for _, p := range ps {
			got = append(got, p.String())
		}
		if err != nil {
			got = []string{"error"}
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("ParseTrusted(%q) = %v (%v), want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestCheckHeader(t *testing.T) {
	for h, ok := range map[string]bool{"": true, "x-forwarded-for": true, "X-Forwarded-For": true, "Forwarded": true, "X-Real-IP": false} {
		if err := request.CheckHeader(h); (err == nil) != ok {
			t.Errorf("CheckHeader(%q): %v", h, err)
		}
	}
}

// Only this package reads a request's peer, its TLS state or the
// forwarding headers: an adapter that read them itself would believe
// what any client writes, or miss the client behind a proxy.
func TestOnlyRequestReadsTheOrigin(t *testing.T) {
	forbidden := regexp.MustCompile(`\.RemoteAddr\b|(?i)\.(Get|Values)\("(X-Forwarded-[a-z]+|Forwarded|X-Real-IP)"\)|\.TLS\s*[!=]=`)
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "request" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if m := forbidden.Find(src); m != nil {
			t.Errorf("%s reads %s: ask server/request", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
