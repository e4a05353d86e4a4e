package adminapi_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/wire"
)

// The done-when of issue 24 for scripts: a helpdesk key unlocks a locked
// user, issues a temporary passcode that then verifies over the
// websocket, and logs a user out; each change is in the audit under the
// key's name, as the API shows it to an auditor's key and as the admin
// command line reads it.
func TestHelpdeskKeyRecoversAUser(t *testing.T) {
	f := start(t)
	desk, auditor := f.cliKey("desk-script", account.RoleHelpdesk), f.cliKey("audit-script", account.RoleAuditor)
	tok := f.seeded("trader")
	for range 10 {
		f.Verify("trader", "trader-pass", "000000")
	}
	got := f.call("GET", "/api/v1/users/trader", desk, "").must(t, 200)
	if u, _ := got.body["user"].(map[string]any); u["locked"] != true || u["locked_until"] == nil {
		t.Fatalf("after 10 wrong passcodes the API shows %s", got.raw)
	}
	if got := f.call("GET", "/api/v1/users?locked=true", desk, "").must(t, 200); !strings.Contains(got.raw, `"userid":"trader"`) {
		t.Fatalf("locked=true does not list the locked user: %s", got.raw)
	}

	f.call("POST", "/api/v1/users/trader/unlock", desk, "").must(t, 200)
	temp := f.call("POST", "/api/v1/users/trader/temp-passcode", desk, `{"days": 2}`).must(t, 200)
	code := temp.str("temporary_passcode")
	if code == "" || !strings.HasSuffix(temp.str("expires"), "Z") {
		t.Fatalf("temp-passcode answered %s", temp.raw)
	}
	if got := f.Verify("trader", "trader-pass", code); got != wire.ResultOK {
		t.Fatalf("the temporary passcode from the API does not verify: %s", got)
	}

	f.Clock.Advance(time.Minute)
	c := f.Dial()
	defer c.Close()
	if r := c.Login("trader", "trader-pass", f.code(tok)); r.Result != wire.ResultOK {
		t.Fatalf("login: %+v", r)
	}
	if got := f.call("GET", "/api/v1/sessions", desk, "").must(t, 200); !strings.Contains(got.raw, `"userid":"trader"`) {
		t.Fatalf("the session does not show: %s", got.raw)
	}
	f.call("POST", "/api/v1/users/trader/logout", desk, "").must(t, 200)
	if got := f.call("POST", "/api/v1/users/trader/logout", desk, ""); got.status != 409 || got.code() != "no_session" {
		t.Fatalf("a second logout: %d %s", got.status, got.raw)
	}

	want := []string{"user unlock", "temporary passcode", "user logout"}
	byAPI := f.call("GET", "/api/v1/audit?user=trader&outcome=ok", auditor, "").must(t, 200)
	for _, name := range want {
		if !auditedBy(byAPI.raw, name, "by helpdesk API key desk-script") {
			t.Errorf("GET /audit has no %q by the key: %s", name, byAPI.raw)
		}
	}
	var names []string
	for _, e := range f.audit("trader") {
		if strings.Contains(e.Detail, "by helpdesk API key desk-script") && e.Code == account.CodeOK {
			names = append(names, e.Event)
		}
	}
	for _, name := range want {
		if !slices.Contains(names, name) {
			t.Errorf("the audit has no %q by the key (it has %v)", name, names)
		}
	}
	if strings.Contains(byAPI.raw, code) {
		t.Error("the audit shows the temporary passcode")
	}
}

// auditedBy reports whether the JSON of GET /audit holds a record of the
// event name whose detail names by.
func auditedBy(raw, name, by string) bool {
	for _, rec := range strings.Split(raw, "},{") {
		if strings.Contains(rec, fmt.Sprintf(`"event":%q`, name)) && strings.Contains(rec, by) {
			return true
		}
	}
	return false
}
