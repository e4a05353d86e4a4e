package adminapi_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/account"
)

// An admin key provisions and retires a user: the secrets made for them
// are answered once and never a hash or a seed; the rules' refusals come
// back with their codes.
func TestAdminKeyProvisionsAUser(t *testing.T) {
	f := start(t)
	key := f.key("provision", account.RoleAdmin)
	add := f.call("POST", "/api/v1/users", key, `{"userid": "newbie", "firm": "ACME", "email": "newbie@example.com", "initial_passcode": true}`).must(t, 201)
	if len(add.str("password")) < 20 || !regexp.MustCompile(`^[0-9]{6}$`).MatchString(add.str("initial_passcode")) {
		t.Fatalf("POST /users answered %s", add.raw)
	}
	for _, secret := range []string{"hash", "seed", "argon", "$"} {
		if strings.Contains(strings.ToLower(add.raw), secret) {
			t.Errorf("POST /users answered %q: %s", secret, add.raw)
		}
	}
	if u, _ := add.body["user"].(map[string]any); u["must_change_password"] != true || u["firm"] != "ACME" {
		t.Errorf("the new user: %s", add.raw)
	}
	if got := f.call("POST", "/api/v1/users", key, `{"userid": "NEWBIE"}`); got.status != 409 || got.code() != "user_exists" {
		t.Errorf("the same user again: %d %s", got.status, got.raw)
	}
	if got := f.call("POST", "/api/v1/users", key, `{"userid": "weak", "password": "short"}`); got.status != 400 || got.code() != "weak_password" {
		t.Errorf("a weak password: %d %s", got.status, got.raw)
	}
	if got := f.call("GET", "/api/v1/users?unenrolled=true&firm=acme", key, "").must(t, 200); !strings.Contains(got.raw, `"userid":"newbie"`) {
		t.Errorf("unenrolled=true&firm=acme: %s", got.raw)
	}

	again := f.call("POST", "/api/v1/users/newbie/initial-passcode", key, "").must(t, 200)
	if again.str("initial_passcode") == "" || again.str("initial_passcode") == add.str("initial_passcode") || again.str("mail") == "" {
		t.Errorf("initial-passcode answered %s", again.raw)
	}
	f.call("POST", "/api/v1/users/newbie/phone", key, `{"phone": "+447700900123"}`).must(t, 200)
	if got := f.call("POST", "/api/v1/users/newbie/phone", key, `{"phone": "12"}`); got.status != 400 || got.code() != "bad_phone" {
		t.Errorf("a bad number: %d %s", got.status, got.raw)
	}
	f.call("POST", "/api/v1/users/newbie/disable", key, "").must(t, 200)
	if got := f.call("GET", "/api/v1/users?disabled=true", key, "").must(t, 200); !strings.Contains(got.raw, `"userid":"newbie"`) {
		t.Errorf("disabled=true: %s", got.raw)
	}
	f.call("POST", "/api/v1/users/newbie/enable", key, `{}`).must(t, 200)
	reset := f.call("POST", "/api/v1/users/newbie/reset", key, "").must(t, 200)
	if reset.str("password") == "" || reset.str("password") == add.str("password") || reset.str("initial_passcode") == "" {
		t.Errorf("reset answered %s", reset.raw)
	}
	f.call("DELETE", "/api/v1/users/newbie", key, "").must(t, 200)
	if _, err := f.acct.User(context.Background(), account.CommandLine, "newbie"); err == nil {
		t.Error("the deleted user is still there")
	}
	if got := f.call("DELETE", "/api/v1/users/newbie", key, ""); got.status != 404 || got.code() != "no_such_user" {
		t.Errorf("deleted twice: %d %s", got.status, got.raw)
	}
}

// A helpdesk key overrides the 30-day rule only with a reason, which the
// audit keeps; a second temporary passcode without it is too soon; a new
// initial passcode for an enrolled user is refused.
func TestHelpdeskKeyConflicts(t *testing.T) {
	f := start(t)
	key := f.key("desk", account.RoleHelpdesk)
	f.seeded("trader")
	f.call("POST", "/api/v1/users/trader/temp-passcode", key, `{"days": 1}`).must(t, 200)
	if got := f.call("POST", "/api/v1/users/trader/temp-passcode", key, `{"days": 1}`); got.status != 409 || got.code() != "too_soon" {
		t.Errorf("a second temporary passcode: %d %s", got.status, got.raw)
	}
	if got := f.call("POST", "/api/v1/users/trader/temp-passcode", key, `{"days": 1, "override_30_days": true}`); got.status != 403 {
		t.Errorf("an override without a reason: %d %s", got.status, got.raw)
	}
	f.call("POST", "/api/v1/users/trader/temp-passcode", key, `{"days": 1, "override_30_days": true, "reason": "ticket 4711, ID checked"}`).must(t, 200)
	if got := f.call("POST", "/api/v1/users/trader/temp-passcode", key, `{"days": 99}`); got.status != 400 || got.code() != "bad_days" {
		t.Errorf("99 days: %d %s", got.status, got.raw)
	}
	if got := f.call("POST", "/api/v1/users/trader/initial-passcode", key, ""); got.status != 409 || got.code() != "already_enrolled" {
		t.Errorf("initial-passcode for an enrolled user: %d %s", got.status, got.raw)
	}
	found := false
	for _, e := range f.audit("trader") {
		found = found || strings.Contains(e.Detail, "ticket 4711") && strings.Contains(e.Detail, "by helpdesk API key desk")
	}
	if !found {
		t.Error("the override's reason and the key are not in the audit")
	}
}
