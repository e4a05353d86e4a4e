package console_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/wire"
)

var resetPassword = regexp.MustCompile(`id="password">([^<]+)<`)

// An administrator disables and enables a user, resets them (the new
// password, shown once, then works), and deletes them; each destructive
// action only after its confirmation, each audited under their name.
func TestAdminActions(t *testing.T) {
	s := start(t)
	b := signIn(t, s, "root", operator(t, s, "root", account.RoleAdmin))
	user(t, s, "bob")
	b.Get("user?id=bob")
	for _, tc := range []struct {
		action string
		check  func(t *testing.T, body string)
		event  string
	}{
		{"disable", func(t *testing.T, _ string) {
			if detail(t, s, "bob").Active {
				t.Error("bob is still active")
			}
		}, "user disable"},
		{"enable", func(t *testing.T, _ string) {
			if !detail(t, s, "bob").Active {
				t.Error("bob is not active")
			}
		}, "user enable"},
		{"reset", func(t *testing.T, body string) {
			m := resetPassword.FindStringSubmatch(body)
			if m == nil || !strings.Contains(body, `id="initial-passcode"`) {
				t.Fatalf("the reset shows no password and initial passcode: %s", body)
			}
			if _, _, err := s.Accounts.CheckPassword(context.Background(), account.Admin, "bob", []byte(m[1])); err != nil {
				t.Errorf("the new password: %v", err)
			}
		}, "user reset"},
		{"delete", func(t *testing.T, _ string) {
			if _, err := s.Accounts.User(context.Background(), account.CommandLine, "bob"); !errors.Is(err, account.ErrNoSuchUser) {
				t.Errorf("bob is still there: %v", err)
			}
		}, "user delete"},
	} {
		t.Run(tc.action, func(t *testing.T) {
			form := url.Values{"id": {"bob"}}
			if tc.action != "enable" {
				if _, body := b.Post("user/"+tc.action, form); !strings.Contains(body, `id="confirm"`) || audited(t, s, "bob", tc.event, "") {
					t.Fatalf("%s ran without a confirmation", tc.action)
				}
			}
			form.Set("confirmed", "yes")
			status, body := b.Post("user/"+tc.action, form)
			if status != http.StatusOK {
				t.Fatalf("%s: %d %s", tc.action, status, errorOf(body))
			}
			tc.check(t, body)
			if !audited(t, s, "bob", tc.event, "by admin operator root") {
				t.Errorf("no %q by admin operator root in the audit", tc.event)
			}
		})
	}
}

// A refusal about the user acted on (disabled, locked) leaves the
// operator signed in.
func TestTargetsStateIsNotTheOperators(t *testing.T) {
	s := start(t)
	b := signIn(t, s, "alice", operator(t, s, "alice", account.RoleHelpdesk))
	user(t, s, "bob")
	lock(t, s, "bob")
	s.Admin("", "user", "disable", "bob")
	b.Get("user?id=bob")
	for _, action := range []string{"unlock", "temp", "initial"} {
		status, body := b.Post("user/"+action, url.Values{"id": {"bob"}, "days": {"1"}})
		if status == http.StatusUnauthorized || !strings.Contains(body, `id="nav-users"`) {
			t.Fatalf("%s on a disabled, locked user signed the operator out: %d %s", action, status, errorOf(body))
		}
	}
}

// A second temporary passcode within 30 days needs the override, its
// reason and a confirmation; the reason goes into the audit.
func TestOverride(t *testing.T) {
	s := start(t)
	b := signIn(t, s, "alice", operator(t, s, "alice", account.RoleHelpdesk))
	user(t, s, "bob")
	b.Get("user?id=bob")
	form := url.Values{"id": {"bob"}, "days": {"1"}}
	if status, body := b.Post("user/temp", form); status != http.StatusOK || !tempCode.MatchString(body) {
		t.Fatalf("the first temporary passcode: %d %s", status, errorOf(body))
	}
	if status, body := b.Post("user/temp", form); status != http.StatusConflict || tempCode.MatchString(body) {
		t.Fatalf("a second one without the override: %d %s", status, errorOf(body))
	}
	form.Set("override", "1")
	form.Set("reason", "called from the trading floor, identity checked by video")
	if _, body := b.Post("user/temp", form); !strings.Contains(body, `id="confirm"`) || tempCode.MatchString(body) {
		t.Fatalf("the override ran without a confirmation: %s", errorOf(body))
	}
	form.Set("confirmed", "yes")
	status, body := b.Post("user/temp", form)
	m := tempCode.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		t.Fatalf("the override: %d %s", status, errorOf(body))
	}
	if !audited(t, s, "bob", "temporary passcode", "identity checked by video") {
		t.Error("the reason is not in the audit")
	}
	if r := s.Verify("bob", "bob-pass", m[1]); r != wire.ResultOK {
		t.Errorf("the overriding passcode verified as %q", r)
	}
	if audited(t, s, "bob", "temporary passcode", m[1]) {
		t.Error("the audit holds the temporary passcode")
	}
}
