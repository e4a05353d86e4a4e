package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/web"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
	"github.com/softtoken/softtoken/token"
)

// roomy is a test server whose per-address and per-user rates do not
// stand in the way of a test that signs in many times.
func roomy(t *testing.T) *servertest.Server {
	t.Helper()
	lots := ratelimit.Rate{PerMinute: 1 << 20, Burst: 1 << 20}
	return servertest.NewWith(t, servertest.Options{Web: web.Limits{SignIns: lots, Sessions: lots},
		WS: ws.Config{Connections: lots, Challenges: lots}})
}

// deskQuestion signs in to the help desk with the password and returns
// the browser and the question asked.
func deskQuestion(t *testing.T, s *servertest.Server, userID, pw string) (*servertest.Browser, string) {
	t.Helper()
	b := servertest.NewBrowser(t, s.Helpdesk)
	b.Get("")
	b.Post("", url.Values{"userid": {userID}})
	_, body := b.Post("password", url.Values{"password": {pw}})
	m := questionLabel.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no question: %s", body)
	}
	return b, m[1]
}

// deskTemp gets a temporary passcode from the help desk for userID, whose
// answers are Springfield and Rex.
func deskTemp(t *testing.T, s *servertest.Server, userID, pw string) string {
	t.Helper()
	return s.DeskTemporaryPasscode(userID, pw, 3)
}

// The attack of issue 21: someone who knows the password and one answer
// signed in again until their question came up. The question a user is
// asked is now kept until it is answered right: every new sign-in, and
// every session ended by wrong answers, asks the same one.
func TestHelpdeskQuestionStaysUntilAnsweredRight(t *testing.T) {
	s := roomy(t)
	s.Enrol("quinn", "quinn-pass", s.AddUser("quinn", "quinn-pass")) // answers: Springfield, Rex
	_, first := deskQuestion(t, s, "quinn", "quinn-pass")
	for i := range 12 {
		b, q := deskQuestion(t, s, "quinn", "quinn-pass")
		if q != first {
			t.Fatalf("sign-in %d asked %q after %q", i+2, q, first)
		}
		if i == 3 { // wrong answers end the session: the next one asks the same
			for range 3 {
				b.Post("question", url.Values{"answer": {"wrong"}})
			}
		}
	}
	// Answered right, the question is spent: the next visit draws again
	// (either question), and the desk still works.
	right := map[string]string{account.Questions[1]: "Springfield", account.Questions[2]: "Rex"}[first]
	b, _ := deskQuestion(t, s, "quinn", "quinn-pass")
	if status, body := b.Post("question", url.Values{"answer": {right}}); status != http.StatusOK || !strings.Contains(body, "Temporary passcode") {
		t.Fatalf("the right answer: %d %s", status, body)
	}
}

// The takeover of issue 21: a temporary passcode from the desk enrolled a
// new token, which revoked the user's. Now a token enrolled with it waits
// for the user's confirmation by mail while the user's own token keeps
// working; the user's "this was not me" revokes what the desk issued and
// locks the account until an administrator unlocks it, and the
// stranger's token never works.
func TestHelpdeskTakeoverWaitsAndTheUserStopsIt(t *testing.T) {
	s := roomy(t)
	own := s.Enrol("vic", "vic-pass", s.AddUser("vic", "vic-pass"))
	temp := deskTemp(t, s, "vic", "vic-pass")
	if !mailed(t, s, "vic", "/sechelpdesk/notme?c=") {
		t.Fatal("the desk's notice has no \"this was not me\" link")
	}
	// The stranger logs in at once with the temporary passcode, and
	// enrols a token of their own with it.
	if got := s.Verify("vic", "vic-pass", temp); got != wire.ResultOK {
		t.Fatalf("the temporary passcode: %s", got)
	}
	theirs, r := s.TryEnrol("vic", "vic-pass", temp)
	if r.Result != wire.ResultOK || !strings.Contains(r.Message, "waits for your confirmation") ||
		r.ActiveFrom != s.Clock.Now().Add(account.DefaultCoolingOff).Unix() {
		t.Fatalf("enrolment with the desk's passcode: %+v", r)
	}
	s.Clock.Advance(30 * time.Second)
	if got := s.Verify("vic", "vic-pass", code(t, theirs, s.Clock.Now())); got != wire.ResultInvalidToken {
		t.Errorf("the stranger's token before the user confirmed: %s", got)
	}
	if got := s.Verify("vic", "vic-pass", code(t, own, s.Clock.Now())); got != wire.ResultOK {
		t.Errorf("the user's own token while the new one waits: %s", got)
	}
	// Nor can the stranger replace the answers with the desk's passcode.
	b := servertest.NewBrowser(t, s.URL)
	b.SignIn("vic", "vic-pass")
	b.Post("passcode", url.Values{"passcode": {temp}})
	if status, body := b.Post("questions", url.Values{"q1": {"3"}, "a1": {"Fiat"}, "q2": {"4"}, "a2": {"Smith"}}); status != http.StatusForbidden ||
		!strings.Contains(body, "not with a temporary passcode") {
		t.Errorf("new answers with the desk's passcode: %d %s", status, body)
	}
	if !mailed(t, s, "vic", "A new soft token (serial "+theirs.Serial+")") && !mailed(t, s, "vic", theirs.Serial) {
		t.Error("no mail tells of the token that waits")
	}
	// The user reads the mail: this was not them.
	followMail(t, s, "vic", "notme", "This was not me", "Your account is locked")
	s.Clock.Advance(30 * time.Second)
	for what, c := range map[string]string{"temporary passcode": temp, "stranger's token": code(t, theirs, s.Clock.Now()),
		"user's token": code(t, own, s.Clock.Now())} {
		if got := s.Verify("vic", "vic-pass", c); got != wire.ResultLocked {
			t.Errorf("the %s after \"not me\": %s", what, got)
		}
	}
	if !strings.Contains(s.Admin("", "user", "list", "--locked"), "vic") {
		t.Error("the account is not listed as locked")
	}
	// The administrator unlocks: the user's own token works, the
	// stranger's and the desk's passcode never will.
	s.Admin("", "user", "unlock", "vic")
	s.Clock.Advance(30 * time.Second)
	if got := s.Verify("vic", "vic-pass", code(t, own, s.Clock.Now())); got != wire.ResultOK {
		t.Errorf("the user's token after the unlock: %s", got)
	}
	s.Clock.Advance(30 * time.Second)
	if got := s.Verify("vic", "vic-pass", code(t, theirs, s.Clock.Now())); got != wire.ResultInvalidToken {
		t.Errorf("the stranger's token after the unlock: %s", got)
	}
	if got := s.Verify("vic", "vic-pass", temp); got != wire.ResultInvalidToken {
		t.Errorf("the desk's passcode after the unlock: %s", got)
	}
	// The link works once.
	link, _ := url.Parse(s.DeskLink("vic", "notme"))
	status, body := servertest.NewBrowser(t, s.Helpdesk).Get("notme?" + link.RawQuery)
	if status != http.StatusNotFound || !strings.Contains(body, "not valid any more") {
		t.Errorf("the link a second time: %d", status)
	}
}

// The guide's flow for the honest user stays: lost PC → help desk →
// temporary passcode → logs in at once → new PC enrolled. The new token
// takes over as soon as the user confirms through the mail, or by itself
// once the cooling-off period is over.
func TestHelpdeskHonestUserGetsTheNewPC(t *testing.T) {
	for _, confirm := range []bool{true, false} {
		name := map[bool]string{true: "confirmed by mail", false: "after the cooling-off"}[confirm]
		t.Run(name, func(t *testing.T) {
			s := roomy(t)
			old := s.Enrol("lou", "lou-pass", s.AddUser("lou", "lou-pass"))
			temp := deskTemp(t, s, "lou", "lou-pass")
			if got := s.Verify("lou", "lou-pass", temp); got != wire.ResultOK {
				t.Fatalf("the temporary passcode at once: %s", got)
			}
			newPC, r := s.TryEnrol("lou", "lou-pass", temp)
			if r.Result != wire.ResultOK {
				t.Fatalf("the new PC: %+v", r)
			}
			if confirm {
				confirmByMail(t, s, "lou")
			} else {
				s.Clock.Advance(account.DefaultCoolingOff)
			}
			s.Clock.Advance(30 * time.Second)
			for _, tt := range []struct {
				what string
				tok  token.Token
				want string
			}{{"the new PC's token", newPC, wire.ResultOK}, {"the lost PC's token", old, wire.ResultInvalidToken}} {
				if got := s.Verify("lou", "lou-pass", code(t, tt.tok, s.Clock.Now())); got != tt.want {
					t.Errorf("%s: %s, want %s", tt.what, got, tt.want)
				}
			}
			if got := s.Verify("lou", "lou-pass", temp); got != wire.ResultInvalidToken {
				t.Errorf("the temporary passcode once the new token took over: %s", got)
			}
		})
	}
}

// Answers are what the desk asks: replacing them needs the user's own
// token (or SMS passcode), and the user is told by mail.
func TestChangedAnswersNeedTheOldFactorAndAreMailed(t *testing.T) {
	s := roomy(t)
	tok := s.Enrol("ann", "ann-pass", s.AddUser("ann", "ann-pass"))
	s.Clock.Advance(30 * time.Second)
	b := servertest.NewBrowser(t, s.URL)
	b.SignIn("ann", "ann-pass")
	b.Post("passcode", url.Values{"passcode": {code(t, tok, s.Clock.Now())}})
	if status, body := b.Post("questions", url.Values{"q1": {"3"}, "a1": {"Fiat"}, "q2": {"4"}, "a2": {"Smith"}}); status != http.StatusOK {
		t.Fatalf("new answers with the token: %d %s", status, body)
	}
	if !mailed(t, s, "ann", "Your security answers were changed") {
		t.Error("no mail about the changed answers")
	}
	for _, m := range s.Outbox("ann@example.com") {
		if strings.Contains(m, "Fiat") || strings.Contains(m, "Smith") {
			t.Errorf("a mail holds an answer: %s", m)
		}
	}
}

// The per-user allowance of text messages is spent only by messages sent:
// a send refused because the account is locked costs none, so that
// whoever locked the account cannot also keep the user from getting a
// passcode once an administrator unlocked it (issue 21).
func TestRefusedSendsDoNotSpendTheSMSAllowance(t *testing.T) {
	s := roomy(t)
	s.Admin("sam-pass\n", "user", "add", "--own-password", "--sms", "--phone", "+447700900111", "--email", "sam@example.com", "sam")
	s.LastSMS("+447700900111") // sam's first passcode, pre-loaded when the account was made
	// Someone who knows the password signs in, locks the account with
	// wrong codes and then asks for passcodes by SMS: each sign-in's
	// session asks once (a user holds three signed-in sessions at most),
	// and the administrator unlocks in between.
	signIn := func() *servertest.Browser {
		b := servertest.NewBrowser(t, s.URL)
		if status, body := b.SignIn("sam", "sam-pass"); status != http.StatusOK || !strings.Contains(body, "by SMS") {
			t.Fatalf("sign-in: %d %s", status, body)
		}
		return b
	}
	refused := 0
	for range 3 {
		sessions := []*servertest.Browser{signIn(), signIn(), signIn()}
		for range 10 {
			s.Verify("sam", "sam-pass", "000000")
		}
		for _, b := range sessions {
			if status, body := b.Post("passcode/sms", url.Values{}); status != http.StatusUnauthorized || !strings.Contains(body, "locked") {
				t.Fatalf("send %d while locked: %d %s", refused+1, status, body)
			}
			refused++
		}
		s.Admin("", "user", "unlock", "sam")
	}
	if got := s.LastSMS("+447700900111"); got != "" {
		t.Fatal("a passcode went out while the account was locked")
	}
	if status, body := signIn().Post("passcode/sms", url.Values{}); status != http.StatusOK || !strings.Contains(body, "was sent by SMS") {
		t.Errorf("the first send after %d refused ones: %d %s", refused, status, body)
	}
}
