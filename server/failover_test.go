package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/pgtest"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
)

// A fail-over as far as one machine allows (docs/deploy.md, "Fail-over:
// what is tested"): a node on a libpq multi-host URL
// (target_session_attrs=read-write) over a primary and its streaming
// standby, two local clusters. The primary stops; until the standby is
// promoted the node answers "service unavailable"; after, it serves from
// the new primary by itself, which knows what the old one had
// acknowledged: the passcode accepted before the fail-over is refused
// after it.
func TestFailoverToPromotedStandby(t *testing.T) {
	began := time.Now()
	primary := pgtest.NewCluster(t)
	one, err := url.Parse(primary.NewDB(t))
	if err != nil {
		t.Fatal(err)
	}
	standby := primary.Standby(t)
	t.Logf("primary and standby up in %v", time.Since(began))
	multi := fmt.Sprintf("postgres://postgres@127.0.0.1:%d,127.0.0.1:%d%s?sslmode=disable&target_session_attrs=read-write",
		primary.Port(), standby.Port(), one.Path)
	s := open(t, servertest.Options{DB: multi})
	tok := enrolled(t, s, "trader")
	c := adminClient(t, s)
	defer c.Close()
	verify := func(code string) string {
		return c.Send(map[string]string{"type": "verifylogin", "userid": "trader", "pass": c.Enc("trader-pass"), "2fatoken": code}).Result
	}
	s.Clock.Advance(30 * time.Second)
	used := codeAt(t, s, tok, 0)
	if got := verify(used); got != wire.ResultOK {
		t.Fatalf("verifylogin before the fail-over: %q", got)
	}
	standby.CaughtUp(t, primary)
	began = time.Now()
	primary.Stop(t)
	t.Logf("primary stopped in %v", time.Since(began))
	if got, took := timed(func() string { return verify(used) }); got != wire.ResultUnavailable || took > outageBound {
		t.Errorf("verifylogin with the primary down, the standby not promoted: %q in %v, want %q", got, took, wire.ResultUnavailable)
	}
	began = time.Now()
	standby.Promote(t)
	t.Logf("standby promoted in %v", time.Since(began))
	start := time.Now()
	got := verify(used)
	for ; got == wire.ResultUnavailable && time.Since(start) < 30*time.Second; got = verify(used) {
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("served by the promoted standby %v after promotion", time.Since(start))
	if got != wire.ResultInvalidToken {
		t.Errorf("the passcode accepted before the fail-over, after it: %q, want %q", got, wire.ResultInvalidToken)
	}
	s.Clock.Advance(30 * time.Second)
	if got := verify(codeAt(t, s, tok, 0)); got != wire.ResultOK {
		t.Errorf("the next passcode after the fail-over: %q", got)
	}
	if status, body := probe(t, s, "/readyz"); status != http.StatusOK {
		t.Errorf("/readyz after the fail-over: %d %q", status, body)
	}
}
