package ws_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
)

// verifyLogout sends verifylogout for userID.
func (c *client) verifyLogout(userID string) wire.Response {
	c.t.Helper()
	return c.send(map[string]string{"type": "verifylogout", "userid": userID})
}

// With --verify-holds-session, the back-end whose verifylogin holds a user
// releases the hold when the user signs out of the portal; another
// back-end, a user, or a socket not logged in cannot, and the hold stays.
// Every request is audited.
func TestVerifyLogoutReleasesTheHold(t *testing.T) {
	s := newServerRules(t, ws.Config{VerifyHoldsSession: true}, account.Config{SessionHold: 5 * time.Minute})
	s.user(account.NewUser{UserID: "portal2", Admin: true, Service: true,
		Limits: account.ServiceLimits{Scopes: []account.Scope{account.ScopeVerify}}}, "portal2-password")
	holder, other, user := s.dial(), s.dial(), s.dial()
	holder.login("admin", "admin-password", "")
	other.login("portal2", "portal2-password", "")
	user.login("julian@fundamentalinteractions.c", "test-123", s.code("julian@fundamentalinteractions.c", 0))
	if r := holder.verify("plain", "plain-password", ""); r.Result != wire.ResultOK {
		t.Fatalf("the portal's verifylogin: %+v", r)
	}
	if r := other.verify("plain", "plain-password", ""); r.Result != wire.ResultAlreadyLoggedIn {
		t.Fatalf("another back-end's verifylogin while held: %+v", r)
	}
	stranger := s.dial()
	stranger.challenge()
	for name, c := range map[string]*client{"another back-end": other, "a user": user, "a socket not logged in": stranger} {
		if r := c.verifyLogout("plain"); r.Result != wire.ResultNotAllowed || r.Type != wire.TypeVerifyLogout {
			t.Errorf("%s releases the hold: %+v", name, r)
		}
	}
	if r := other.verify("plain", "plain-password", ""); r.Result != wire.ResultAlreadyLoggedIn {
		t.Errorf("the refused releases let the hold go: %+v", r)
	}
	if r := holder.verifyLogout("plain"); r.Result != wire.ResultOK || r.UserID != "plain" {
		t.Fatalf("the holder's release: %+v", r)
	}
	if r := other.verify("plain", "plain-password", ""); r.Result != wire.ResultOK {
		t.Errorf("verifylogin after the release: %+v", r)
	}
	if r := holder.verifyLogout("plain"); r.Result != wire.ResultNotAllowed {
		t.Errorf("a release of the hold another back-end took since: %+v", r)
	}
	if r := holder.send(map[string]string{"type": "verifylogout"}); r.Result != wire.ResultMissingField {
		t.Errorf("a release without userid: %+v", r)
	}
	checkReleaseAudit(t, s, map[string]int{"ok by admin": 1, "no_session by portal2": 1, "not_allowed by julian@fundamentalinteractions.c": 1,
		"no_session by admin": 1})
}

// checkReleaseAudit checks how many verifylogout records of plain the
// audit holds, by outcome and back-end.
func checkReleaseAudit(t *testing.T, s *server, want map[string]int) {
	t.Helper()
	events, err := s.acct.AuditEvents(context.Background(), account.CommandLine, account.AuditFilter{UserID: "plain"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, e := range events {
		if e.Event == "verifylogout" {
			got[string(e.Code)+" "+strings.SplitN(e.Detail, ";", 2)[0]]++
		}
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("audit: %d verifylogout records %q, want %d (all: %v)", got[k], k, n, got)
		}
	}
}

// Without --verify-holds-session, verifylogin holds no one, and there is
// nothing to release.
func TestVerifyLogoutWithoutHolds(t *testing.T) {
	s := newServer(t, ws.Config{})
	admin := s.dial()
	admin.login("admin", "admin-password", "")
	if r := admin.verify("plain", "plain-password", ""); r.Result != wire.ResultOK {
		t.Fatalf("verifylogin: %+v", r)
	}
	if r := admin.verifyLogout("plain"); r.Result != wire.ResultNotAllowed {
		t.Errorf("a release of nothing: %+v", r)
	}
}

// A refused second access keeps the result clients match, and says what
// to do: while the other session is open, log out of it; once it closed
// without a logout, when to try again, in words and in retry_after
// seconds, which a portal words in its user's language and time zone.
func TestHeldReplySaysWhatToDo(t *testing.T) {
	s := newServerRules(t, ws.Config{VerifyHoldsSession: true}, account.Config{SessionHold: 5 * time.Minute})
	first := s.dial()
	first.login("plain", "plain-password", "")
	r := s.dial().login("plain", "plain-password", "")
	if r.Result != wire.ResultAlreadyLoggedIn || r.RetryAfter != 0 || !strings.Contains(r.Message, "log out of it first") {
		t.Errorf("while the first socket is open: %+v", r)
	}
	first.c.Close() // no logout
	time.Sleep(100 * time.Millisecond)
	checkRetry := func(what string, r wire.Response) {
		t.Helper()
		if r.Result != wire.ResultAlreadyLoggedIn || r.RetryAfter < 240 || r.RetryAfter > 300 {
			t.Errorf("%s: %+v, want retry_after within the 5 minutes' hold", what, r)
		}
		for _, words := range []string{"try again after", "in 5 minutes", "with the next passcode"} {
			if !strings.Contains(r.Message, words) {
				t.Errorf("%s: the message %q does not say %q", what, r.Message, words)
			}
		}
	}
	checkRetry("a login after a close without logout", s.dial().login("plain", "plain-password", ""))
	admin := s.dial()
	admin.login("admin", "admin-password", "")
	checkRetry("a portal's verifylogin", admin.verify("plain", "plain-password", ""))
}
