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
