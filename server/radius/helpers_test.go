package radius_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/softtoken/softtoken/server/metrics"
	"github.com/softtoken/softtoken/server/radius"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/token"
)

// secret is the shared secret of the test's client, "vpn".
const secret = "a-shared-secret-of-the-test"

// door is a RADIUS door of a real server on 127.0.0.1:0.
type door struct {
	s    *servertest.Server
	addr string
	reg  *prometheus.Registry
	// wait is how long radclient waits for an answer, in seconds: long,
	// for a loaded machine running the race detector, unless a test
	// expects none.
	wait string
}

// open starts a server and its RADIUS door, answering 127.0.0.1 as the
// client "vpn"; change changes the door's configuration first.
func open(t testing.TB, o servertest.Options, change func(*radius.Config)) *door {
	t.Helper()
	s := servertest.NewWith(t, o)
	reg := prometheus.NewRegistry()
	cfg := radius.Config{Accounts: s.Accounts, Metrics: metrics.New(reg), Now: s.Clock.Now,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Clients: mustClients(t, "127.0.0.1 "+secret+" vpn\n")}
	if change != nil {
		change(&cfg)
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- radius.New(cfg).Serve(ctx, conn) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &door{s: s, addr: conn.LocalAddr().String(), reg: reg}
}

func mustClients(t testing.TB, text string) radius.Clients {
	t.Helper()
	cs, err := radius.ParseClients(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// reply is what radclient received: the answer's kind (Access-Accept,
// Access-Challenge, Access-Reject; "" for no answer) and its attributes
// by name, as radclient prints them.
type reply struct {
	Code  string
	Attrs map[string]string
}

var (
	receivedRe = regexp.MustCompile(`Received (Access-[A-Za-z]+) `)
	attrRe     = regexp.MustCompile(`(?m)^\s+([A-Za-z-]+) = (.*)$`)
)

// radclient sends the attributes attrs (radclient's input: one
// `Name = value` a line) to the door with FreeRADIUS's radclient, once,
// under secret sec, and returns what came back. The request carries a
// Message-Authenticator when attrs lists it (as 0x00).
func (d *door) radclient(t *testing.T, sec string, attrs ...string) reply {
	t.Helper()
	if _, err := exec.LookPath("radclient"); err != nil {
		t.Fatal("radclient is missing: apt-get install freeradius-utils (make deps installs it)")
	}
	cmd := exec.Command("radclient", "-x", "-r", "1", "-t", cmp.Or(d.wait, "15"), d.addr, "auth", sec)
	cmd.Stdin = strings.NewReader(strings.Join(attrs, "\n") + "\n")
	out, err := cmd.CombinedOutput()
	m := receivedRe.FindSubmatch(out)
	if m == nil {
		if ee := (*exec.ExitError)(nil); err == nil || !errors.As(err, &ee) || !strings.Contains(string(out), "No reply") {
			t.Fatalf("radclient: %v\n%s", err, out)
		}
		return reply{}
	}
	r := reply{Code: string(m[1]), Attrs: map[string]string{}}
	after := out[strings.Index(string(out), "Received"):]
	for _, a := range attrRe.FindAllSubmatch(after, -1) {
		r.Attrs[string(a[1])] = strings.Trim(string(a[2]), `"`)
	}
	return r
}

// signed is a PAP request of user with password pw (and the State st, if
// not ""), with a Message-Authenticator.
func signed(user, pw, st string) []string {
	a := []string{"User-Name = " + quote(user), "User-Password = " + quote(pw), "Message-Authenticator = 0x00"}
	if st != "" {
		a = append(a, "State = "+st)
	}
	return a
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// enrolled makes a user with a token (password userID-pass) and returns
// the token.
func enrolled(t *testing.T, s *servertest.Server, userID string) token.Token {
	t.Helper()
	return s.Enrol(userID, userID+"-pass", s.AddUser(userID, userID+"-pass"))
}

// codeAt is tok's passcode at the server's time plus steps periods.
func codeAt(t *testing.T, s *servertest.Server, tok token.Token, steps int) string {
	t.Helper()
	c, err := tok.Code(s.Clock.Now().Add(time.Duration(steps*tok.Period) * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
