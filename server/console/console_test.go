package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
)

// A help-desk operator with a token signs in, finds a locked user,
// unlocks them, issues a temporary passcode that then verifies over the
// websocket, and logs them out after a confirmation: each change is in
// the audit under the operator's name.
func TestHelpdeskRecoversAUser(t *testing.T) {
	s := start(t)
	alice := operator(t, s, "alice", account.RoleHelpdesk)
	bobTok := user(t, s, "bob")
	lock(t, s, "bob")
	b := signIn(t, s, "alice", alice)

	if _, body := b.Get("users?locked=1"); !strings.Contains(body, `user?id=bob"`) {
		t.Fatalf("the locked users do not list bob: %s", body)
	}
	if _, body := b.Get("user?id=bob"); !strings.Contains(body, `id="do-unlock"`) {
		t.Fatalf("bob's page offers no unlock: %s", body)
	}
	if status, body := b.Post("user/unlock", url.Values{"id": {"bob"}}); status != http.StatusOK || !strings.Contains(body, `id="done"`) {
		t.Fatalf("unlock: %d %s", status, errorOf(body))
	}
	if detail(t, s, "bob").Locked {
		t.Fatal("bob is still locked")
	}

	b.Get("user?id=bob")
	status, body := b.Post("user/temp", url.Values{"id": {"bob"}, "days": {"1"}})
	m := tempCode.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		t.Fatalf("temporary passcode: %d %s", status, errorOf(body))
	}
	if r := s.Verify("bob", "bob-pass", m[1]); r != wire.ResultOK {
		t.Fatalf("the temporary passcode verified as %q", r)
	}

	c := s.Dial()
	defer c.Close()
	if r := c.Login("bob", "bob-pass", code(t, s, bobTok)); r.Result != wire.ResultOK {
		t.Fatalf("bob's login: %+v", r)
	}
	b.Get("user?id=bob")
	if _, body := b.Post("user/logout", url.Values{"id": {"bob"}}); !strings.Contains(body, `id="confirm"`) {
		t.Fatalf("a logout ran without a confirmation: %s", errorOf(body))
	}
	if status, body := b.Post("user/logout", url.Values{"id": {"bob"}, "confirmed": {"yes"}}); status != http.StatusOK {
		t.Fatalf("logout: %d %s", status, errorOf(body))
	}

	for _, event := range []string{"user unlock", "temporary passcode", "user logout"} {
		if !audited(t, s, "bob", event, "by helpdesk operator alice") {
			t.Errorf("no %q in bob's audit by helpdesk operator alice", event)
		}
	}
	if _, body := b.Get("audit?user=bob"); !strings.Contains(body, "by helpdesk operator alice") {
		t.Errorf("the audit page does not show the operator")
	}
}

// What an operator may not do is refused, whatever the form sends.
func TestRefused(t *testing.T) {
	s := start(t)
	helpdesk := signIn(t, s, "alice", operator(t, s, "alice", account.RoleHelpdesk))
	auditor := signIn(t, s, "carol", operator(t, s, "carol", account.RoleAuditor))
	user(t, s, "bob")
	lock(t, s, "bob")
	auditor.Get("user?id=bob")
	helpdesk.Get("user?id=bob")

	for _, tc := range []struct {
		name   string
		b      *servertest.Browser
		path   string
		form   url.Values
		status int
		// says is in the page's error.
		says string
	}{
		{"no CSRF token", helpdesk, "user/unlock", url.Values{"id": {"bob"}, "csrf": {""}}, http.StatusForbidden, "has expired"},
		{"a wrong CSRF token", helpdesk, "user/unlock", url.Values{"id": {"bob"}, "csrf": {"x" + helpdesk.CSRF}}, http.StatusForbidden, "has expired"},
		{"an auditor unlocking", auditor, "user/unlock", url.Values{"id": {"bob"}}, http.StatusForbidden, "Your role may not"},
		{"a helpdesk operator unlocking themselves", helpdesk, "user/unlock", url.Values{"id": {"alice"}}, http.StatusForbidden, "Your role may not"},
		{"a helpdesk operator logging themselves out", helpdesk, "user/logout", url.Values{"id": {"alice"}, "confirmed": {"yes"}}, http.StatusForbidden, "Your role may not"},
		{"a helpdesk operator unlocking an auditor", helpdesk, "user/unlock", url.Values{"id": {"carol"}}, http.StatusNotFound, "There is no such user"},
		{"a helpdesk operator deleting", helpdesk, "user/delete", url.Values{"id": {"bob"}, "confirmed": {"yes"}}, http.StatusForbidden, "Your role may not"},
		{"the override without a reason", helpdesk, "user/temp", url.Values{"id": {"bob"}, "days": {"1"}, "override": {"1"}, "confirmed": {"yes"}}, http.StatusBadRequest, "needs a reason"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := tc.b.Post(tc.path, tc.form)
			if status != tc.status || !strings.Contains(errorOf(body), tc.says) {
				t.Fatalf("answered %d, want %d and %q: %s", status, tc.status, tc.says, errorOf(body))
			}
		})
	}
	if !detail(t, s, "bob").Locked {
		t.Error("bob was unlocked")
	}
	if _, body := auditor.Get("user?id=bob"); strings.Contains(body, `id="do-unlock"`) {
		t.Error("an auditor is offered the unlock")
	}
	// Operators are hidden from the help desk as users who are not
	// there: not even their existence is told.
	for _, id := range []string{"admin", "carol", "nobody"} {
		if status, body := helpdesk.Get("user?id=" + id); status != http.StatusNotFound || !strings.Contains(errorOf(body), "There is no such user") {
			t.Errorf("a helpdesk operator opened %s's page: %d %s", id, status, errorOf(body))
		}
	}
}

// A console session whose operator's password changed is worth nothing:
// the next request, a page or a form, goes back to the sign-in.
func TestSessionEndsWithThePassword(t *testing.T) {
	s := start(t)
	b := signIn(t, s, "alice", operator(t, s, "alice", account.RoleHelpdesk))
	user(t, s, "bob")
	lock(t, s, "bob")
	b.Get("user?id=bob")
	if _, err := s.Accounts.SetPassword(context.Background(), account.Admin, account.ByAdmin("alice"), []byte("another-pass"),
		account.Profile{}); err != nil {
		t.Fatal(err)
	}
	if status, body := b.Post("user/unlock", url.Values{"id": {"bob"}}); status != http.StatusUnauthorized || !strings.Contains(body, `id="signin-link"`) {
		t.Fatalf("the replayed form answered %d: %s", status, errorOf(body))
	}
	if !detail(t, s, "bob").Locked {
		t.Fatal("bob was unlocked")
	}
	if _, body := b.Get("users"); !strings.Contains(body, `id="signin"`) {
		t.Fatalf("the replayed session still shows the users: %s", body)
	}
}

// Only an operator's own second factor opens the console, and only an
// operator's.
func TestSignInRefused(t *testing.T) {
	s := start(t)
	operator(t, s, "alice", account.RoleHelpdesk)
	bob := user(t, s, "bob")
	tp, err := s.Accounts.IssueTempPasscode(context.Background(), account.Admin, account.ByAdmin("alice"), 1, 7)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, userID, passcode string
	}{
		{"a temporary passcode", "alice", tp.Code},
		{"a user without a console role", "bob", code(t, s, bob)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := open(t, s)
			if status, body := trySignIn(t, b, tc.userID, tc.passcode); status != http.StatusForbidden {
				t.Fatalf("answered %d: %s", status, errorOf(body))
			}
			if _, body := b.Get("users"); !strings.Contains(body, `id="signin"`) {
				t.Fatal("signed in after all")
			}
		})
	}
}

// Nothing of the console answers on the public listener.
func TestNotOnThePublicListener(t *testing.T) {
	s := start(t)
	for _, path := range []string{"/admin/", "/admin/users", "/admin/static/console.css"} {
		resp, err := http.Get("http://" + s.Addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s on the public listener: %d", path, resp.StatusCode)
		}
	}
	resp, err := http.Get(s.AdminURL + "/admin/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the console on the admin listener: %d", resp.StatusCode)
	}
}
