package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/pgtest"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
)

// Outages of PostgreSQL under running nodes (docs/deploy.md, "Outages"):
// while the database cannot be reached every request is answered
// "service unavailable" (HTTP 503 on the pages) at once, /readyz says not
// ready, and the node serves again by itself when the database returns.

// outageBound is how long an answer may take while the database is down:
// PostgreSQL stopped refuses connections at once, and a database that
// does not answer at all is cut off by the connect timeout
// (postgres.DefaultConnectTimeout).
const outageBound = 6 * time.Second

// adminClient is a websocket signed in as the service account "admin".
func adminClient(t *testing.T, s *servertest.Server) *servertest.Client {
	t.Helper()
	c := s.Dial()
	if r := c.Login("admin", "admin-password", ""); r.Result != wire.ResultOK {
		t.Fatalf("admin login: %+v", r)
	}
	return c
}

// timed is what send answers and how long it took.
func timed(send func() string) (string, time.Duration) {
	start := time.Now()
	r := send()
	return r, time.Since(start)
}

func TestDatabaseOutageAnswersUnavailableAndResumes(t *testing.T) {
	cluster := pgtest.NewCluster(t)
	s := open(t, servertest.Options{DB: cluster.NewDB(t)})
	tok := enrolled(t, s, "trader")
	c := adminClient(t, s)
	defer c.Close()
	s.Clock.Advance(30 * time.Second)
	cluster.Stop(t)
	requests := map[string]func() string{
		"verifylogin": func() string {
			return c.Send(map[string]string{"type": "verifylogin", "userid": "trader", "pass": c.Enc("trader-pass"), "2fatoken": codeAt(t, s, tok, 0)}).Result
		},
		"adduser": func() string {
			return c.Send(map[string]any{"type": "adduser", "userid": "newcomer", "pass": c.Enc("newcomer-pass"), "use2fa": "Y"}).Result
		},
		"login": func() string {
			d := s.Dial()
			defer d.Close()
			return d.Login("trader", "trader-pass", codeAt(t, s, tok, 0)).Result
		},
	}
	for name, send := range requests {
		got, took := timed(send)
		t.Logf("%s during the outage: %q in %v", name, got, took)
		if got != wire.ResultUnavailable || took > outageBound {
			t.Errorf("%s during the outage: %q in %v, want %q within %v", name, got, took, wire.ResultUnavailable, outageBound)
		}
	}
	b := servertest.NewBrowser(t, s.URL)
	if status, body := b.SignIn("trader", "trader-pass"); status != http.StatusServiceUnavailable || !strings.Contains(body, "unavailable") {
		t.Errorf("enrol site sign-in during the outage: %d, want 503 saying the service is unavailable:\n%s", status, body)
	}
	if status, body := probe(t, s, "/readyz"); status != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the outage: %d %q, want 503", status, body)
	}
	cluster.Start(t)
	s.Clock.Advance(30 * time.Second)
	start := time.Now()
	for {
		got := s.Verify("trader", "trader-pass", codeAt(t, s, tok, 0))
		if got == wire.ResultOK {
			break
		}
		if got != wire.ResultUnavailable || time.Since(start) > 30*time.Second {
			t.Fatalf("verifylogin after the database returned: %q after %v", got, time.Since(start))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("served again %v after PostgreSQL accepted connections", time.Since(start))
	if status, body := probe(t, s, "/readyz"); status != http.StatusOK {
		t.Errorf("/readyz after the outage: %d %q", status, body)
	}
}

// A database host that hangs (its processes stopped: connections are
// accepted and never answered, statements never end) is an outage too:
// each request is answered "service unavailable" once the store's bound
// on a transaction (server.DatabaseTimeout, 2 s here) runs out, /readyz
// says not ready, and service resumes when the host does.
func TestHungDatabaseAnswersUnavailableWithinTheBound(t *testing.T) {
	const bound = 2 * time.Second
	cluster := pgtest.NewCluster(t)
	s := open(t, servertest.Options{DB: cluster.NewDB(t), DBTimeout: bound})
	tok := enrolled(t, s, "trader")
	c := adminClient(t, s)
	defer c.Close()
	s.Clock.Advance(30 * time.Second)
	cluster.Freeze(t)
	thawed := false
	defer func() {
		if !thawed {
			cluster.Thaw(t)
		}
	}()
	got, took := timed(func() string {
		return c.Send(map[string]string{"type": "verifylogin", "userid": "trader", "pass": c.Enc("trader-pass"), "2fatoken": codeAt(t, s, tok, 0)}).Result
	})
	t.Logf("verifylogin while the database hangs: %q in %v", got, took)
	if got != wire.ResultUnavailable || took > bound+time.Second {
		t.Errorf("verifylogin while the database hangs: %q in %v, want %q within %v", got, took, wire.ResultUnavailable, bound)
	}
	if status, body := probe(t, s, "/readyz"); status != http.StatusServiceUnavailable {
		t.Errorf("/readyz while the database hangs: %d %q, want 503", status, body)
	}
	cluster.Thaw(t)
	thawed = true
	if got := s.Verify("trader", "trader-pass", codeAt(t, s, tok, 0)); got != wire.ResultOK {
		t.Errorf("verifylogin after the database resumed: %q", got)
	}
}
