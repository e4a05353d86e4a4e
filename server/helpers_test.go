package server_test

import (
	"encoding/json"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/ws"
	"github.com/softtoken/softtoken/token"
)

// Helpers of the package's tests, which drive the real websocket, enrol
// site, self-help desk and admin commands of a server on a real SQLite
// file.

// open is a server whose per-address connection limits do not get in the
// way of many sockets from one test.
func open(t *testing.T, o servertest.Options) *servertest.Server {
	t.Helper()
	o.WS = ws.Config{Connections: ratelimit.Rate{PerMinute: 1 << 20, Burst: 1 << 20}, Challenges: ratelimit.Rate{PerMinute: 1 << 20, Burst: 1 << 20},
		MaxPendingPerAddr: 1 << 20}
	o.Rules.SessionHold = time.Second
	return servertest.NewWith(t, o)
}

// enrolled makes a user with a token and security answers (Springfield,
// Rex) and returns the token.
func enrolled(t *testing.T, s *servertest.Server, userID string) token.Token {
	t.Helper()
	return s.Enrol(userID, userID+"-pass", s.AddUser(userID, userID+"-pass"))
}

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

// codeAt is tok's passcode at the server's time plus steps periods.
func codeAt(t *testing.T, s *servertest.Server, tok token.Token, steps int) string {
	t.Helper()
	c, err := tok.Code(s.Clock.Now().Add(time.Duration(steps*tok.Period) * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tempPasscode issues a temporary passcode with the admin command.
func tempPasscode(t *testing.T, s *servertest.Server, userID string) string {
	t.Helper()
	var out struct {
		Code string `json:"temporary_passcode"`
	}
	if err := json.Unmarshal([]byte(s.Admin("", "user", "temp-passcode", "--days", "3", userID)), &out); err != nil || out.Code == "" {
		t.Fatalf("temp-passcode: %v", err)
	}
	return out.Code
}

// show is the admin's view of a user.
func show(t *testing.T, s *servertest.Server, userID string) (u struct {
	Active      bool       `json:"active"`
	Failures    int        `json:"failures"`
	LockedUntil *time.Time `json:"locked_until"`
	TokenSerial string     `json:"token_serial"`
	SMS         bool       `json:"sms"`
	Created     time.Time  `json:"created"`
}) {
	t.Helper()
	if err := json.Unmarshal([]byte(s.Admin("", "user", "show", userID)), &u); err != nil {
		t.Fatal(err)
	}
	return u
}

// lock locks userID with wrong enrolment passcodes after the right
// password (which works for users with or without a token).
func lock(t *testing.T, s *servertest.Server, userID string) {
	t.Helper()
	for range 10 {
		s.TryEnrol(userID, userID+"-pass", "000000")
	}
	if u := show(t, s, userID); u.LockedUntil == nil {
		t.Fatalf("10 wrong passcodes did not lock %s: %+v", userID, u)
	}
}

// helpdeskAtQuestion is a help desk session of userID that passed the
// password and shows the security question.
func helpdeskAtQuestion(t *testing.T, s *servertest.Server, userID string) *servertest.Browser {
	t.Helper()
	d := servertest.NewBrowser(t, s.Helpdesk)
	d.Get("")
	d.Post("", url.Values{"userid": {userID}})
	if _, body := d.Post("password", url.Values{"password": {userID + "-pass"}}); !deskQuestion.MatchString(body) {
		t.Fatalf("the help desk asked no question: %s", errorOf(body))
	}
	return d
}

var deskQuestion = regexp.MustCompile(`id="question">([^<]+)<`)

// answerFor is the right answer to the question the desk shows.
func answerFor(d *servertest.Browser) string {
	_, body := d.Get("question")
	m := deskQuestion.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return map[string]string{account.Questions[1]: "Springfield", account.Questions[2]: "Rex"}[m[1]]
}

var errorLine = regexp.MustCompile(`class="error"[^>]*>([^<]*)<`)

// errorOf is the error a page shows.
func errorOf(body string) string {
	if m := errorLine.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}
