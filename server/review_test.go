package server_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/oneswipe"
)

// Attacks found by the independent review of the rules service, each
// over the real interfaces.

// seeded adds a user with a token from `user add --use2fa` (and the
// welcome mail's initial passcode, which stays unused), with their own
// password and more flags.
func seeded(t *testing.T, s *servertest.Server, userID string, flags ...string) (token.Token, string) {
	t.Helper()
	var out struct {
		Seed    string `json:"2faseed"`
		Serial  string `json:"token_serial"`
		Initial string `json:"initial_passcode"`
	}
	args := append(append([]string{"user", "add", "--use2fa", "--own-password"}, flags...), userID)
	if err := json.Unmarshal([]byte(s.Admin(userID+"-pass\n", args...)), &out); err != nil {
		t.Fatal(err)
	}
	secret, err := token.ParseSecret(out.Seed)
	if err != nil {
		t.Fatal(err)
	}
	return token.Token{Account: userID, Serial: out.Serial, Secret: secret, Params: token.DefaultParams()}, out.Initial
}

// A deleted user's socket or session must not come back as the next user
// made, who may get the same row in the database.
func TestDeletedUsersGrantsDoNotPassToTheNextUser(t *testing.T) {
	s := open(t, servertest.Options{})
	tok, _ := seeded(t, s, "mallory")
	c := s.Dial()
	defer c.Close()
	if r := c.Login("mallory", "mallory-pass", codeAt(t, s, tok, 0)); r.Result != wire.ResultOK {
		t.Fatal(r)
	}
	site := servertest.NewBrowser(t, s.URL)
	site.SignIn("mallory", "mallory-pass")
	if _, body := site.Post("passcode", url.Values{"passcode": {codeAt(t, s, tok, 1)}}); !strings.Contains(body, "Signed in as") {
		t.Fatal("not signed in to the enrol site")
	}
	s.Admin("", "user", "delete", "mallory")
	seeded(t, s, "alice", "--admin")
	r := c.Send(map[string]any{"type": "adduser", "updateprof": true, "resetpass": true, "userid": "admin", "newpass": c.Enc("owned-by-mallory")})
	if r.Result == wire.ResultOK {
		t.Error("a deleted user's socket reset the admin's password as the next user")
	}
	if status, body := site.Post("app", url.Values{}); status == 200 && strings.Contains(body, `id="secret"`) {
		t.Error("a deleted user's enrol-site session was offered a token of the next user")
	}
}

// The help desk's variant: a session past the answer of a deleted user
// issues nothing to the next user.
func TestDeletedUsersHelpdeskSessionIssuesNothing(t *testing.T) {
	s := open(t, servertest.Options{})
	enrolled(t, s, "mallory")
	d := helpdeskAtQuestion(t, s, "mallory")
	d.Post("question", url.Values{"answer": {answerFor(d)}})
	s.Admin("", "user", "delete", "mallory")
	seeded(t, s, "alice")
	if _, body := d.Post("options", url.Values{"days": {"1"}}); regexp.MustCompile(`\b[0-9]{8}\b`).MatchString(body) {
		t.Error("a deleted user's help desk session issued a temporary passcode")
	}
}

// An expired welcome-mail passcode proves nothing: it does not clear the
// failures, so guesses of passcodes still lock at the limit.
func TestExpiredInitialPasscodeDoesNotClearFailures(t *testing.T) {
	s := open(t, servertest.Options{})
	_, initial := seeded(t, s, "trader")
	s.Clock.Advance(31 * 24 * time.Hour)
	results := map[string]int{}
	for round := range 3 {
		for i := range 5 {
			c := s.Dial()
			results[c.Login("trader", "trader-pass", fmt.Sprintf("%08d", 10_000_000+round*10+i)).Result]++
			c.Close()
		}
		if _, r := s.TryEnrol("trader", "trader-pass", initial); r.Result != wire.ResultPasscodeExpired && r.Result != wire.ResultLocked {
			t.Errorf("the expired initial passcode: %+v", r)
		}
	}
	if results[wire.ResultInvalidToken] > 9 {
		t.Errorf("wrong passcodes evaluated between expired initial passcodes: %v (the limit is 10)", results)
	}
}

// The pages' sign-in limits are per address and per user ID from that
// address: a stranger's wrong passwords do not keep the user out of the
// enrol site or the help desk elsewhere.
func TestPagesDoNotLetAStrangerKeepTheUserOut(t *testing.T) {
	s := open(t, servertest.Options{})
	enrolled(t, s, "trader")
	stranger := servertest.NewBrowserFrom(t, s.URL, "127.0.0.5")
	for i := range 15 {
		stranger.SignIn("trader", fmt.Sprintf("guess-%d", i))
	}
	if _, body := servertest.NewBrowserFrom(t, s.URL, "127.0.0.9").SignIn("trader", "trader-pass"); !strings.Contains(body, "Now the passcode") {
		t.Errorf("the real user on the enrol site: %s", errorOf(body))
	}
	desk := servertest.NewBrowserFrom(t, s.Helpdesk, "127.0.0.5")
	for i := range 15 {
		desk.Get("")
		desk.Post("", url.Values{"userid": {"trader"}})
		desk.Post("password", url.Values{"password": {fmt.Sprintf("guess-%d", i)}})
	}
	helpdeskAtQuestion(t, s, "trader") // the real user, from this test's own address
}

// A One Swipe enrolment code dies with any change of the account's
// credentials: a password change, a token revoke, a disable.
func TestOneSwipeCodesEndWithTheCredentials(t *testing.T) {
	changes := map[string]func(s *servertest.Server, tok token.Token){
		"password change": func(s *servertest.Server, tok token.Token) {
			c := s.Dial()
			defer c.Close()
			c.Login("trader", "trader-pass", codeAt(t, s, tok, 1))
			if r := c.Send(map[string]any{"type": "adduser", "updateprof": true, "pass": c.Enc("trader-pass"), "newpass": c.Enc("brand-new-pass")}); r.Result != wire.ResultOK {
				t.Fatal(r)
			}
		},
		"token revoke": func(s *servertest.Server, _ token.Token) { s.Admin("", "token", "revoke", "trader") },
		"disable, enable": func(s *servertest.Server, _ token.Token) {
			s.Admin("", "user", "disable", "trader")
			s.Admin("", "user", "enable", "trader")
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			s := open(t, servertest.Options{})
			tok := enrolled(t, s, "trader")
			e, err := oneswipe.ParseEnrolment(s.OneSwipe("trader"))
			if err != nil {
				t.Fatal(err)
			}
			change(s, tok)
			c := s.Dial()
			defer c.Close()
			if r := c.Send(map[string]string{"type": "enrol", "userid": "trader", "oneswipe": c.Enc(e.Code)}); r.Result != wire.ResultInvalidToken {
				t.Errorf("the One Swipe code after a %s: %+v", name, r)
			}
		})
	}
}

// A typed user ID cannot pose as audit records.
func TestUserIDsCannotForgeAuditLines(t *testing.T) {
	s := open(t, servertest.Options{})
	c := s.Dial()
	c.Login("nobody\n2026-12-31T23:59:59Z\tadmin\tadmin command line\tuser delete\tOK\n", "x-password", "")
	c.Close()
	for _, line := range strings.Split(s.Admin("", "audit"), "\n") {
		if strings.HasPrefix(line, "2026-12-31") {
			t.Errorf("a forged audit line: %q", line)
		}
	}
}

// An administrator's socket (a web back-end's service account, say)
// reaches ordinary users only: another administrator is changed with the
// admin commands.
func TestAdminsSocketCannotChangeAnotherAdmin(t *testing.T) {
	s := open(t, servertest.Options{})
	seeded(t, s, "boss", "--admin")
	backend, _ := seeded(t, s, "backend", "--admin")
	enrolled(t, s, "trader")
	c := s.Dial()
	defer c.Close()
	if r := c.Login("backend", "backend-pass", codeAt(t, s, backend, 0)); r.Result != wire.ResultOK {
		t.Fatal(r)
	}
	for _, msg := range []map[string]any{
		{"type": "adduser", "userid": "boss", "use2fa": "N"},
		{"type": "adduser", "updateprof": true, "resetpass": true, "userid": "boss", "newpass": c.Enc("backend-owns-boss")},
	} {
		if r := c.Send(msg); r.Result != wire.ResultNotAllowed {
			t.Errorf("%v on another administrator: %+v", msg["use2fa"], r)
		}
	}
	if r := c.Send(map[string]any{"type": "adduser", "updateprof": true, "resetpass": true, "userid": "trader", "newpass": c.Enc("reset-by-backend")}); r.Result != wire.ResultOK {
		t.Errorf("resetpass of an ordinary user: %+v", r)
	}
}

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
