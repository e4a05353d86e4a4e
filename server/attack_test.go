package server_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
	"github.com/softtoken/softtoken/token"
)

// The attacks of issue 11, each over the real websocket, enrol site and
// self-help desk, on a real SQLite file (the races on PostgreSQL too). docs/protocol.md ("Lockout")
// states the policy they check.

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

// With a temporary passcode on file, 30 concurrent wrong 8-digit codes
// over the websocket are evaluated no more than the limit allows: exactly
// 10 are told "invalid token".
func TestConcurrentWrongCodesNeverPassTheLimit(t *testing.T) {
	servertest.OnEachStore(t, servertest.Options{}, func(t *testing.T, o servertest.Options) {
		s := open(t, o)
		enrolled(t, s, "trader")
		tempPasscode(t, s, "trader")
		results := map[string]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range 30 {
			wg.Go(func() {
				// From 30 addresses, so that no password is throttled.
				c := s.DialFrom(fmt.Sprintf("127.0.1.%d", i+1))
				defer c.Close()
				r := c.Login("trader", "trader-pass", fmt.Sprintf("%08d", 10_000_000+i))
				mu.Lock()
				results[r.Result]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if results[wire.ResultInvalidToken] != 10 || results[wire.ResultLocked] != 20 {
			t.Errorf("30 concurrent wrong codes: %v; want 10 %q and 20 %q", results, wire.ResultInvalidToken, wire.ResultLocked)
		}
		if u := show(t, s, "trader"); u.Failures != 10 {
			t.Errorf("failures counted: %d, want 10", u.Failures)
		}
	})
}

// The same passcode sent at once over 8 admin sockets with verifylogin
// is accepted exactly once, on either store: the replay guard is the
// store's conditional update, not a check in one process's memory.
func TestReplayRaceAcceptsOnce(t *testing.T) {
	servertest.OnEachStore(t, servertest.Options{}, func(t *testing.T, o servertest.Options) {
		s := open(t, o)
		tok := enrolled(t, s, "trader")
		code := codeAt(t, s, tok, 1) // the enrolment's confirm used this step's
		var admins []*servertest.Client
		for i := range 8 {
			c := s.DialFrom(fmt.Sprintf("127.0.2.%d", i+1))
			defer c.Close()
			if r := c.Login("admin", "admin-password", ""); r.Result != wire.ResultOK {
				t.Fatalf("admin login: %+v", r)
			}
			admins = append(admins, c)
		}
		results := map[string]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, c := range admins {
			pass := c.Enc("trader-pass")
			wg.Go(func() {
				<-start
				r := c.Send(map[string]string{"type": "verifylogin", "userid": "trader", "pass": pass, "2fatoken": code})
				mu.Lock()
				results[r.Result]++
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()
		if results[wire.ResultOK] != 1 {
			t.Errorf("one code verified at once by 8 back-ends: %v; want exactly one %q", results, wire.ResultOK)
		}
	})
}

// While a user is locked, nothing is checked: the right and a wrong
// password get the same answer on every path.
func TestLockedAnswersAlikeWhateverThePassword(t *testing.T) {
	s := open(t, servertest.Options{})
	tok := enrolled(t, s, "trader")
	lock(t, s, "trader")
	for _, pw := range []string{"trader-pass", "wrong-pass"} {
		c := s.Dial()
		if r := c.Login("trader", pw, codeAt(t, s, tok, 0)); r.Result != wire.ResultLocked {
			t.Errorf("websocket login with password %q: %q, want %q", pw, r.Result, wire.ResultLocked)
		}
		c.Close()
		if got := s.Verify("trader", pw, codeAt(t, s, tok, 0)); got != wire.ResultLocked {
			t.Errorf("verifylogin with password %q: %q", pw, got)
		}
	}
	pages := map[string][2]any{}
	for _, pw := range []string{"trader-pass", "wrong-pass"} {
		b := servertest.NewBrowser(t, s.URL)
		status, body := b.SignIn("trader", pw)
		d := servertest.NewBrowser(t, s.Helpdesk)
		d.Get("")
		d.Post("", url.Values{"userid": {"trader"}})
		dstatus, dbody := d.Post("password", url.Values{"password": {pw}})
		pages[pw] = [2]any{fmt.Sprint(status, errorOf(body)), fmt.Sprint(dstatus, errorOf(dbody))}
	}
	if pages["trader-pass"] != pages["wrong-pass"] || !strings.Contains(fmt.Sprint(pages["wrong-pass"]), "locked") {
		t.Errorf("the pages answer a locked user's right and wrong passwords differently: %q", pages)
	}
}

var errorLine = regexp.MustCompile(`class="error"[^>]*>([^<]*)<`)

// errorOf is the error a page shows.
func errorOf(body string) string {
	if m := errorLine.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// Sessions opened before the lock do not get round it: on the enrol site
// the right initial passcode no longer signs in and wrong ones are not
// evaluated; at the help desk the right answer gives no temporary passcode.
func TestSessionsOpenedBeforeTheLockAreLocked(t *testing.T) {
	s := open(t, servertest.Options{})
	tok := enrolled(t, s, "hal")
	initial := s.AddUser("ida", "ida-pass")
	var sites [2]*servertest.Browser
	for i := range sites {
		sites[i] = servertest.NewBrowser(t, s.URL)
		if _, body := sites[i].SignIn("ida", "ida-pass"); !strings.Contains(body, "Now the passcode") {
			t.Fatal("the enrol site did not ask for the passcode")
		}
	}
	desk := helpdeskAtQuestion(t, s, "hal")
	lock(t, s, "ida")
	lock(t, s, "hal")
	if status, body := sites[0].Post("passcode", url.Values{"passcode": {"111111"}}); status == 200 || !strings.Contains(body, "locked") {
		t.Errorf("a wrong passcode on a session opened before the lock: %d %s", status, errorOf(body))
	}
	if u := show(t, s, "ida"); u.Failures != 10 {
		t.Errorf("a locked user's failures went on counting: %d", u.Failures)
	}
	if _, body := sites[1].Post("passcode", url.Values{"passcode": {initial}}); !strings.Contains(body, "locked") || strings.Contains(body, "Signed in as") {
		t.Errorf("the right initial passcode signed a locked user in: %s", errorOf(body))
	}
	if _, body := desk.Post("question", url.Values{"answer": {answerFor(desk)}}); !strings.Contains(body, "locked") {
		t.Errorf("the right answer of a locked user: %s", errorOf(body))
	}
	if _, body := desk.Post("options", url.Values{"days": {"1"}}); strings.Contains(body, "Your temporary passcode") {
		t.Error("a locked user got a temporary passcode")
	}
	s.Clock.Advance(16 * time.Minute)
	if got := s.Verify("hal", "hal-pass", codeAt(t, s, tok, 0)); got != wire.ResultOK {
		t.Errorf("after the lock: %s", got)
	}
	tempPasscode(t, s, "hal") // none was issued in the last 30 days
}

var deskQuestion = regexp.MustCompile(`id="question">([^<]+)<`)

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

// answerFor is the right answer to the question the desk shows.
func answerFor(d *servertest.Browser) string {
	_, body := d.Get("question")
	m := deskQuestion.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return map[string]string{account.Questions[1]: "Springfield", account.Questions[2]: "Rex"}[m[1]]
}

// The policy, as attacks: 1,000 wrong passwords from one address neither
// lock the account nor stop the real user logging in from another address.
func TestWrongPasswordsDoNotLockTheAccount(t *testing.T) {
	s := open(t, servertest.Options{})
	tok := enrolled(t, s, "trader")
	results := map[string]int{}
	for i := range 1000 {
		c := s.DialFrom("127.0.0.1")
		results[c.Login("trader", fmt.Sprintf("guess-%04d", i), "").Result]++
		c.Close()
	}
	if results[wire.ResultInvalidLogin] > 10 || results[wire.ResultRateLimited] < 990 {
		t.Errorf("1,000 wrong passwords: %v; want nearly all throttled", results)
	}
	c := s.DialFrom("127.0.0.2")
	if r := c.Login("trader", "trader-pass", codeAt(t, s, tok, 1)); r.Result != wire.ResultOK {
		t.Errorf("the real user from another address: %+v", r)
	}
	c.Close()
	if u := show(t, s, "trader"); u.LockedUntil != nil || u.Failures != 0 {
		t.Errorf("wrong passwords counted against the account: %+v", u)
	}
}

// The policy: 10 wrong passcodes after the right password lock the user,
// whichever path they come by.
func TestTenWrongPasscodesLockOnEveryPath(t *testing.T) {
	paths := map[string]func(s *servertest.Server, user string){
		"websocket login": func(s *servertest.Server, user string) {
			c := s.Dial()
			c.Login(user, user+"-pass", "000000")
			c.Close()
		},
		"send2fatoken": func(s *servertest.Server, user string) {
			c := s.Dial()
			c.Login(user, user+"-pass", "")
			c.Send(map[string]string{"type": "send2fatoken", "2fatoken": "000000"})
			c.Close()
		},
		"verifylogin": func(s *servertest.Server, user string) { s.Verify(user, user+"-pass", "000000") },
		"enrol":       func(s *servertest.Server, user string) { s.TryEnrol(user, user+"-pass", "000000") },
		"enrol site": func(s *servertest.Server, user string) {
			b := servertest.NewBrowser(t, s.URL)
			b.SignIn(user, user+"-pass")
			b.Post("passcode", url.Values{"passcode": {"000000"}})
		},
		"help desk": func(s *servertest.Server, user string) {
			d := helpdeskAtQuestion(t, s, user)
			d.Post("question", url.Values{"answer": {"not the answer"}})
		},
	}
	s := open(t, servertest.Options{})
	tokens := map[string]token.Token{}
	for name := range paths {
		user := strings.ReplaceAll(name, " ", "-")
		tokens[name] = enrolled(t, s, user)
	}
	s.Clock.Advance(30 * time.Second)
	for name, wrong := range paths {
		user := strings.ReplaceAll(name, " ", "-")
		for range 10 {
			wrong(s, user)
		}
		if got := s.Verify(user, user+"-pass", codeAt(t, s, tokens[name], 0)); got != wire.ResultLocked {
			t.Errorf("after 10 wrong passcodes by %s: %q, want %q", name, got, wire.ResultLocked)
		}
	}
}
