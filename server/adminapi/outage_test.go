package adminapi_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/store"
)

// down is a store whose database cannot be reached while down is set, as
// the store's dialect reports it (store.ErrUnavailable, with the driver's
// words, which name the database's address).
type down struct {
	store.Store
	down atomic.Bool
}

func (d *down) fail() error {
	if d.down.Load() {
		return fmt.Errorf("%w: dial tcp 10.9.8.7:5432: connect: connection refused", store.ErrUnavailable)
	}
	return nil
}

func (d *down) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := d.fail(); err != nil {
		return err
	}
	return d.Store.Update(ctx, fn)
}

func (d *down) View(ctx context.Context, fn func(store.ReadTx) error) error {
	if err := d.fail(); err != nil {
		return err
	}
	return d.Store.View(ctx, fn)
}

// While the database cannot be reached the API answers 503 with the code
// "unavailable" (docs/api.md), and tells nothing of the database.
func TestDatabaseOutageIs503(t *testing.T) {
	st := &down{}
	f := startWith(t, func(s store.Store) store.Store { st.Store = s; return st })
	key := f.key("admin-script", account.RoleAdmin)
	f.seeded("trader")
	st.down.Store(true)
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v1/users/trader", ""},
		{"POST", "/api/v1/users/trader/disable", ""},
		{"POST", "/api/v1/users", `{"userid": "newbie"}`},
	} {
		got := f.call(c.method, c.path, key, c.body)
		if got.status != 503 || got.code() != "unavailable" || strings.Contains(got.raw, "10.9.8.7") || got.header.Get("Retry-After") == "" {
			t.Errorf("%s %s during an outage: %d %s, want 503 unavailable with a Retry-After", c.method, c.path, got.status, got.raw)
		}
	}
	st.down.Store(false)
	f.call("GET", "/api/v1/users/trader", key, "").must(t, 200)
}
