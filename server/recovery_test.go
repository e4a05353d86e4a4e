package server_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/server/wire"
)

// The administrator's recovery commands (issue 16, item 5), each run as
// `softtoken-server` against the real server's database.

// audited returns the detail of each of userID's audit records of event,
// as `softtoken-server audit --json` prints them.
func audited(t *testing.T, s *servertest.Server, userID, event string) []string {
	t.Helper()
	var events []store.AuditEvent
	if err := json.Unmarshal([]byte(s.Admin("", "audit", "--json", "--user", userID)), &events); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		if e.Event == event {
			out = append(out, e.Outcome+": "+e.Detail)
		}
	}
	return out
}

// `user unlock` lets a user locked by 10 wrong passcodes log in at once
// with the token they have, and changes nothing else.
func TestUnlockLetsALockedUserLogInWithTheirToken(t *testing.T) {
	s := open(t, servertest.Options{})
	tok := enrolled(t, s, "trader")
	before := show(t, s, "trader")
	lock(t, s, "trader")
	s.Clock.Advance(30 * time.Second)
	c := s.Dial()
	if r := c.Login("trader", "trader-pass", codeAt(t, s, tok, 0)); r.Result != wire.ResultLocked {
		t.Fatalf("locked user with the right passcode: %+v", r)
	}
	c.Close()
	out := s.Admin("", "user", "unlock", "trader")
	if !strings.Contains(out, "Unlocked user trader (was locked until") || !strings.Contains(out, "10 failures cleared") {
		t.Errorf("user unlock printed %q", out)
	}
	c = s.Dial()
	defer c.Close()
	if r := c.Login("trader", "trader-pass", codeAt(t, s, tok, 0)); r.Result != wire.ResultOK {
		t.Errorf("after user unlock, the token's passcode: %+v", r)
	}
	after := show(t, s, "trader")
	if after.LockedUntil != nil || after.Failures != 0 || after.TokenSerial != before.TokenSerial || !after.Active {
		t.Errorf("after user unlock: %+v, before the lock: %+v", after, before)
	}
	if got := audited(t, s, "trader", "user unlock"); len(got) != 1 || !strings.HasPrefix(got[0], "OK: was locked until") {
		t.Errorf("audit: %q", got)
	}
}
