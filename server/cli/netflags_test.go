package cli_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/cli"
	"github.com/softtoken/softtoken/server/wire"
)

// connect opens a websocket to the server at addr with headers h and asks
// for a challenge, as each trader's client does, then closes it; it
// reports whether the server let it in (no 429, a challenge key).
func connect(t *testing.T, addr string, h http.Header) bool {
	t.Helper()
	c := openSocket(t, addr, h)
	if c != nil {
		c.Close()
	}
	return c != nil
}

// openSocket is connect that leaves the socket open: nil if the server did not
// let it in.
func openSocket(t *testing.T, addr string, h http.Header) *websocket.Conn {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", h)
	if err != nil {
		if resp == nil || resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("dial: %v", err)
		}
		return nil
	}
	var r wire.Response
	if err := c.WriteJSON(map[string]string{"type": "challenge"}); err != nil {
		t.Fatal(err)
	}
	if err := c.ReadJSON(&r); err != nil {
		t.Fatal(err)
	}
	if r.Result != wire.ResultOK || r.Key == "" {
		c.Close()
		return nil
	}
	return c
}

// Behind a bank's NAT every trader has the same address: 40 of them
// connecting at 9:00, all waiting for their login at once, exceed the
// default per-address limits (30 a minute, 10 at once; 10 sockets not
// logged in), and get in when the administrator raises them all.
func TestServeBehindNAT(t *testing.T) {
	rates := []string{"--conn-rate", "1000", "--challenge-rate", "1000"}
	tests := []struct {
		args   []string
		allIn  bool
		reason string
	}{
		{nil, false, "the defaults"},
		{rates, false, "the rates for a NAT, but the default share of sockets not logged in"},
		{append(rates, "--max-pending-per-addr", "1000"), true, "limits for a NAT"},
	}
	for _, tt := range tests {
		a := newAdmin(t)
		addr, stop := a.serve(tt.args...)
		var in []*websocket.Conn
		for range 40 {
			if c := openSocket(t, addr, nil); c != nil {
				in = append(in, c)
			}
		}
		for _, c := range in {
			c.Close()
		}
		stop()
		if (len(in) == 40) != tt.allIn {
			t.Errorf("with %s (%v), %d of 40 traders from one address got in", tt.reason, tt.args, len(in))
		}
	}
}

// Behind a trusted proxy each client has its own bucket, keyed on the
// address the proxy names (the rightmost untrusted one, never a forged
// leftmost); SOFTTOKEN_TRUSTED_PROXY works as --trusted-proxy does.
func TestServeTrustedProxy(t *testing.T) {
	a := newAdmin(t)
	a.env["SOFTTOKEN_TRUSTED_PROXY"] = "127.0.0.0/8"
	addr, stop := a.serve("--conn-rate", "1,3")
	defer stop()
	from := func(xff string) http.Header { return http.Header{"X-Forwarded-For": {xff}} }
	for i := range 3 {
		if !connect(t, addr, from("10.0.0.1")) {
			t.Fatalf("connection %d of a burst of 3 refused", i+1)
		}
	}
	steps := []struct {
		xff string
		in  bool
	}{
		{"10.0.0.1", false},          // its burst is spent
		{"6.6.6.6, 10.0.0.1", false}, // the leftmost is the client's own word
		{"10.0.0.2", true},           // another trader behind the proxy
		{"10.0.0.1, 10.0.0.3", true}, // the proxy named 10.0.0.3
	}
	for _, st := range steps {
		if got := connect(t, addr, from(st.xff)); got != st.in {
			t.Errorf("X-Forwarded-For %q: in %v, want %v", st.xff, got, st.in)
		}
	}
}

// Wrong proxy and rate flags are usage errors, said before serving.
func TestServeNetFlagsRefused(t *testing.T) {
	tests := []struct{ args []string }{
		{[]string{"--trusted-proxy", "0.0.0.0/0"}},
		{[]string{"--trusted-proxy", "proxy.example.com"}},
		{[]string{"--proxy-header", "x-real-ip"}},
		{[]string{"--conn-rate", "0"}},
		{[]string{"--session-rate", "10,0"}},
		{[]string{"--frame-rate", "fast"}},
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // flags that were taken would serve, and stop at once
	for _, tt := range tests {
		env := cli.Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Getenv: func(k string) string {
				return map[string]string{"SOFTTOKEN_DB": filepath.Join(t.TempDir(), "softtoken.db")}[k]
			}}
		err := cli.Run(ctx, env, append([]string{"serve", "--listen", "127.0.0.1:0"}, tt.args...))
		var usage *cli.UsageError
		if !errors.As(err, &usage) {
			t.Errorf("serve %v: %v, want a usage error", tt.args, err)
		}
	}
}

// serve --help shows every limit with its default.
func TestServeHelp(t *testing.T) {
	out, err := newAdmin(t).run("", "serve", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"-trusted-proxy CIDR,...", "-proxy-header string", `(default "x-forwarded-for")`,
		"-conn-rate N[,B]", "-challenge-rate N[,B]", "-session-rate N[,B]", "-signin-rate N[,B]", "-frame-rate N[,B]",
		"(default 30,10)", "(default 60,30)", "(default 10)", "(default 600,40)"} {
		if !strings.Contains(out, want) {
			t.Errorf("serve --help lacks %q:\n%s", want, out)
		}
	}
}
