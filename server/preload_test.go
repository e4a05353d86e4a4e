package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
)

// Issue 23's "Done when", over the real interfaces: an SMS user made by
// the administrator's command receives a passcode without asking (in the
// SMS outbox); one verifylogin over the websocket with the password and
// that passcode answers OK; the next passcode then arrives on its own, and
// the used one is refused.
func TestPreloadedSMSOneFormLogon(t *testing.T) {
	servertest.OnEachStore(t, servertest.Options{}, func(t *testing.T, o servertest.Options) {
		s := servertest.NewWith(t, o)
		const phone = "+447700900123"
		var out struct {
			Preload string `json:"sms_preload"`
		}
		raw := s.Admin("sally-pass\n", "user", "add", "--own-password", "--sms", "--phone", phone, "sally")
		if err := json.Unmarshal([]byte(raw), &out); err != nil || !strings.Contains(out.Preload, "sent to +44…123") {
			t.Errorf("user add printed %q, want where the first passcode went", raw)
		}
		first := s.LastSMS(phone)
		if first == "" {
			t.Fatal("no passcode reached the handset when the user was made")
		}
		if got := s.Verify("sally", "sally-pass", first); got != wire.ResultOK {
			t.Fatalf("verifylogin with the pre-loaded passcode: %q", got)
		}
		next := s.LastSMS(phone)
		if next == "" {
			t.Fatal("the next passcode did not arrive after the logon")
		}
		if got := s.Verify("sally", "sally-pass", first); got != wire.ResultInvalidToken {
			t.Errorf("verifylogin with the used passcode: %q, want %q", got, wire.ResultInvalidToken)
		}
		if got := s.Verify("sally", "sally-pass", next); got != wire.ResultOK {
			t.Errorf("verifylogin with the next passcode: %q", got)
		}
	})
}

// --sms-mode over the real interfaces: the admin command sends the first
// passcode unless on-demand; a login without a passcode is sent one
// unless the site pre-loads only, where it is told to type the one it has.
func TestSMSModeOverWebsocket(t *testing.T) {
	for _, tc := range []struct {
		mode                 account.SMSMode
		onAdd, onLogin       bool
		loginMessageContains string
	}{
		{account.SMSBoth, true, true, "a passcode was sent by SMS"},
		{account.SMSPreload, true, false, "type the passcode for this logon"},
		{account.SMSOnDemand, false, true, "a passcode was sent by SMS"},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			s := servertest.NewWith(t, servertest.Options{Rules: account.Config{SMSMode: tc.mode}})
			const phone = "+447700900124"
			s.Admin("tom-pass\n", "user", "add", "--own-password", "--sms", "--phone", phone, "--sms-mode", string(tc.mode), "tom")
			if got := s.LastSMS(phone) != ""; got != tc.onAdd {
				t.Errorf("a passcode when the user was made: %v, want %v", got, tc.onAdd)
			}
			c := s.Dial()
			defer c.Close()
			r := c.Login("tom", "tom-pass", "")
			if r.Result != wire.ResultNeed2FA || !strings.Contains(r.Message, tc.loginMessageContains) {
				t.Errorf("a login without a passcode: %+v, want %q saying %q", r, wire.ResultNeed2FA, tc.loginMessageContains)
			}
			if got := s.LastSMS(phone) != ""; got != tc.onLogin {
				t.Errorf("a passcode for a login without one: %v, want %v", got, tc.onLogin)
			}
		})
	}
}

// One pre-loaded passcode sent at once by 8 back-ends with verifylogin
// verifies once, on either store.
func TestPreloadedSMSRaceVerifiesOnce(t *testing.T) {
	servertest.OnEachStore(t, servertest.Options{}, func(t *testing.T, o servertest.Options) {
		s := servertest.NewWith(t, o)
		const phone = "+447700900125"
		s.Admin("sally-pass\n", "user", "add", "--own-password", "--sms", "--phone", phone, "sally")
		results := verifyAtOnce(t, s, 8, "sally", "sally-pass", s.LastSMS(phone))
		if results[wire.ResultOK] != 1 || results[wire.ResultOK]+results[wire.ResultInvalidToken] != 8 {
			t.Errorf("one pre-loaded passcode verified at once by 8 back-ends: %v; want one %q, the others %q",
				results, wire.ResultOK, wire.ResultInvalidToken)
		}
	})
}
