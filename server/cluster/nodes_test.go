//go:build linux

package cluster_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/stress"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token"
)

// TestCodeAcceptedOnceAcrossNodes sends one trader's current passcode to
// two nodes at the same moment, round after round with a fresh trader, as
// verifylogin from a back-end on each node and as a trader's own login on
// each: exactly one node accepts it, the other answers "invalid token"
// (the replay guard is one conditional UPDATE in the shared database).
func TestCodeAcceptedOnceAcrossNodes(t *testing.T) {
	c := newCluster(t)
	nodes := [2]*stress.Process{c.node(), c.node()}
	backends := [2]*stress.Client{backend(t, nodes[0].Addr), backend(t, nodes[1].Addr)}
	const rounds = 10
	for _, kind := range []string{"verifylogin", "login"} {
		for i := range rounds {
			tr := c.trader(fmt.Sprintf("%s-%02d", kind, i))
			code := tr.code(t, 0)
			var sockets [2]*stress.Client
			var msgs [2]map[string]string
			for n := range nodes {
				sockets[n] = backends[n]
				if kind == "login" {
					sockets[n] = dial(t, nodes[n].Addr)
				}
				// Encrypted before the start, so that both go at once.
				msgs[n] = map[string]string{"type": kind, "userid": tr.id, "pass": sockets[n].Enc(tr.pw), "2fatoken": code}
			}
			results := race(t, sockets, msgs)
			ok := 0
			for _, r := range results {
				switch r.Result {
				case wire.ResultOK:
					ok++
				case wire.ResultInvalidToken:
				default:
					t.Errorf("%s round %d: unexpected answer %+v", kind, i, r)
				}
			}
			if ok != 1 {
				t.Errorf("%s round %d: one code accepted %d times by two nodes (%q, %q)", kind, i, ok, results[0].Result, results[1].Result)
			}
		}
	}
}

// race sends msgs[n] on sockets[n], all at once, and returns the replies.
func race(t *testing.T, sockets [2]*stress.Client, msgs [2]map[string]string) [2]wire.Response {
	t.Helper()
	var results [2]wire.Response
	var errs [2]error
	start := make(chan struct{})
	var wg sync.WaitGroup
	for n := range sockets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[n], errs[n] = sockets[n].Send(msgs[n])
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return results
}

// TestLockoutAcrossNodes makes a trader's wrong passcodes, all on node A
// or alternating between the nodes, reach --max-failures: the user is then
// locked on node B too, for the right password and passcode, over login
// and verifylogin; another user is not.
func TestLockoutAcrossNodes(t *testing.T) {
	c := newCluster(t)
	a, b := c.node("--max-failures", "6"), c.node("--max-failures", "6")
	for _, tc := range []struct {
		name  string
		where func(i int) *stress.Process
	}{
		{"all on A", func(int) *stress.Process { return a }},
		{"alternating", func(i int) *stress.Process { return [2]*stress.Process{a, b}[i%2] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, other := c.trader("locked-"+tc.name), c.trader("free-"+tc.name)
			wrong := wrongCode(t, tr)
			for i := range 6 {
				if r, _ := login(t, tc.where(i).Addr, tr.id, tr.pw, wrong); r.Result != wire.ResultInvalidToken {
					t.Fatalf("wrong passcode %d: %+v", i+1, r)
				}
			}
			if r, _ := login(t, b.Addr, tr.id, tr.pw, tr.code(t, 0)); r.Result != wire.ResultLocked {
				t.Errorf("login on B with the right passcode after the lock: %+v, want %q", r, wire.ResultLocked)
			}
			cl := backend(t, b.Addr)
			r := send(t, cl, map[string]string{"type": "verifylogin", "userid": tr.id, "pass": cl.Enc(tr.pw), "2fatoken": tr.code(t, 1)})
			if r.Result != wire.ResultLocked {
				t.Errorf("verifylogin on B after the lock: %+v, want %q", r, wire.ResultLocked)
			}
			if r, _ := login(t, b.Addr, other.id, other.pw, other.code(t, 0)); r.Result != wire.ResultOK {
				t.Errorf("another user's login on B: %+v", r)
			}
		})
	}
}

// wrongCode is a passcode of tr's length that is none of the codes the
// server's window may accept now.
func wrongCode(t *testing.T, tr trader) string {
	t.Helper()
	near := map[string]bool{}
	for s := -3; s <= 3; s++ {
		near[tr.code(t, s)] = true
	}
	for n := 0; ; n++ {
		if code := fmt.Sprintf("%06d", n*7919%1_000_000); !near[code] {
			return code
		}
	}
}

// sessionHold is the nodes' --session-hold in the tests of sessions:
// short, so that a killed node's hold ends soon.
const sessionHold = 3 * time.Second

// TestSessionAcrossNodes logs a user in on node A over the websocket
// (their second factor a temporary passcode, which works more than once,
// so that node B may be asked again and again): node B refuses them while
// A's socket is open, and lets them in once A logs out. Then A, holding
// the user again, is killed with SIGKILL: B refuses the user while the
// lease A last refreshed lasts (its end read from the database), and lets
// them in after, within a bounded wait.
func TestSessionAcrossNodes(t *testing.T) {
	c := newCluster(t)
	hold := "--session-hold=" + sessionHold.String()
	a, b := c.node(hold), c.node(hold)
	const id, pw = "sam", "password-of-sam"
	c.addUser(account.NewUser{UserID: id, Password: []byte(pw), Use2FA: true, OwnPassword: true})
	temp, err := c.accounts.IssueTempPasscode(context.Background(), account.Admin, account.ByAdmin(id), 1, 7)
	if err != nil {
		t.Fatal(err)
	}
	code := temp.Code

	r, onA := login(t, a.Addr, id, pw, code)
	if r.Result != wire.ResultOK {
		t.Fatalf("login on A: %+v", r)
	}
	if r, _ := login(t, b.Addr, id, pw, code); r.Result != wire.ResultAlreadyLoggedIn {
		t.Fatalf("login on B while A's socket is open: %+v, want %q", r, wire.ResultAlreadyLoggedIn)
	}
	if r := send(t, onA, map[string]string{"type": "logout"}); r.Result != wire.ResultOK {
		t.Fatalf("logout on A: %+v", r)
	}
	r, onB := login(t, b.Addr, id, pw, code)
	if r.Result != wire.ResultOK {
		t.Fatalf("login on B after A's logout: %+v", r)
	}
	if r := send(t, onB, map[string]string{"type": "logout"}); r.Result != wire.ResultOK {
		t.Fatalf("logout on B: %+v", r)
	}

	loggedIn := time.Now()
	if r, _ := login(t, a.Addr, id, pw, code); r.Result != wire.ResultOK {
		t.Fatalf("login on A again: %+v", r)
	}
	if err := a.Kill(); err != nil {
		t.Fatal(err)
	}
	until := leaseEnd(t, c, id)
	if earliest := loggedIn.Add(sessionHold).Truncate(time.Second); until.Before(earliest) {
		t.Errorf("the killed node's lease ends at %v, before its login plus the hold (%v)", until, earliest)
	}
	if r, _ := login(t, b.Addr, id, pw, code); r.Result != wire.ResultAlreadyLoggedIn {
		t.Fatalf("login on B just after A was killed: %+v, want %q", r, wire.ResultAlreadyLoggedIn)
	}
	waitForLogin(t, b, id, pw, code, until)
}

// leaseEnd is when the user's session lease ends, as the database says.
func leaseEnd(t *testing.T, c *cluster, userID string) time.Time {
	t.Helper()
	leases, err := c.accounts.Sessions(context.Background(), account.CommandLine)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leases {
		if l.UserID == userID {
			return l.Until
		}
	}
	t.Fatalf("no session lease of %s after the kill: %+v", userID, leases)
	return time.Time{}
}

// waitForLogin tries the login on node p until it is accepted: every try
// answered before until must be refused, and one must be accepted within
// a generous bound after until (the hold ends on time, give or take a
// busy machine).
func waitForLogin(t *testing.T, p *stress.Process, userID, pw, code string, until time.Time) {
	t.Helper()
	deadline := until.Add(30 * time.Second)
	for tries := 1; ; tries++ {
		r, _ := login(t, p.Addr, userID, pw, code)
		answered := time.Now()
		switch {
		case r.Result == wire.ResultOK && answered.Before(until):
			t.Fatalf("try %d: accepted at %v, before the killed node's hold ended (%v)", tries, answered, until)
		case r.Result == wire.ResultOK:
			t.Logf("accepted at try %d, %v after the hold ended", tries, answered.Sub(until).Round(time.Millisecond))
			return
		case r.Result != wire.ResultAlreadyLoggedIn:
			t.Fatalf("try %d: %+v", tries, r)
		case answered.After(deadline):
			t.Fatalf("still refused at %v, 30 s after the killed node's hold ended (%v)", answered, until)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestKilledWhileEnrollingLosesNoUser has back-ends on node A add users
// (adduser with a token) over several sockets at once, and kills A with
// SIGKILL in the middle: every user whose adduser was answered OK exists,
// with the seed it was given, which node B accepts a passcode of.
func TestKilledWhileEnrollingLosesNoUser(t *testing.T) {
	c := newCluster(t)
	a, b := c.node(), c.node()
	const sockets, killAfter = 4, 24
	acked := make(chan trader, 10_000)
	var wg sync.WaitGroup
	for s := range sockets {
		cl := backend(t, a.Addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				tr := trader{id: fmt.Sprintf("new-%d-%04d", s, i), pw: fmt.Sprintf("initial-password-%d-%04d", s, i)}
				r, err := cl.Send(map[string]any{"type": "adduser", "userid": tr.id, "pass": cl.Enc(tr.pw), "use2fa": "Y"})
				if err != nil {
					return // A is gone
				}
				if r.Result != wire.ResultOK {
					t.Errorf("adduser %s: %+v", tr.id, r)
					return
				}
				secret, err := token.ParseSecret(r.TwoFASeed)
				if err != nil {
					t.Errorf("adduser %s: seed %q: %v", tr.id, r.TwoFASeed, err)
					return
				}
				tr.tok = token.Token{Account: tr.id, Secret: secret, Params: token.DefaultParams()}
				acked <- tr
			}
		}()
	}
	waitFor(t, func() bool { return len(acked) >= killAfter }, "users acknowledged before the kill")
	if err := a.Kill(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(acked)
	cl := backend(t, b.Addr)
	n := 0
	for tr := range acked {
		n++
		r := send(t, cl, map[string]string{"type": "verifylogin", "userid": tr.id, "pass": cl.Enc(tr.pw), "2fatoken": tr.code(t, 0)})
		if r.Result != wire.ResultOK {
			t.Errorf("user %s, acknowledged by A before it was killed, on B: %+v", tr.id, r)
		}
	}
	t.Logf("%d users acknowledged before the kill, all found on B", n)
}

// waitFor polls cond for up to a minute.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within a minute", what)
		}
	}
}
