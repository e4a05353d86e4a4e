package ws_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/sms"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
)

// rawReply sends msg and returns the reply's JSON object as it came, so
// that a test can tell an absent field from an empty one.
func (c *client) rawReply(msg any) map[string]json.RawMessage {
	c.t.Helper()
	data, _ := json.Marshal(msg)
	if err := c.c.WriteJSON(json.RawMessage(data)); err != nil {
		c.t.Fatalf("send: %v", err)
	}
	var out map[string]json.RawMessage
	if err := c.c.ReadJSON(&out); err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return out
}

// newestSMS returns the code of the newest text message in dir, and
// removes them all: whether a code was sent when the user was made
// (pre-loaded) or when verifylogin asked, the newest is one that works.
func newestSMS(t *testing.T, dir string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	var newest []byte
	var at time.Time
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && !fi.ModTime().Before(at) {
			newest, _ = os.ReadFile(f)
			at = fi.ModTime()
		}
		os.Remove(f)
	}
	m := smsCode.FindSubmatch(newest)
	if m == nil {
		t.Fatalf("no code in the newest of %d text messages:\n%s", len(files), newest)
	}
	return string(m[1])
}

// The replies to a password reset and a password change carry
// broker_comm_rate as the seed's sample does: the user's attribute, "0"
// when unset; a refused change carries none.
func TestPasswordRepliesCarryBrokerCommRate(t *testing.T) {
	s := newServer(t, ws.Config{})
	s.user(account.NewUser{UserID: "rated", Attr: json.RawMessage(`{"broker_comm_rate":"0.35"}`)}, "rated-pass-1")
	s.user(account.NewUser{UserID: "numeric", Attr: json.RawMessage(`{"broker_comm_rate":0.5}`)}, "numeric-pass-1")
	admin := s.dial()
	admin.login("admin", "admin-password", "")
	reset := func(userID string, attr any) map[string]any {
		m := map[string]any{"type": "adduser", "userid": userID, "updateprof": true, "resetpass": true, "pass": "",
			"newpass": admin.encrypt("reset-pass-" + userID)}
		if attr != nil {
			m["attr"] = attr
		}
		return m
	}
	tests := []struct {
		name string
		msg  map[string]any
		want string
	}{
		{"reset, no rate", reset("plain", nil), `"0"`},
		{"reset, a rate as text", reset("rated", nil), `"0.35"`},
		{"reset, a rate as a number", reset("numeric", nil), `"0.5"`},
		{"the seed's sample: its attr replaces the rate", reset("rated", map[string]string{"email": "r@example.com"}), `"0"`},
		{"reset with a rate in its attr", reset("plain", map[string]string{"broker_comm_rate": "1.25"}), `"1.25"`},
		{"an administrator's change", map[string]any{"type": "adduser", "userid": "plain", "updateprof": true,
			"pass": admin.encrypt("reset-pass-plain"), "newpass": admin.encrypt("changed-by-admin")}, `"1.25"`},
	}
	for _, tc := range tests {
		r := admin.rawReply(tc.msg)
		if string(r["result"]) != `"OK"` || string(r["broker_comm_rate"]) != tc.want {
			t.Errorf("%s: %s %s, want broker_comm_rate %s", tc.name, r["result"], r["broker_comm_rate"], tc.want)
		}
	}
	u := s.dial()
	if r := u.login("rated", "reset-pass-rated", ""); r.Result != wire.ResultOK {
		t.Fatalf("login after the reset: %+v", r)
	}
	if r := u.rawReply(map[string]any{"type": "adduser", "updateprof": true, "pass": u.encrypt("wrong-pass"), "newpass": u.encrypt("rated-own-pass")}); r["broker_comm_rate"] != nil {
		t.Errorf("a refused change carries the rate: %v", r)
	}
	s.user(account.NewUser{UserID: "self", Attr: json.RawMessage(`{"broker_comm_rate":"2"}`)}, "self-pass-1")
	own := s.dial()
	own.login("self", "self-pass-1", "")
	r := own.send(map[string]any{"type": "adduser", "updateprof": true, "pass": own.encrypt("self-pass-1"), "newpass": own.encrypt("self-pass-2")})
	if r.Result != wire.ResultOK || r.BrokerCommRate != "2" {
		t.Errorf("the user's own change: %+v", r)
	}
}

// verifylogin says which second factor verified the user: a token's
// passcode, an SMS passcode or a temporary passcode; none for a password
// alone.
func TestVerifyLoginNamesTheSecondFactor(t *testing.T) {
	outbox := t.TempDir()
	s := newServerRules(t, ws.Config{}, account.Config{SMS: sms.Outbox{Dir: outbox}})
	s.user(account.NewUser{UserID: "sally", SMS: true, Phone: "+447700900123"}, "sms-pass-1")
	s.user(account.NewUser{UserID: "tina", Use2FA: true}, "temp-pass-1")
	temp, err := s.acct.IssueTempPasscode(context.Background(), account.Admin, account.ByAdmin("tina"), 1, 7)
	if err != nil {
		t.Fatal(err)
	}
	admin := s.dial()
	admin.login("admin", "admin-password", "")
	julian := "julian@fundamentalinteractions.c"
	admin.verify("sally", "sms-pass-1", "") // sends the SMS
	tests := []struct {
		name, user, pw string
		code           func() string
		want           string
	}{
		{"token", julian, "test-123", func() string { return s.code(julian, 0) }, `"token"`},
		{"sms", "sally", "sms-pass-1", func() string { return newestSMS(t, outbox) }, `"sms"`},
		{"temporary", "tina", "temp-pass-1", func() string { return temp.Code }, `"temporary"`},
		{"password alone", "plain", "plain-password", func() string { return "" }, ""},
	}
	for _, tc := range tests {
		r := admin.rawReply(withCode(map[string]string{"type": "verifylogin", "userid": tc.user, "pass": admin.encrypt(tc.pw)}, tc.code()))
		if string(r["result"]) != `"OK"` || string(r["second_factor"]) != tc.want {
			t.Errorf("%s: result %s, second_factor %s, want %q", tc.name, r["result"], r["second_factor"], tc.want)
		}
		if tc.want == "" && !strings.Contains(string(r["verify_level"]), "0") {
			t.Errorf("%s: verify_level %s", tc.name, r["verify_level"])
		}
	}
}
