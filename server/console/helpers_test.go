package console_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/ws"
	"github.com/softtoken/softtoken/token"
)

// start starts a server whose websocket takes the connections of a test
// that locks users from one address.
func start(t *testing.T) *servertest.Server {
	t.Helper()
	many := ratelimit.Rate{PerMinute: 600, Burst: 100}
	return servertest.NewWith(t, servertest.Options{WS: ws.Config{Connections: many, Challenges: many}})
}

// operator makes userID (password userID-pass) a user with an enrolled
// token and the console role, and returns the token.
func operator(t *testing.T, s *servertest.Server, userID string, role account.Role) token.Token {
	t.Helper()
	tok := user(t, s, userID)
	s.Admin("", "user", "update", "--console-role", string(role), userID)
	return tok
}

// user makes userID (password userID-pass) with an enrolled token.
func user(t *testing.T, s *servertest.Server, userID string) token.Token {
	t.Helper()
	pw := userID + "-pass"
	return s.Enrol(userID, pw, s.AddUser(userID, pw))
}

// code is tok's passcode at the next time step (each is used once).
func code(t *testing.T, s *servertest.Server, tok token.Token) string {
	t.Helper()
	s.Clock.Advance(30 * time.Second)
	c, err := tok.Code(s.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// open is a browser at the console of s.
func open(t *testing.T, s *servertest.Server) *servertest.Browser {
	t.Helper()
	return servertest.NewBrowser(t, s.AdminURL+"/admin/")
}

// trySignIn signs userID in with their password and passcode, and
// returns the last answer.
func trySignIn(t *testing.T, b *servertest.Browser, userID, passcode string) (int, string) {
	t.Helper()
	b.Get("")
	if status, body := b.Post("", url.Values{"userid": {userID}, "password": {userID + "-pass"}}); status != 200 {
		return status, body
	}
	return b.Post("passcode", url.Values{"passcode": {passcode}})
}

// signIn is a browser at the console signed in as the operator userID.
func signIn(t *testing.T, s *servertest.Server, userID string, tok token.Token) *servertest.Browser {
	t.Helper()
	b := open(t, s)
	if status, body := trySignIn(t, b, userID, code(t, s, tok)); status != 200 || !strings.Contains(body, `id="users"`) && !strings.Contains(body, `id="none"`) {
		t.Fatalf("%s did not sign in: %d %s", userID, status, errorOf(body))
	}
	return b
}

// lock locks userID with wrong passcodes after the right password.
func lock(t *testing.T, s *servertest.Server, userID string) {
	t.Helper()
	for range account.DefaultMaxFailures {
		c := s.Dial()
		c.Login(userID, userID+"-pass", "000000")
		c.Close()
	}
	if u := detail(t, s, userID); !u.Locked {
		t.Fatalf("%s is not locked", userID)
	}
}

// detail is userID's state as the command line sees it.
func detail(t *testing.T, s *servertest.Server, userID string) account.UserDetail {
	t.Helper()
	u, err := s.Accounts.User(context.Background(), account.CommandLine, userID)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// audited reports whether userID's audit has an event named event whose
// detail contains detail.
func audited(t *testing.T, s *servertest.Server, userID, event, detail string) bool {
	t.Helper()
	events, err := s.Accounts.AuditEvents(context.Background(), account.CommandLine, account.AuditFilter{UserID: userID})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.Event == event && e.Code == account.CodeOK && strings.Contains(e.Detail, detail) {
			return true
		}
	}
	return false
}

var (
	errorText = regexp.MustCompile(`(?s)id="error">(.*?)</p>`)
	tempCode  = regexp.MustCompile(`id="temp-passcode">([^<]+)<`)
)

// errorOf is a page's error sentence, or the page when it has none.
func errorOf(body string) string {
	if m := errorText.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return body
}
