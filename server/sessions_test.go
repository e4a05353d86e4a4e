package server_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
)

// Sessions are leases in the database: an administrator sees them and
// ends one held by a socket that closed without a logout, and a lease its
// node stopped keeping lapses after the hold, never before.
func TestSessionsSeenAndEndedByTheAdmin(t *testing.T) {
	s := servertest.NewWith(t, servertest.Options{Rules: account.Config{SessionHold: time.Hour},
		WS: ws.Config{Connections: ratelimit.Rate{PerMinute: 1 << 20, Burst: 1 << 20}, Challenges: ratelimit.Rate{PerMinute: 1 << 20, Burst: 1 << 20}}})
	tok := enrolled(t, s, "trader")
	s.Clock.Advance(30 * time.Second)
	c := s.Dial()
	if r := c.Login("trader", "trader-pass", codeAt(t, s, tok, 0)); r.Result != wire.ResultOK {
		t.Fatal(r)
	}
	c.Close() // no logout: the session holds the user for the hold
	time.Sleep(100 * time.Millisecond)
	var sessions []struct {
		UserID string `json:"userid"`
		Open   bool   `json:"open"`
	}
	if err := json.Unmarshal([]byte(s.Admin("", "session", "list", "--json")), &sessions); err != nil || len(sessions) != 1 || sessions[0].UserID != "trader" || sessions[0].Open {
		t.Fatalf("session list: %+v, %v", sessions, err)
	}
	s.Clock.Advance(30 * time.Second)
	d := s.Dial()
	if r := d.Login("trader", "trader-pass", codeAt(t, s, tok, 0)); r.Result != wire.ResultAlreadyLoggedIn || !strings.Contains(r.Message, "try again after") {
		t.Errorf("a second access while held: %+v", r)
	}
	d.Close()
	s.Admin("", "user", "logout", "trader")
	s.Clock.Advance(30 * time.Second)
	e := s.Dial()
	if r := e.Login("trader", "trader-pass", codeAt(t, s, tok, 0)); r.Result != wire.ResultOK {
		t.Errorf("after user logout: %+v", r)
	}
	if _, err := s.TryAdmin("", "user", "logout", "nobody"); err == nil {
		t.Error("user logout of an unknown user")
	}
	// e closes without a logout and nothing keeps its lease any more (as
	// when a node is killed, whose leases lapse from their last refresh):
	// the hold ends on time, not before.
	e.Close()
	f := s.Dial()
	s.Clock.Advance(59 * time.Minute)
	if r := f.Login("trader", "trader-pass", codeAt(t, s, tok, 0)); r.Result != wire.ResultAlreadyLoggedIn {
		t.Errorf("before the hold ends: %+v", r)
	}
	f.Close()
	s.Clock.Advance(time.Hour + time.Minute)
	g := s.Dial()
	defer g.Close()
	if r := g.Login("trader", "trader-pass", codeAt(t, s, tok, 0)); r.Result != wire.ResultOK {
		t.Errorf("after the hold: %+v", r)
	}
}
