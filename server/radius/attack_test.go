package radius_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	radiusdoor "github.com/softtoken/softtoken/server/radius"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
)

// A user whose password an administrator chose must change it before
// anything else (the websocket allows nothing but the change). RADIUS
// cannot change a password, so such a user is rejected there, even with
// the right password and passcode, rather than let into the network with
// a password someone else knows.
func TestMustChangePasswordRejected(t *testing.T) {
	d := open(t, servertest.Options{}, nil)
	tok := d.s.Enrol("trader", "trader-pass", d.s.AddUserToChange("trader", "trader-pass"))
	d.s.Clock.Advance(30 * time.Second)
	if r := d.s.Dial().Login("trader", "trader-pass", codeAt(t, d.s, tok, 0)); !r.MustChangePassword {
		t.Fatalf("websocket login: %+v, want the password to be changed first", r)
	}
	r := d.radclient(t, secret, signed("trader", "trader-pass", "")...)
	if r.Code != "Access-Challenge" {
		t.Fatalf("password: %+v, want a challenge (the password alone tells nothing)", r)
	}
	if r := d.radclient(t, secret, signed("trader", codeAt(t, d.s, tok, 1), r.Attrs["State"])...); r.Code != "Access-Reject" {
		t.Errorf("passcode of a user who must change their password: %+v, want Access-Reject", r)
	}
}

// The same with --radius-one-step: the password and passcode in one
// request are rejected too.
func TestMustChangePasswordRejectedOneStep(t *testing.T) {
	d := open(t, servertest.Options{}, func(c *radiusdoor.Config) { c.OneStep = true })
	tok := d.s.Enrol("trader", "trader-pass", d.s.AddUserToChange("trader", "trader-pass"))
	d.s.Clock.Advance(30 * time.Second)
	if r := d.radclient(t, secret, signed("trader", "trader-pass"+codeAt(t, d.s, tok, 0), "")...); r.Code != "Access-Reject" {
		t.Errorf("password and passcode of a user who must change their password: %+v, want Access-Reject", r)
	}
}

// Wrong passcodes sent in parallel in one-step requests (the per-user
// rate opened wide, so that only the rules stand) never get more checks
// than the lockout allows: after bursts of them the user is locked, and
// exactly the lockout's number of wrong passcodes were checked.
func TestParallelOneStepGuessesLock(t *testing.T) {
	s, srv := server(t, servertest.Options{}, func(c *radiusdoor.Config) {
		c.OneStep = true
		c.UserRate = ratelimit.Rate{PerMinute: 10000, Burst: 10000}
	})
	tok := enrolled(t, s, "trader")
	for burst := range 4 {
		s.Clock.Advance(time.Minute) // past the throttle of passwords in flight
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				req := request(t, secret, "trader", fmt.Sprintf("trader-pass%03d%03d", burst, i), nil, false)
				srv.Handle(context.Background(), req, netip.MustParseAddrPort(fmt.Sprintf("127.0.0.1:%d", 5000+i)))
			})
		}
		wg.Wait()
	}
	if got := code(handled(t, srv, "127.0.0.1:4000", secret, request(t, secret, "trader", "trader-pass"+codeAt(t, s, tok, 0), nil, false))); got != "Access-Reject" {
		t.Errorf("the right passcode after bursts of parallel wrong ones: %s, want Access-Reject (locked)", got)
	}
	out := s.Admin("", "audit", "--user", "trader", "--outcome", "invalid_code")
	if n := strings.Count(out, "invalid_code"); n != account.DefaultMaxFailures {
		t.Errorf("%d wrong passcodes checked, want the lockout's %d:\n%s", n, account.DefaultMaxFailures, out)
	}
}

// A one-step request captured on the wire and sent again from the
// client's address, past the retransmission window, is dropped unchecked:
// otherwise ten resends, their passcode by then wrong, would lock the
// user out without anyone knowing the password.
func TestReplayedOneStepRequestDoesNotLock(t *testing.T) {
	s, srv := server(t, servertest.Options{}, func(c *radiusdoor.Config) { c.OneStep = true })
	tok := enrolled(t, s, "trader")
	s.Clock.Advance(30 * time.Second)
	captured := request(t, secret, "trader", "trader-pass"+codeAt(t, s, tok, 0), nil, false)
	if got := code(handled(t, srv, "127.0.0.1:4000", secret, captured)); got != "Access-Accept" {
		t.Fatalf("the user's own request: %s", got)
	}
	for i := range 12 {
		s.Clock.Advance(11 * time.Second) // past the retransmission window
		if out := srv.Handle(context.Background(), captured, netip.MustParseAddrPort("127.0.0.1:4000")); out != nil {
			t.Fatalf("replay %d got an answer: %s", i+1, code(answer(t, secret, captured, out)))
		}
	}
	s.Clock.Advance(time.Minute)
	if r := s.Dial().Login("trader", "trader-pass", codeAt(t, s, tok, 0)); r.Result != wire.ResultOK {
		t.Errorf("the user's next websocket login after replays of their captured RADIUS request: %+v, want ok", r)
	}
}
