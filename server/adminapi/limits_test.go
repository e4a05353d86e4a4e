package adminapi_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/adminapi"
)

// A key over its rate is answered 429 with Retry-After, and another key
// is not held back by it.
func TestKeyRateLimit(t *testing.T) {
	f := start(t)
	busy, other := f.key("busy", account.RoleAuditor), f.key("other", account.RoleAuditor)
	for range adminapi.DefaultKeyRate.Burst {
		f.call("GET", "/api/v1/sessions", busy, "").must(t, 200)
	}
	got := f.call("GET", "/api/v1/sessions", busy, "")
	if got.status != 429 || got.code() != "rate_limited" || got.header.Get("Retry-After") == "" {
		t.Fatalf("over the rate: %d %v %s", got.status, got.header, got.raw)
	}
	f.call("GET", "/api/v1/sessions", other, "").must(t, 200)
	f.Clock.Advance(time.Minute)
	f.call("GET", "/api/v1/sessions", busy, "").must(t, 200)
}

// Bad keys from one address are limited: once over the rate, the address
// is answered 429 without its keys being looked up, a good key too,
// until Retry-After has passed.
func TestBadKeysFromOneAddressAreLimited(t *testing.T) {
	f := start(t)
	good := f.key("good", account.RoleAuditor)
	wrong := "stk_" + strings.Repeat("B", 43)
	for range adminapi.DefaultBadKeyRate.Burst {
		f.call("GET", "/api/v1/users", wrong, "").must(t, 401)
	}
	got := f.call("GET", "/api/v1/users", wrong, "").must(t, 429)
	wait, err := strconv.Atoi(got.header.Get("Retry-After"))
	if err != nil || wait < 1 || got.code() != "rate_limited" {
		t.Fatalf("Retry-After %q: %s", got.header.Get("Retry-After"), got.raw)
	}
	f.call("GET", "/api/v1/users", good, "").must(t, 429)
	f.call("GET", "/api/v1/users", "", "").must(t, 429)
	f.Clock.Advance(time.Duration(wait) * time.Second)
	f.call("GET", "/api/v1/users", good, "").must(t, 200)
}

// Nothing under /api/v1/ answers on the public listener, with a key or
// without; on the admin listener, a path or method the API does not have
// is answered in JSON.
func TestAPIOnlyOnTheAdminListener(t *testing.T) {
	f := start(t)
	key := f.key("admin-script", account.RoleAdmin)
	f.seeded("trader")
	public := "http://" + f.Addr
	for _, p := range []struct{ method, path string }{
		{"GET", "/api/v1/users"}, {"GET", "/api/v1/users/trader"}, {"POST", "/api/v1/users/trader/unlock"},
		{"DELETE", "/api/v1/users/trader"}, {"GET", "/api/v1/audit"}, {"GET", "/api/v1/openapi.json"}, {"GET", "/api/v1/"},
	} {
		for _, auth := range []bool{false, true} {
			got := f.callAt(public, p.method, p.path, "Bearer "+key, "", auth)
			if got.status != http.StatusNotFound || strings.Contains(got.raw, "trader") || strings.Contains(got.raw, "openapi") {
				t.Errorf("public %s %s: %d %s", p.method, p.path, got.status, got.raw)
			}
		}
	}
	f.call("GET", "/api/v1/users/trader", key, "").must(t, 200)
	if got := f.call("PUT", "/api/v1/users", key, `{}`).must(t, 405); got.header.Get("Allow") != "GET, POST" || got.code() != "method_not_allowed" {
		t.Errorf("PUT /users: %v %s", got.header, got.raw)
	}
	if got := f.call("GET", "/api/v1/nothing", key, "").must(t, 404); got.code() != "not_found" {
		t.Errorf("GET /nothing: %s", got.raw)
	}
	if got := f.call("GET", "/api/v1/nothing", "", "").must(t, 401); got.code() != "unauthorized" {
		t.Errorf("GET /nothing without a key: %s", got.raw)
	}
	if got := f.call("GET", "/api/v1/users/nobody", key, "").must(t, 404); got.code() != "no_such_user" {
		t.Errorf("GET /users/nobody: %s", got.raw)
	}
}
