package cli_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/cli"
)

// smsTo is every text message to phone in the outbox next to a's
// database.
func (a *admin) smsTo(phone string) []string {
	a.t.Helper()
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(a.db), "sms-outbox", "*"+strings.TrimPrefix(phone, "+")+"*.txt"))
	var out []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			a.t.Fatal(err)
		}
		out = append(out, string(raw))
	}
	return out
}

// The admin commands that make SMS users send the passcode for their next
// logon, with serve's SMS settings (flags or SOFTTOKEN_SMS…), unless the
// site's mode is on-demand; and say where it went.
func TestUserAddSendsThePreloadedPasscode(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    map[string]string
		flags  []string
		want   string // in the output
		texts  int
		errHas string
	}{
		{"by default", nil, nil, `"sms_preload": "passcode for the next logon sent to +44…123"`, 1, ""},
		{"on-demand by the environment", map[string]string{"SOFTTOKEN_SMS_MODE": "on-demand"}, nil, `"sms": true`, 0, ""},
		{"on-demand by the flag", map[string]string{"SOFTTOKEN_SMS_MODE": "preload"}, []string{"--sms-mode", "on-demand"}, `"sms": true`, 0, ""},
		{"SMS switched off", nil, []string{"--sms-transport", "off"}, `"sms_preload": "not sent: passcodes by SMS are switched off`, 0, ""},
		{"a mode that is none", nil, []string{"--sms-mode", "sometimes"}, "", 0, "say preload, on-demand or both"},
		{"a mode that is none, in the environment", map[string]string{"SOFTTOKEN_SMS_MODE": "sometimes"}, nil, "", 0, "say preload, on-demand or both"},
		{"a maximum age that is none", nil, []string{"--sms-preload-max-age", "0s"}, "", 0, "above zero"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAdmin(t)
			for k, v := range tc.env {
				a.env[k] = v
			}
			args := append(append([]string{"user", "add", "--sms", "--phone", "+447700900123"}, tc.flags...), "texter")
			out, err := a.run("texter-pass-1\n", args...)
			var ue *cli.UsageError
			switch {
			case tc.errHas != "":
				if err == nil || !strings.Contains(err.Error(), tc.errHas) || !errors.As(err, &ue) {
					t.Fatalf("got %q, %v; want a usage error containing %q", out, err, tc.errHas)
				}
				return
			case err != nil || !strings.Contains(out, tc.want):
				t.Fatalf("got %q, %v; want %q", out, err, tc.want)
			}
			texts := a.smsTo("+447700900123")
			if len(texts) != tc.texts {
				t.Fatalf("%d texts, want %d: %q", len(texts), tc.texts, texts)
			}
			if tc.texts > 0 && !strings.Contains(texts[0], "passcode for your next logon") {
				t.Errorf("the text: %q", texts[0])
			}
		})
	}
}

// An SMS user's new number by user update is sent the next passcode.
func TestUserUpdateNewNumberSendsThePreloadedPasscode(t *testing.T) {
	a := newAdmin(t)
	a.add("texter-pass-1\n", "--sms", "--phone", "+447700900123", "texter")
	if _, err := a.run("", "user", "update", "--phone", "+447700900456", "texter"); err != nil {
		t.Fatal(err)
	}
	if texts := a.smsTo("+447700900456"); len(texts) != 1 || !strings.Contains(texts[0], "passcode for your next logon") {
		t.Errorf("texts to the new number: %q", texts)
	}
	if _, err := a.run("", "user", "update", "--firm", "FINT", "texter"); err != nil {
		t.Fatal(err)
	}
	if texts := a.smsTo("+447700900456"); len(texts) != 1 {
		t.Errorf("%d texts after a change that is no new number, want the one before", len(texts))
	}
}

// user update --sms makes a user with a token an SMS user, whose number
// is sent the passcode for the next logon.
func TestUserUpdateSMSSendsThePreloadedPasscode(t *testing.T) {
	a := newAdmin(t)
	a.add("trader-pass-1\n", "--use2fa", "trader")
	out, err := a.run("", "user", "update", "--sms", "--phone", "+447700900789", "trader")
	if err != nil || !strings.Contains(out, "sms") {
		t.Fatalf("user update --sms: %q, %v", out, err)
	}
	if out, _ := a.run("", "user", "show", "trader"); !strings.Contains(out, `"sms": true`) || strings.Contains(out, "token_serial") {
		t.Errorf("the user after: %s", out)
	}
	if texts := a.smsTo("+447700900789"); len(texts) != 1 || !strings.Contains(texts[0], "passcode for your next logon") {
		t.Errorf("texts to the number: %q", texts)
	}
}

// serve --help shows the SMS mode and the pre-loaded passcodes' maximum
// age with their defaults, as docs/deploy.md states them.
func TestServeHelpShowsSMSMode(t *testing.T) {
	out, err := newAdmin(t).run("", "serve", "--help")
	if err != nil {
		t.Fatalf("serve --help: %v", err)
	}
	for _, want := range []string{"-sms-mode", "(default both)", "-sms-preload-max-age", "(default 720h0m0s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("serve --help shows no %q", want)
		}
	}
	var ue *cli.UsageError
	if _, err := newAdmin(t).run("", "serve", "--sms-mode", "sometimes"); !errors.As(err, &ue) || !strings.Contains(err.Error(), "say preload, on-demand or both") {
		t.Errorf("serve --sms-mode sometimes: %v, want a usage error", err)
	}
}
