package console_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/console"
	"github.com/softtoken/softtoken/server/servertest"
)

// A console session ends after IdleTimeout without a request, and after
// account.OperatorSessionMax however active the operator is.
func TestSessionLifetime(t *testing.T) {
	for _, tc := range []struct {
		name string
		// step is the time between requests; steps how many pass
		// before the one that must find the session over.
		step  time.Duration
		steps int
	}{
		{"idle", console.IdleTimeout + time.Second, 1},
		{"too old", console.IdleTimeout - time.Minute, int(account.OperatorSessionMax/(console.IdleTimeout-time.Minute)) + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t)
			b := signIn(t, s, "alice", operator(t, s, "alice", account.RoleAuditor))
			for i := range tc.steps {
				if _, body := b.Get("users"); !strings.Contains(body, `id="nav-users"`) {
					t.Fatalf("the session ended after %d steps of %v", i, tc.step)
				}
				s.Clock.Advance(tc.step)
			}
			if _, body := b.Get("users"); !strings.Contains(body, `id="signin"`) {
				t.Fatalf("the session outlived %d steps of %v", tc.steps, tc.step)
			}
		})
	}
}

// The console speaks the browser's language, and the switch changes it.
func TestItalian(t *testing.T) {
	s := start(t)
	req, _ := http.NewRequest(http.MethodGet, s.AdminURL+"/admin/", nil)
	req.Header.Set("Accept-Language", "it-IT,it;q=0.9")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Content-Language"); got != "it" {
		t.Errorf("Accept-Language it answered in %q", got)
	}
	b := open(t, s)
	b.Get("lang?to=it&back=/admin/")
	if _, body := b.Get(""); !strings.Contains(body, "Console degli operatori") {
		t.Errorf("the switch to Italian did not take: %s", body)
	}
}

// An SMS operator is sent a passcode once the password is right, and
// signs in with it.
func TestSMSOperator(t *testing.T) {
	s := start(t)
	s.Admin("sam-pass\n", "user", "add", "--own-password", "--sms", "--phone", "+447700900111", "--email", "sam@example.com",
		"--console-role", "helpdesk", "sam")
	before := smsCodes(t, s)
	b := open(t, s)
	b.Get("")
	if _, body := b.Post("", url.Values{"userid": {"sam"}, "password": {"sam-pass"}}); !strings.Contains(body, "111") {
		t.Fatalf("the passcode page does not say where the SMS went: %s", errorOf(body))
	}
	var sent []string
	for f, code := range smsCodes(t, s) {
		if _, old := before[f]; !old {
			sent = append(sent, code)
		}
	}
	if len(sent) != 1 {
		t.Fatalf("%d text messages sent, want 1", len(sent))
	}
	if _, body := b.Post("passcode", url.Values{"passcode": {sent[0]}}); !strings.Contains(body, `id="nav-users"`) {
		t.Fatalf("the SMS passcode did not sign sam in: %s", errorOf(body))
	}
}

var smsCode = regexp.MustCompile(`\b[0-9]{6,8}\b`)

// smsCodes are the passcodes of the text messages in the outbox, by file.
func smsCodes(t *testing.T, s *servertest.Server) map[string]string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(s.SMSOutbox, "*.txt"))
	out := map[string]string{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = smsCode.FindString(string(raw))
	}
	return out
}
