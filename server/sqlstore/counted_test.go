package sqlstore_test

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/sqlstore"
	"github.com/softtoken/softtoken/server/store"
)

// trips counts round trips by kind, safely from many goroutines.
type trips struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *trips) count(kind string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[kind]++
}

// since returns the counts and starts again from zero.
func (c *trips) since() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.n
	c.n = map[string]int{}
	return out
}

// Every round trip the store makes is counted once, by kind: a write
// transaction of one statement is a begin, the statement and a commit; a
// failed one a rollback; a read outside a transaction one query; Ready
// one query.
func TestRoundTripsCounted(t *testing.T) { onEach(t, testRoundTripsCounted) }

func testRoundTripsCounted(t *testing.T, b backend) {
	c := &trips{n: map[string]int{}}
	db, err := b.open(context.Background(), b.where(t), sqlstore.WithRoundTrips(c.count))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if c.since()[sqlstore.TripExec] == 0 {
		t.Error("the migrations' statements were not counted")
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		run  func() error
		want map[string]int
	}{
		{"a write", func() error {
			return db.Update(ctx, func(tx store.Tx) error {
				_, err := tx.CreateUser(store.User{UserID: "alice", PassHash: "x"})
				return err
			})
		}, map[string]int{sqlstore.TripBegin: 1, sqlstore.TripQuery: 1, sqlstore.TripCommit: 1}},
		{"a write that fails", func() error {
			db.Update(ctx, func(tx store.Tx) error {
				_, err := tx.CreateUser(store.User{UserID: "alice", PassHash: "x"})
				return err
			})
			return nil
		}, map[string]int{sqlstore.TripBegin: 1, sqlstore.TripQuery: 1, sqlstore.TripRollback: 1}},
		{"a read", func() error {
			return db.View(ctx, func(tx store.ReadTx) error { _, err := tx.UserByUserID("alice"); return err })
		}, map[string]int{sqlstore.TripQuery: 1}},
	} {
		if err := tc.run(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := c.since(); !maps.Equal(got, tc.want) {
			t.Errorf("%s: round trips %v, want %v", tc.name, got, tc.want)
		}
	}
}

// WithPool sizes the pool under the store.
func TestPoolApplied(t *testing.T) { onEach(t, testPoolApplied) }

func testPoolApplied(t *testing.T, b backend) {
	p := sqlstore.Pool{MaxOpen: 3, MaxIdle: 2, MaxLifetime: time.Minute, MaxIdleTime: time.Second}
	db, err := b.open(context.Background(), b.where(t), sqlstore.WithPool(p))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := db.Handle().Stats().MaxOpenConnections; got != p.MaxOpen {
		t.Errorf("the pool's largest size is %d, want %d", got, p.MaxOpen)
	}
}
