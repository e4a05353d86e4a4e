package server_test

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token"
)

// The lockout over the real interfaces: wrong passcodes lock the user
// whatever path they come by, never more are evaluated than the limit,
// and a locked user is answered alike whatever the password.
// docs/protocol.md ("Lockout") states the policy.

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
