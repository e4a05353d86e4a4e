package server_test

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/request"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
)

// Behind a reverse proxy every connection comes from the proxy. The tests
// trust 127.0.0.2 as the proxy: a client dialling from 127.0.0.1 is a
// stranger whose forwarding headers are its own invention.
var proxy = []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}

// The forwarding headers, from a trusted proxy and from a stranger: who
// the audit names, whose rate-limit bucket a connection spends, whether
// the pages' cookie is Secure and HSTS on. other is a second client
// behind the same peer: its own bucket only behind a trusted proxy.
func TestForwardingHeaders(t *testing.T) {
	tests := []struct {
		name, from, header string
		headers, other     http.Header
		client             string
		https, separate    bool
	}{
		{name: "a stranger forges X-Forwarded-For", from: "127.0.0.1",
			headers: http.Header{"X-Forwarded-For": {"6.6.6.6, 10.0.0.5"}, "X-Forwarded-Proto": {"https"}},
			other:   http.Header{"X-Forwarded-For": {"6.6.6.6"}}, client: "127.0.0.1"},
		{name: "a trusted proxy's X-Forwarded-For, with a forged leftmost address", from: "127.0.0.2",
			headers: http.Header{"X-Forwarded-For": {"6.6.6.6, 10.0.0.5"}, "X-Forwarded-Proto": {"https"}},
			other:   http.Header{"X-Forwarded-For": {"6.6.6.6"}}, client: "10.0.0.5", https: true, separate: true},
		{name: "a trusted proxy's Forwarded", from: "127.0.0.2", header: request.HeaderForwarded,
			headers: http.Header{"Forwarded": {`for=6.6.6.6, for="[2001:db8::5]:4711";proto=https`}},
			other:   http.Header{"Forwarded": {"for=6.6.6.6"}}, client: "2001:db8::5", https: true, separate: true},
		{name: "a proxy that sets Forwarded passes on a forged X-Forwarded-For", from: "127.0.0.2", header: request.HeaderForwarded,
			headers: http.Header{"Forwarded": {"for=10.0.0.5"}, "X-Forwarded-For": {"6.6.6.6"}},
			other:   http.Header{"Forwarded": {"for=10.0.0.6"}, "X-Forwarded-For": {"10.0.0.5"}}, client: "10.0.0.5", separate: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := servertest.NewWith(t, servertest.Options{Proxies: request.Proxies{Trusted: proxy, Header: tt.header},
				WS: ws.Config{Connections: ratelimit.Rate{PerMinute: 1, Burst: 3}}})
			s.AddUser("trader", "trader-pass")
			c, status, err := s.TryDial(tt.from, tt.headers)
			if err != nil {
				t.Fatalf("dial: %d, %v", status, err)
			}
			if r := c.Login("trader", "wrong", ""); r.Result != wire.ResultInvalidLogin {
				t.Fatalf("wrong password: %+v", r)
			}
			c.Close()
			if got := passwordClients(t, s); got != tt.client {
				t.Errorf("the audit names %q as the client, want %q", got, tt.client)
			}
			checkBuckets(t, s, tt.from, tt.headers, tt.other, tt.separate)
			checkScheme(t, s, tt.from, tt.headers, tt.https)
		})
	}
}

// passwordClients are the clients the audit names in password checks.
func passwordClients(t *testing.T, s *servertest.Server) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s.Admin("", "audit", "--json", "--user", "trader")))
	var clients []string
	for dec.More() { // JSON Lines: one record a line
		var e store.AuditEvent
		if err := dec.Decode(&e); err != nil {
			t.Fatal(err)
		}
		if e.Event == "password" {
			clients = append(clients, e.Client)
		}
	}
	return strings.Join(clients, " ")
}

// checkBuckets spends the rest of the client's connections (a burst of 3,
// one a minute after: one was spent on the login), then dials as other.
func checkBuckets(t *testing.T, s *servertest.Server, from string, h, other http.Header, separate bool) {
	t.Helper()
	for i := range 3 {
		c, status, err := s.TryDial(from, h)
		if i < 2 && err != nil {
			t.Fatalf("connection %d of a burst of 3: %d, %v", i+2, status, err)
		}
		if i == 2 {
			if err == nil || status != http.StatusTooManyRequests {
				t.Fatalf("the 4th connection in a burst of 3: %d, %v; want 429", status, err)
			}
			break
		}
		c.Close()
	}
	c, status, err := s.TryDial(from, other)
	if got := err == nil; got != separate {
		t.Errorf("another client behind the same peer (%v) got in: %v (status %d); want %v", other, got, status, separate)
	}
	if c != nil {
		c.Close()
	}
}

// checkScheme opens the enrol site: over HTTPS at the proxy, its session
// cookie is Secure and HSTS is on; over plain HTTP neither.
func checkScheme(t *testing.T, s *servertest.Server, from string, h http.Header, https bool) {
	t.Helper()
	b := servertest.NewBrowserVia(t, s.URL, from, h)
	resp, err := b.Client.Get(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookie := resp.Header.Get("Set-Cookie")
	if !strings.Contains(cookie, "softtoken_session=") {
		t.Fatalf("no session cookie: %q", cookie)
	}
	if secure := strings.Contains(cookie, "; Secure"); secure != https {
		t.Errorf("session cookie %q: Secure %v, want %v", cookie, secure, https)
	}
	if hsts := resp.Header.Get("Strict-Transport-Security") != ""; hsts != https {
		t.Errorf("HSTS %v, want %v", hsts, https)
	}
}
