package server_test

import (
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
	"github.com/softtoken/softtoken/token"
)

// Rules that had drifted between the websocket, the pages and the admin
// commands, each tested over the interface where it had drifted.

// addWithSeed makes a user with a token from `user add --use2fa` (no
// security answers yet) and returns the token and the initial passcode.
func addWithSeed(t *testing.T, s *servertest.Server, userID string) (token.Token, string) {
	t.Helper()
	var out struct {
		Seed    string `json:"2faseed"`
		Initial string `json:"initial_passcode"`
	}
	if err := json.Unmarshal([]byte(s.Admin(userID+"-pass\n", "user", "add", "--use2fa", "--own-password", userID)), &out); err != nil {
		t.Fatal(err)
	}
	secret, err := token.ParseSecret(out.Seed)
	if err != nil {
		t.Fatal(err)
	}
	return token.Token{Account: userID, Secret: secret, Params: token.DefaultParams()}, out.Initial
}

// An enrolment over the websocket is one transaction: whichever write of
// the confirmation fails, the client hears so and the server still accepts
// the old token and the temporary passcode, keeps the initial passcode
// unused and stores no answers. With no failure, it all switches at once.
func TestEnrolmentCommitsAllOrNothing(t *testing.T) {
	faults := &servertest.Faults{}
	s := open(t, servertest.Options{Wrap: func(st store.Store) store.Store { faults.Store = st; return faults }})
	old, initial := addWithSeed(t, s, "trader")
	temp := tempPasscode(t, s, "trader")
	failed := 0
	for n := 1; ; n++ {
		s.Clock.Advance(30 * time.Second)
		c := s.Dial()
		r := c.Send(map[string]string{"type": "enrol", "userid": "trader", "pass": c.Enc("trader-pass"), "passcode": c.Enc(codeAt(t, s, old, 0))})
		if r.Result != wire.ResultQuestions {
			t.Fatalf("try %d: enrol asked no questions (answers stored by a failed enrolment?): %+v", n, r)
		}
		r = c.Send(map[string]any{"type": "answers", "answers": []map[string]any{
			{"id": r.Questions[0].ID, "answer": c.Enc("Springfield")}, {"id": r.Questions[1].ID, "answer": c.Enc("Rex")}}})
		next, err := servertest.TokenOf(r)
		if err != nil {
			t.Fatal(err)
		}
		faults.Arm(n)
		r = c.Send(map[string]string{"type": "confirm", "2fatoken": codeAt(t, s, next, 0)})
		c.Close()
		faults.Arm(0)
		if r.Result == wire.ResultOK {
			if faults.Failed() != "" {
				t.Fatalf("write %s failed, yet the enrolment answered OK", faults.Failed())
			}
			break
		}
		failed++
		if r.Result != wire.ResultInternal || faults.Failed() == "" {
			t.Fatalf("try %d: confirm answered %+v, write failed %q", n, r, faults.Failed())
		}
		s.Clock.Advance(30 * time.Second)
		for what, code := range map[string]string{"old token": codeAt(t, s, old, 0), "temporary passcode": temp} {
			if got := s.Verify("trader", "trader-pass", code); got != wire.ResultOK {
				t.Errorf("after %s failed: the %s is refused: %s", faults.Failed(), what, got)
			}
		}
		if got := s.Verify("trader", "trader-pass", codeAt(t, s, next, 0)); got != wire.ResultInvalidToken {
			t.Errorf("after %s failed: the new token works: %s", faults.Failed(), got)
		}
	}
	if failed < 8 {
		t.Errorf("only %d writes of the confirmation were failed in turn", failed)
	}
	s.Clock.Advance(30 * time.Second)
	for what, code := range map[string]string{"old token": codeAt(t, s, old, 0), "temporary passcode": temp} {
		if got := s.Verify("trader", "trader-pass", code); got != wire.ResultInvalidToken {
			t.Errorf("after the enrolment: the %s still works: %s", what, got)
		}
	}
	if _, r := s.TryEnrol("trader", "trader-pass", initial); r.Result != wire.ResultInvalidToken {
		t.Errorf("the initial passcode after the enrolment: %+v", r)
	}
}

// `user reset` revokes an earlier temporary passcode: the new password
// with it does not log in.
func TestResetRevokesTemporaryPasscodes(t *testing.T) {
	s := open(t, servertest.Options{})
	enrolled(t, s, "trader")
	temp := tempPasscode(t, s, "trader")
	s.Admin("reset-pass-1\n", "user", "reset", "trader")
	c := s.Dial()
	defer c.Close()
	if r := c.Login("trader", "reset-pass-1", temp); r.Result != wire.ResultInvalidToken {
		t.Errorf("the new password with the old temporary passcode: %+v", r)
	}
}

// The help desk acts on the current account, never on a copy taken when
// its session began: a user an administrator disabled meanwhile stays
// disabled and gets nothing.
func TestHelpdeskKeepsAnAdministratorsDisable(t *testing.T) {
	s := open(t, servertest.Options{})
	enrolled(t, s, "hal")
	d := helpdeskAtQuestion(t, s, "hal")
	if _, body := d.Post("question", url.Values{"answer": {answerFor(d)}}); !strings.Contains(body, "Temporary passcode") {
		t.Fatalf("the options page: %s", errorOf(body))
	}
	s.Admin("", "user", "disable", "hal")
	if _, body := d.Post("options", url.Values{"days": {"2"}, "phone": {"+447700900123"}}); strings.Contains(body, "Your temporary passcode") {
		t.Error("a disabled user got a temporary passcode")
	}
	if u := show(t, s, "hal"); u.Active || u.SMS {
		t.Errorf("the help desk changed a disabled user: %+v", u)
	}
}

// One password rule everywhere: a new password equal to the current one
// is refused over the websocket as on the enrol site.
func TestNewPasswordMustDiffer(t *testing.T) {
	s := open(t, servertest.Options{})
	tok := enrolled(t, s, "pat")
	s.Clock.Advance(30 * time.Second)
	c := s.Dial()
	defer c.Close()
	if r := c.Login("pat", "pat-pass", codeAt(t, s, tok, 0)); r.Result != wire.ResultOK {
		t.Fatal(r)
	}
	r := c.Send(map[string]any{"type": "adduser", "updateprof": true, "pass": c.Enc("pat-pass"), "newpass": c.Enc("pat-pass")})
	if r.Result != wire.ResultWeakPassword {
		t.Errorf("adduser updateprof with the current password as the new one: %+v", r)
	}
}

// One rule for passcodes by SMS: a new number at the help desk, like an
// SMS enrolment on the enrol site, ends the token (which may be lost),
// once the user confirmed it through the mail sent to the address on file
// (docs/web.md).
func TestHelpdeskNumberEndsTheToken(t *testing.T) {
	s := open(t, servertest.Options{})
	tok := enrolled(t, s, "nina")
	d := helpdeskAtQuestion(t, s, "nina")
	d.Post("question", url.Values{"answer": {answerFor(d)}})
	if _, body := d.Post("options", url.Values{"phone": {"+447700900123"}, "days": {"0"}}); !strings.Contains(body, "SMS") {
		t.Fatalf("the new number: %s", errorOf(body))
	}
	if _, body := d.Post("confirm", url.Values{"code": {s.LastSMS("+447700900123")}}); !strings.Contains(body, "take over from your present token") {
		t.Fatalf("the code sent to the new number: %s", errorOf(body))
	}
	if _, answer, status := s.FollowDeskLink("nina", "change"); status != 200 {
		t.Fatalf("the user's confirmation: %d %s", status, errorOf(answer))
	}
	s.Clock.Advance(30 * time.Second)
	if got := s.Verify("nina", "nina-pass", codeAt(t, s, tok, 0)); got != wire.ResultInvalidToken {
		t.Errorf("the token after a new SMS number: %s", got)
	}
	if got := s.Verify("nina", "nina-pass", ""); got != wire.ResultNeed2FA {
		t.Errorf("verifylogin without a code after the new number: %s", got)
	}
	if got := s.Verify("nina", "nina-pass", s.LastSMS("+447700900123")); got != wire.ResultOK {
		t.Errorf("the SMS passcode then sent to the new number: %s", got)
	}
}

// Users made over the websocket are dated by the server's clock, like
// every other record.
func TestAddUserUsesTheServersClock(t *testing.T) {
	s := open(t, servertest.Options{})
	c := s.Dial()
	defer c.Close()
	c.Login("admin", "admin-password", "")
	if r := c.Send(map[string]any{"type": "adduser", "userid": "denis", "pass": c.Enc("initial-pass"), "use2fa": "N"}); r.Result != wire.ResultOK {
		t.Fatal(r)
	}
	if u := show(t, s, "denis"); !u.Created.Equal(s.Clock.Now()) {
		t.Errorf("created %v, the server's clock says %v", u.Created, s.Clock.Now())
	}
}

// Socket deadlines run on the real clock, whatever the rules' clock says:
// with the server's clock years away, a socket still has its login time,
// and no more.
func TestSocketDeadlinesUseTheRealClock(t *testing.T) {
	for _, skew := range []time.Duration{-20 * 365 * 24 * time.Hour, 20 * 365 * 24 * time.Hour} {
		s := servertest.NewWith(t, servertest.Options{WS: ws.Config{LoginTimeout: time.Second}})
		s.Clock.Advance(skew)
		c := s.Dial()
		time.Sleep(200 * time.Millisecond)
		if r := c.Send(map[string]string{"type": "challenge"}); r.Result != wire.ResultOK {
			t.Errorf("clock %v off: a socket 200 ms old is closed: %+v", skew, r)
		}
		time.Sleep(1500 * time.Millisecond)
		if r := c.Send(map[string]string{"type": "challenge"}); r.Result != "" {
			t.Errorf("clock %v off: a socket past its login time still answers: %+v", skew, r)
		}
		c.Close()
	}
}

// A slow client is closed at the HTTP timeouts: one that trickles its
// headers, and one that trickles a form's body.
func TestSlowClientsAreClosed(t *testing.T) {
	s := servertest.NewWith(t, servertest.Options{HTTP: server.Timeouts{ReadHeader: 500 * time.Millisecond, Read: time.Second}})
	for name, request := range map[string]string{
		"headers": "GET /secenrol/ HTTP/1.1\r\nHost: x\r\n",
		"body":    "POST /secenrol/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nuserid=",
	} {
		c, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, _ = c.Write([]byte(request))
		closed := false
		for i := 0; i < 40 && !closed; i++ { // a byte every 100 ms, for up to 4 s
			time.Sleep(100 * time.Millisecond)
			if _, err := c.Write([]byte("a")); err != nil {
				closed = true
			}
			_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
			if _, err := c.Read(make([]byte, 1)); err != nil && !isTimeout(err) {
				closed = true
			}
		}
		c.Close()
		if !closed || time.Since(start) > 3*time.Second {
			t.Errorf("a client trickling its %s was not closed in time (%v)", name, time.Since(start))
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
