package ws_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/sms"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
)

var smsCode = regexp.MustCompile(`: ([0-9]{6})\. It works once`)

// readSMS returns the code of the one text message in dir, and removes it.
func readSMS(t *testing.T, dir string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	if len(files) != 1 {
		t.Fatalf("the SMS outbox holds %d messages, want 1", len(files))
	}
	raw, _ := os.ReadFile(files[0])
	os.Remove(files[0])
	m := smsCode.FindSubmatch(raw)
	if m == nil {
		t.Fatalf("no code in the SMS:\n%s", raw)
	}
	return string(m[1])
}

// The seed's SMS flow: login without a passcode sends one by SMS, and
// send2fatoken completes the login with it; the code works once.
func TestSMSLogin(t *testing.T) {
	outbox := t.TempDir()
	s := newServerRules(t, ws.Config{}, account.Config{SMS: sms.Outbox{Dir: outbox}})
	s.user(account.NewUser{UserID: "sally", SMS: true, Phone: "+447700900123"}, "sms-pass-1")
	readSMS(t, outbox) // the passcode for the next logon, pre-loaded when sally was made
	c := s.dial()
	r := c.login("sally", "sms-pass-1", "")
	if r.Result != wire.ResultNeed2FA || !strings.Contains(r.Message, "sent by SMS to +44…123") {
		t.Fatalf("login without a passcode: %+v", r)
	}
	code := readSMS(t, outbox)
	if r := c.send(map[string]string{"type": "send2fatoken", "2fatoken": "000000"}); r.Result != wire.ResultInvalidToken {
		t.Errorf("a wrong code: %+v", r)
	}
	if r := c.send(map[string]string{"type": "send2fatoken", "2fatoken": code}); r.Result != wire.ResultOK {
		t.Fatalf("the SMS code: %+v", r)
	}
	c.send(map[string]string{"type": "logout"})
	if r := s.dial().login("sally", "sms-pass-1", code); r.Result != wire.ResultInvalidToken {
		t.Errorf("the SMS code a second time: %+v", r)
	}
}

func TestSMSOff(t *testing.T) {
	s := newServer(t, ws.Config{})
	s.user(account.NewUser{UserID: "sally", SMS: true, Phone: "+447700900123"}, "sms-pass-1")
	r := s.dial().login("sally", "sms-pass-1", "")
	if r.Result != wire.ResultNeed2FA || !strings.Contains(r.Message, "switched off") {
		t.Errorf("login of an SMS user with SMS off: %+v", r)
	}
}

// A stranger with the password cannot make the server text a phone
// without end.
func TestSMSRateLimited(t *testing.T) {
	outbox := t.TempDir()
	s := newServerRules(t, ws.Config{}, account.Config{SMS: sms.Outbox{Dir: outbox}})
	s.user(account.NewUser{UserID: "sally", SMS: true, Phone: "+447700900123"}, "sms-pass-1")
	readSMS(t, outbox) // the passcode for the next logon, pre-loaded when sally was made
	var last wire.Response
	for range 6 {
		last = s.dial().login("sally", "sms-pass-1", "")
	}
	files, _ := filepath.Glob(filepath.Join(outbox, "*.txt"))
	if len(files) != 5 || !strings.Contains(last.Message, "too many text messages") {
		t.Errorf("6 logins sent %d SMS; the last said %q", len(files), last.Message)
	}
}

// An SMS user has longer than a login's time to type the code: the socket
// waits SMSLoginTimeout from the moment the text was sent, while a token
// user's socket closes at the login timeout.
func TestSMSLoginHasTimeToType(t *testing.T) {
	outbox := t.TempDir()
	s := newServerRules(t, ws.Config{LoginTimeout: time.Second, SMSLoginTimeout: 5 * time.Second}, account.Config{SMS: sms.Outbox{Dir: outbox}})
	s.user(account.NewUser{UserID: "sally", SMS: true, Phone: "+447700900123"}, "sms-pass-1")
	readSMS(t, outbox) // the passcode for the next logon, pre-loaded when sally was made
	c := s.dial()
	if r := c.login("sally", "sms-pass-1", ""); r.Result != wire.ResultNeed2FA || !strings.Contains(r.Message, "within 5s") {
		t.Fatalf("login: %+v", r)
	}
	token := s.dial()
	if r := token.login("julian@fundamentalinteractions.c", "test-123", ""); r.Result != wire.ResultNeed2FA {
		t.Fatalf("token user: %+v", r)
	}
	time.Sleep(2 * time.Second) // longer than the login timeout: reading the text, typing it
	if r := c.send(map[string]string{"type": "send2fatoken", "2fatoken": readSMS(t, outbox)}); r.Result != wire.ResultOK {
		t.Errorf("the SMS code 2 s after the login: %+v", r)
	}
	if !token.closed() {
		t.Error("a token user's socket outlived the login timeout")
	}
}

// A back-end written to the seed verifies an SMS user with verifylogin
// alone: without a code, the server sends one ("verifylogin will generate
// token afterwards"); the back-end asks again with it.
func TestVerifyLoginSendsTheSMS(t *testing.T) {
	outbox := t.TempDir()
	s := newServerRules(t, ws.Config{}, account.Config{SMS: sms.Outbox{Dir: outbox}})
	s.user(account.NewUser{UserID: "sally", SMS: true, Phone: "+447700900123"}, "sms-pass-1")
	readSMS(t, outbox) // the passcode for the next logon, pre-loaded when sally was made
	admin := s.dial()
	admin.login("admin", "admin-password", "")
	r := admin.verify("sally", "sms-pass-1", "")
	if r.Result != wire.ResultNeed2FA || !strings.Contains(r.Message, "sent by SMS to +44…123") {
		t.Fatalf("verifylogin without a code: %+v", r)
	}
	r = admin.verify("sally", "sms-pass-1", readSMS(t, outbox))
	if r.Result != wire.ResultOK || r.VerifyLevel == nil || *r.VerifyLevel != 1 {
		t.Errorf("verifylogin with the code: %+v", r)
	}
	readSMS(t, outbox) // the passcode for the next logon, pre-loaded after this one
	if r := admin.verify("sally", "wrong-pass-1", ""); r.Result != wire.ResultInvalidLogin {
		t.Errorf("a wrong password sends nothing: %+v", r)
	}
	if files, _ := filepath.Glob(filepath.Join(outbox, "*.txt")); len(files) != 0 {
		t.Errorf("texts sent for a wrong password: %v", files)
	}
}
