package adminapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/store"
)

// What a key's role does not allow is refused with 403, and nothing
// changes: the rules decide, in the change's own transaction.
func TestRolesRefuseWhatTheyMayNotDo(t *testing.T) {
	f := start(t)
	keys := map[account.Role]string{account.RoleHelpdesk: f.key("desk", account.RoleHelpdesk), account.RoleAuditor: f.key("audit", account.RoleAuditor)}
	f.seeded("trader")
	f.operator("ops", account.RoleHelpdesk)
	for _, c := range []struct {
		name         string
		role         account.Role
		method, path string
		body         string
	}{
		{"helpdesk deletes a user", account.RoleHelpdesk, "DELETE", "/api/v1/users/trader", ""},
		{"helpdesk resets a user", account.RoleHelpdesk, "POST", "/api/v1/users/trader/reset", ""},
		{"helpdesk disables a user", account.RoleHelpdesk, "POST", "/api/v1/users/trader/disable", ""},
		{"helpdesk adds a user", account.RoleHelpdesk, "POST", "/api/v1/users", `{"userid": "mallory", "console_role": "admin"}`},
		{"auditor unlocks", account.RoleAuditor, "POST", "/api/v1/users/trader/unlock", ""},
		{"auditor issues a temporary passcode", account.RoleAuditor, "POST", "/api/v1/users/trader/temp-passcode", `{"days": 1}`},
		{"auditor logs out", account.RoleAuditor, "POST", "/api/v1/users/trader/logout", ""},
		{"auditor sets a number", account.RoleAuditor, "POST", "/api/v1/users/trader/phone", `{"phone": "+447700900123"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := f.call(c.method, c.path, keys[c.role], c.body)
			if got.status != http.StatusForbidden || got.code() != "not_allowed" {
				t.Fatalf("%s %s by a %s key: %d %s", c.method, c.path, c.role, got.status, got.raw)
			}
		})
	}
	// Operators and administrators are hidden from the help desk as users
	// who are not there, in the same words: not even their existence is
	// told.
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/v1/users/admin"}, {"GET", "/api/v1/users/ops"}, {"POST", "/api/v1/users/ops/unlock"}, {"GET", "/api/v1/users/nobody"},
	} {
		got := f.call(c.method, c.path, keys[account.RoleHelpdesk], "")
		if got.status != http.StatusNotFound || got.code() != "no_such_user" {
			t.Errorf("%s %s by a helpdesk key: %d %s", c.method, c.path, got.status, got.raw)
		}
	}
	u, err := f.acct.User(context.Background(), account.CommandLine, "trader")
	if err != nil || !u.Active || u.TokenSerial == "" || u.Phone != "" {
		t.Fatalf("trader changed: %+v, %v", u, err)
	}
	if _, err := f.acct.User(context.Background(), account.CommandLine, "mallory"); err == nil {
		t.Fatal("a helpdesk key added a user")
	}
	list := f.call("GET", "/api/v1/users", keys[account.RoleHelpdesk], "").must(t, 200)
	if strings.Contains(list.raw, `"userid":"ops"`) || strings.Contains(list.raw, `"userid":"admin"`) || !strings.Contains(list.raw, `"userid":"trader"`) {
		t.Fatalf("a helpdesk key lists %s", list.raw)
	}
}

// A key revoked while a script uses it is refused at its next request.
func TestKeyRevokedMidUse(t *testing.T) {
	f := start(t)
	key := f.cliKey("nightly", account.RoleAdmin)
	f.call("GET", "/api/v1/users", key, "").must(t, 200)
	f.Admin("", "apikey", "revoke", "nightly")
	got := f.call("GET", "/api/v1/users", key, "")
	if got.status != 401 || got.code() != "bad_key" || !strings.HasPrefix(got.header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("a revoked key: %d %v %s", got.status, got.header, got.raw)
	}
}

// No key, a wrong key, a key without the stk_ prefix, or another scheme:
// 401 with WWW-Authenticate: Bearer, and the message holds no key.
func TestBadKeysAreRefused(t *testing.T) {
	f := start(t)
	good := f.key("good", account.RoleAdmin)
	for _, c := range []struct {
		name, auth string
		send       bool
		code       string
	}{
		{"no header", "", false, "unauthorized"},
		{"empty bearer", "Bearer ", true, "unauthorized"},
		{"wrong key", "Bearer stk_" + strings.Repeat("A", 43), true, "bad_key"},
		{"no prefix", "Bearer " + strings.TrimPrefix(good, "stk_"), true, "bad_key"},
		{"basic scheme", "Basic " + good, true, "unauthorized"},
		{"key one character off", "Bearer " + good[:len(good)-1] + "x", true, "bad_key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := f.callAt(f.AdminURL, "GET", "/api/v1/users", c.auth, "", c.send)
			if got.status != 401 || got.code() != c.code || !strings.HasPrefix(got.header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("%d %v %s", got.status, got.header, got.raw)
			}
			if strings.Contains(got.raw, "stk_") || strings.Contains(got.raw, "AAAA") {
				t.Fatalf("the answer repeats the key: %s", got.raw)
			}
		})
	}
}

// Bodies and query strings outside what an endpoint takes are refused
// with 400 bad_request, before the rules are asked.
func TestBadInputIsRefused(t *testing.T) {
	f := start(t)
	key := f.key("admin-script", account.RoleAdmin)
	f.seeded("trader")
	for _, c := range []struct {
		name, method, path, body, contentType string
	}{
		{"not JSON", "POST", "/api/v1/users/trader/temp-passcode", `days=2`, "application/json"},
		{"unknown field", "POST", "/api/v1/users/trader/temp-passcode", `{"days": 2, "override": true}`, "application/json"},
		{"two objects", "POST", "/api/v1/users/trader/temp-passcode", `{"days": 2}{"days": 3}`, "application/json"},
		{"an array", "POST", "/api/v1/users/trader/phone", `[{"phone": "+447700900123"}]`, "application/json"},
		{"null", "POST", "/api/v1/users/trader/phone", `null`, "application/json"},
		{"wrong type", "POST", "/api/v1/users/trader/temp-passcode", `{"days": "2"}`, "application/json"},
		{"no body where one is needed", "POST", "/api/v1/users/trader/temp-passcode", ``, "application/json"},
		{"form", "POST", "/api/v1/users/trader/phone", `{"phone": "+447700900123"}`, "application/x-www-form-urlencoded"},
		{"a body to an action without one", "POST", "/api/v1/users/trader/unlock", `{"force": true}`, "application/json"},
		{"over 64 KiB", "POST", "/api/v1/users", `{"userid": "x", "roles": "` + strings.Repeat("r", 70<<10) + `"}`, "application/json"},
		{"reason without override", "POST", "/api/v1/users/trader/temp-passcode", `{"days": 1, "reason": "x"}`, "application/json"},
		{"locked=yes", "GET", "/api/v1/users?locked=yes", "", ""},
		{"unknown filter", "GET", "/api/v1/users?admin=true", "", ""},
		{"filter twice", "GET", "/api/v1/users?firm=a&firm=b", "", ""},
		{"since not RFC 3339", "GET", "/api/v1/audit?since=yesterday", "", ""},
		{"limit 0", "GET", "/api/v1/audit?limit=0", "", ""},
		{"limit too high", "GET", "/api/v1/audit?limit=1000000", "", ""},
		{"outcome not a code", "GET", "/api/v1/audit?outcome=OK%27--", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, f.AdminURL+c.path, strings.NewReader(c.body))
			req.Header.Set("Authorization", "Bearer "+key)
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			got := f.do(req)
			if got.status != 400 || got.code() != "bad_request" {
				t.Fatalf("%d %s", got.status, got.raw)
			}
		})
	}
	if u, _ := f.acct.User(context.Background(), account.CommandLine, "trader"); u.Phone != "" {
		t.Fatalf("a refused body changed the user: %+v", u)
	}
}

// A failure of the server is answered 500 internal, and its words (the
// database's error) stay in the log; the change rolled back.
func TestInternalErrorsSayNothing(t *testing.T) {
	faults := &servertest.Faults{}
	f := startWith(t, func(st store.Store) store.Store { faults.Store = st; return faults })
	key := f.key("admin-script", account.RoleAdmin)
	f.seeded("trader")
	faults.Arm(1)
	got := f.call("POST", "/api/v1/users/trader/disable", key, "")
	if got.status != 500 || got.code() != "internal" || got.body["error"].(map[string]any)["message"] != "internal error" {
		t.Fatalf("a store failure: %d %s", got.status, got.raw)
	}
	if faults.Failed() == "" || strings.Contains(got.raw, "injected") {
		t.Fatalf("failed %q, answered %s", faults.Failed(), got.raw)
	}
	if u, _ := f.acct.User(context.Background(), account.CommandLine, "trader"); !u.Active {
		t.Fatal("the failed change stands")
	}
}
