package server_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/pgtest"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token"
)

// A load test of outages (docs/deploy.md, "Outages"): two nodes on one
// PostgreSQL answer a stream of adduser and verifylogin, over the real
// websocket on loopback, while PostgreSQL is stopped (pg_ctl -m fast),
// started, crashed (-m immediate) and started again. Afterwards every
// adduser acknowledged exists with the token it was told, no passcode
// was accepted twice, and every answer was one the protocol documents
// (no "internal error"). Bounded: four workers per node, about 8 s.

// loadPhase is how long each phase lasts: up, down, up, crashed, up.
const loadPhase = 1500 * time.Millisecond

// loadRun is what the workers saw.
type loadRun struct {
	mu sync.Mutex
	// added is every acknowledged adduser: user ID to the seed told.
	added map[string]string
	// accepted counts the OKs of each user's passcode of each step.
	accepted map[string]int
	// results counts the answers by phase and result.
	results map[string]int
	// slowest is the longest answer in each phase.
	slowest map[string]time.Duration
	phase   atomic.Value
}

func (l *loadRun) note(result string, took time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.phase.Load().(string)
	l.results[p+" "+result]++
	l.slowest[p] = max(l.slowest[p], took)
}

// adder sends adduser for new user IDs on c until stop is closed.
func (l *loadRun) adder(t *testing.T, c *servertest.Client, name string, stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		id := fmt.Sprintf("%s-%d", name, i)
		start := time.Now()
		r := c.Send(map[string]any{"type": "adduser", "userid": id, "pass": c.Enc(id + "-pass"), "use2fa": "Y"})
		l.note("adduser "+r.Result, time.Since(start))
		if r.Result == wire.ResultOK {
			l.mu.Lock()
			l.added[id] = r.TwoFASeed
			l.mu.Unlock()
		}
	}
}

// verifier sends verifylogin with the current passcode of one of users
// on c until stop is closed.
func (l *loadRun) verifier(t *testing.T, s *servertest.Server, c *servertest.Client, users []string, tokens map[string]token.Token, stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		user := users[i%len(users)]
		now := s.Clock.Now()
		code, err := tokens[user].Code(now)
		if err != nil {
			t.Error(err)
			return
		}
		start := time.Now()
		r := c.Send(map[string]string{"type": "verifylogin", "userid": user, "pass": c.Enc(user + "-pass"), "2fatoken": code})
		l.note("verifylogin "+r.Result, time.Since(start))
		if r.Result == wire.ResultOK {
			l.mu.Lock()
			l.accepted[fmt.Sprintf("%s@%d", user, now.Unix()/int64(tokens[user].Period))]++
			l.mu.Unlock()
		}
	}
}

func TestOutageUnderLoadLosesNothing(t *testing.T) {
	cluster := pgtest.NewCluster(t)
	nodes := []*servertest.Server{open(t, servertest.Options{DB: cluster.NewDB(t)})}
	nodes = append(nodes, open(t, servertest.Options{Join: nodes[0]}))
	users, tokens := []string{}, map[string]token.Token{}
	for i := range 4 {
		u := fmt.Sprintf("trader%d", i)
		tokens[u], _ = seeded(t, nodes[0], u)
		users = append(users, u)
	}
	l := &loadRun{added: map[string]string{}, accepted: map[string]int{}, results: map[string]int{}, slowest: map[string]time.Duration{}}
	l.phase.Store("up")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for n, s := range nodes {
		for w := range 2 {
			a, v := adminClient(t, s), adminClient(t, s)
			defer a.Close()
			defer v.Close()
			wg.Go(func() { l.adder(t, a, fmt.Sprintf("load%d-%d", n, w), stop) })
			wg.Go(func() { l.verifier(t, s, v, users[w*2:w*2+2], tokens, stop) })
		}
	}
	wg.Go(func() { tick(nodes[0].Clock, stop) })
	l.outages(t, cluster)
	close(stop)
	wg.Wait()
	l.check(t, nodes[1])
}

// tick moves the fake clock on a step every 100 ms, so that fresh
// passcodes keep coming.
func tick(c *servertest.Clock, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(100 * time.Millisecond):
			c.Advance(30 * time.Second)
		}
	}
}

// outages runs the phases: up, stopped, up, crashed, up.
func (l *loadRun) outages(t *testing.T, cluster *pgtest.Cluster) {
	time.Sleep(loadPhase)
	l.phase.Store("stopped")
	cluster.Stop(t)
	time.Sleep(loadPhase)
	cluster.Start(t)
	l.phase.Store("up")
	time.Sleep(loadPhase)
	l.phase.Store("crashed")
	cluster.Crash(t)
	time.Sleep(loadPhase)
	cluster.Start(t)
	l.phase.Store("up")
	time.Sleep(2 * loadPhase)
}

// allowed are the answers a request may get under load and outages:
// what it gets when the database is up (a passcode sent twice, or by two
// nodes at once, is refused, and a user refused ten times is locked),
// and "service unavailable"; never "internal error".
var allowed = map[string]bool{
	"adduser " + wire.ResultOK: true, "adduser " + wire.ResultUnavailable: true,
	"verifylogin " + wire.ResultOK: true, "verifylogin " + wire.ResultInvalidToken: true,
	"verifylogin " + wire.ResultLocked: true, "verifylogin " + wire.ResultUnavailable: true,
}

// check checks, through node s, what the workers were told.
func (l *loadRun) check(t *testing.T, s *servertest.Server) {
	t.Logf("answers by phase: %v; slowest by phase %v; %d users added", l.results, l.slowest, len(l.added))
	for key, n := range l.results {
		if _, answer, _ := strings.Cut(key, " "); !allowed[answer] {
			t.Errorf("%d answers %q: not an answer of an outage", n, key)
		}
	}
	for _, phase := range []string{"stopped", "crashed"} {
		if l.results[phase+" verifylogin "+wire.ResultUnavailable] == 0 || l.results[phase+" adduser "+wire.ResultUnavailable] == 0 {
			t.Errorf("no request answered unavailable while PostgreSQL was %s: the test tested nothing", phase)
		}
	}
	if l.results["up verifylogin "+wire.ResultOK] == 0 || len(l.added) == 0 {
		t.Error("nothing succeeded: the test tested nothing")
	}
	for key, n := range l.accepted {
		if n > 1 {
			t.Errorf("passcode %s accepted %d times", key, n)
		}
	}
	for id, seed := range l.added {
		if u := show(t, s, id); u.TokenSerial == "" {
			t.Errorf("adduser %s was acknowledged; the database has no token for it", id)
		}
		// The seed told is the one stored: its passcode signs in.
		tok := token.Token{Account: id, Params: token.DefaultParams()}
		secret, err := token.ParseSecret(seed)
		if err != nil {
			t.Fatal(err)
		}
		tok.Secret = secret
		if got := s.Verify(id, id+"-pass", codeAt(t, s, tok, 0)); got != wire.ResultOK && got != wire.ResultChangePassword {
			t.Errorf("verifylogin of %s with the seed adduser told: %q", id, got)
		}
	}
}
