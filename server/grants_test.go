package server_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/oneswipe"
)

// A sign-in (a socket, an enrol-site or help desk session, a One Swipe
// code) holds only while the account it was for stands as it was.

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
