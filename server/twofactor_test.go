package server_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
)

// The attack of issue 12: a password alone logged in every user who had
// no token yet (user add without --use2fa, the demo user). With the
// second factor required (the default), such a user gets "2fa not
// enrolled" from login and verifylogin, and can only enrol; a temporary
// passcode, which an administrator or the help desk gives, is a second
// factor. Only a service account logs in with its password alone.
func TestPasswordAloneDoesNotLogIn(t *testing.T) {
	s := open(t, servertest.Options{})
	s.AddUser("fresh", "fresh-pass")
	s.Admin("own-admin-pass\n", "user", "add", "--admin", "boss")
	tests := []struct {
		name, user, pw, code, want string
	}{
		{"a user without a token, password alone", "fresh", "fresh-pass", "", wire.ResultNotEnrolled},
		{"a user without a token, with a made-up code", "fresh", "fresh-pass", "123456", wire.ResultInvalidToken},
		{"the wrong password says nothing of enrolment", "fresh", "wrong-pass", "", wire.ResultInvalidLogin},
		{"an administrator who is not a service account", "boss", "own-admin-pass", "", wire.ResultNotEnrolled},
		{"the service account", "admin", "admin-password", "", wire.ResultOK},
	}
	for _, tt := range tests {
		c := s.Dial()
		if r := c.Login(tt.user, tt.pw, tt.code); r.Result != tt.want {
			t.Errorf("%s: login %+v, want %q", tt.name, r, tt.want)
		}
		c.Close()
	}
	if got := s.Verify("fresh", "fresh-pass", ""); got != wire.ResultNotEnrolled {
		t.Errorf("verifylogin with the password alone: %s", got)
	}

	// A temporary passcode is a second factor.
	temp := tempPasscode(t, s, "fresh")
	c := s.Dial()
	if r := c.Login("fresh", "fresh-pass", ""); r.Result != wire.ResultNeed2FA {
		t.Errorf("with a temporary passcode on the account, the password alone: %+v", r)
	}
	if r := c.Send(map[string]string{"type": "send2fatoken", "2fatoken": temp}); r.Result != wire.ResultOK {
		t.Errorf("then the temporary passcode: %+v", r)
	}
	c.Close()

	// Enrolment with the initial passcode works, and then the token.
	s.AddUser("newbie", "newbie-pass")
	tok := s.Enrol("newbie", "newbie-pass", s.InitialPasscode("newbie"))
	s.Clock.Advance(30e9)
	if got := s.Verify("newbie", "newbie-pass", codeAt(t, s, tok, 0)); got != wire.ResultOK {
		t.Errorf("verifylogin after enrolment: %s", got)
	}

	audit := s.Admin("", "audit", "--user", "admin")
	if !strings.Contains(audit, "service login") {
		t.Errorf("the service account's logins are not audited:\n%s", audit)
	}
	list := s.Admin("", "user", "list")
	if !regexpLine(list, `^admin\s+yes\s+service\(verify,manage\)\s`) || !regexpLine(list, `^boss\s+yes\s+yes\s`) {
		t.Errorf("user list does not tell the service account:\n%s", list)
	}
}

// With the policy off (serve --require-2fa=false), a user without a token
// logs in with the password alone, as the protocol seed's site-wide use2fa
// switch allows; a user with a token still needs a passcode.
func TestPasswordOnlyPolicy(t *testing.T) {
	s := open(t, servertest.Options{Rules: account.Config{PasswordOnly: true}})
	s.AddUser("fresh", "fresh-pass")
	enrolled(t, s, "trader")
	if got := s.Verify("fresh", "fresh-pass", ""); got != wire.ResultOK {
		t.Errorf("a user without a token: %s", got)
	}
	if got := s.Verify("trader", "trader-pass", ""); got != wire.ResultTokenMissing {
		t.Errorf("a user with a token, password alone: %s", got)
	}
}

// Service accounts are administrators without a second factor: the
// command line refuses anything else.
func TestServiceAccountRules(t *testing.T) {
	s := open(t, servertest.Options{})
	for _, args := range [][]string{
		{"user", "add", "--service", "svc1"},
		{"user", "add", "--admin", "--service", "--use2fa", "svc2"},
		{"user", "add", "--admin", "--service", "--sms", "--phone", "+447700900123", "svc3"},
	} {
		if _, err := s.TryAdmin("service-pass\n", args...); err == nil || !strings.Contains(err.Error(), "--service needs --admin") {
			t.Errorf("%v: %v", args, err)
		}
	}
	out := s.Admin("service-pass\n", "user", "add", "--admin", "--service", "--email", "svc@example.com", "svc")
	if strings.Contains(out, "initial_passcode") || len(s.Outbox("svc@example.com")) != 0 {
		t.Errorf("a service account got an initial passcode or a welcome mail: %s", out)
	}
	if got := s.Admin("", "user", "list", "--unenrolled"); strings.Contains(got, "svc") {
		t.Errorf("a service account listed as not enrolled:\n%s", got)
	}
}

// Users are told by mail when a token is enrolled or replaced and when
// their password changes, so that a stranger's change does not go
// unnoticed; the mails hold no secret.
func TestNoticesOfCredentialChanges(t *testing.T) {
	s := open(t, servertest.Options{})
	tok := s.Enrol("mia", "mia-pass", s.AddUser("mia", "mia-pass"))
	if n := notices(s, "mia", "A soft token was enrolled"); len(n) != 1 || strings.Contains(n[0], "replaces") {
		t.Errorf("first enrolment: %d notices %q", len(n), n)
	}
	s.Clock.Advance(30e9)
	tok = s.Enrol("mia", "mia-pass", codeAt(t, s, tok, 0))
	if n := notices(s, "mia", "A soft token was enrolled"); len(n) != 2 || !strings.Contains(strings.Join(n, ""), "replaces the token") {
		t.Errorf("re-enrolment: %d notices", len(n))
	}
	s.Clock.Advance(60e9)
	b := servertest.NewBrowser(t, s.URL)
	b.SignIn("mia", "mia-pass")
	b.Post("passcode", url.Values{"passcode": {codeAt(t, s, tok, 0)}})
	if status, _ := b.Post("password", url.Values{"current": {"mia-pass"}, "new": {"mia-pass-2"}, "repeat": {"mia-pass-2"}}); status != 200 {
		t.Fatalf("password change: %d", status)
	}
	if n := notices(s, "mia", "Your password was changed"); len(n) != 1 || !strings.Contains(n[0], "was changed on") {
		t.Errorf("password change: %d notices", len(n))
	}
	s.Admin("reset-pass-1\n", "user", "reset", "mia")
	if n := notices(s, "mia", "Your password was changed"); len(n) != 1 {
		t.Errorf("a reset (told by its own welcome mail): %d password notices", len(n))
	}
	for _, m := range s.Outbox("mia@example.com") {
		for _, secret := range []string{"mia-pass", "reset-pass-1", tok.Secret.Base32()} {
			if strings.Contains(m, secret) {
				t.Errorf("a mail holds a secret: %s", m)
			}
		}
	}
}

// notices are the mails to userID whose text holds what.
func notices(s *servertest.Server, userID, what string) []string {
	var out []string
	for _, m := range s.Outbox(userID + "@example.com") {
		if strings.Contains(m, what) {
			out = append(out, m)
		}
	}
	return out
}

// regexpLine reports whether a line of text matches the pattern.
func regexpLine(text, pattern string) bool {
	return regexp.MustCompile("(?m)" + pattern).MatchString(text)
}
