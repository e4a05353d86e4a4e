package sqlstore_test

import (
	"context"
	"database/sql"
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

// Every round trip the store makes is counted once, by kind. On SQLite a
// write transaction of one statement is a begin, the statement and a
// commit; a failed one a rollback. On PostgreSQL write transactions are
// pipelined (pipeline.go): BEGIN goes with the first statement, and the
// writes nothing reads the answer of (an audit record's link, a reset)
// go with the commit. A read outside a transaction is one query; Ready
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
	const (
		begin, query, exec = sqlstore.TripBegin, sqlstore.TripQuery, sqlstore.TripExec
		commit, rollback   = sqlstore.TripCommit, sqlstore.TripRollback
		batch              = sqlstore.TripBatch
	)
	var alice int64
	for _, tc := range []struct {
		name       string
		run        func() error
		sqlite, pg map[string]int
	}{
		{"a write", func() error {
			return db.Update(ctx, func(tx store.Tx) error {
				u, err := tx.CreateUser(store.User{UserID: "alice", PassHash: "x"})
				alice = u.ID
				return err
			})
		}, map[string]int{begin: 1, query: 1, commit: 1}, map[string]int{batch: 2}},
		{"a write that fails", func() error {
			db.Update(ctx, func(tx store.Tx) error {
				_, err := tx.CreateUser(store.User{UserID: "alice", PassHash: "x"})
				return err
			})
			return nil
		}, map[string]int{begin: 1, query: 1, rollback: 1}, map[string]int{batch: 2}},
		{"a read, a reset and an audit record", func() error {
			return db.Update(ctx, func(tx store.Tx) error {
				if _, err := tx.UserByID(alice); err != nil {
					return err
				}
				if err := tx.ResetFailures(alice); err != nil {
					return err
				}
				return tx.Audit(store.AuditEvent{UserID: "alice", Event: "test", Outcome: "ok"})
			})
		}, map[string]int{begin: 1, query: 2, exec: 3, commit: 1},
			map[string]int{batch: 3}}, // BEGIN and the read; the reset and the head's read; the link, the head's move and COMMIT
		{"nothing", func() error {
			return db.Update(ctx, func(tx store.Tx) error { return nil })
		}, map[string]int{begin: 1, commit: 1}, map[string]int{}},
		{"a read", func() error {
			return db.View(ctx, func(tx store.ReadTx) error { _, err := tx.UserByUserID("alice"); return err })
		}, map[string]int{query: 1}, map[string]int{query: 1}},
	} {
		if err := tc.run(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := tc.sqlite
		if b.name == "postgres" {
			want = tc.pg
		}
		if got := c.since(); !maps.Equal(got, want) {
			t.Errorf("%s: round trips %v, want %v", tc.name, got, want)
		}
	}
}

// WithPool sizes the pool under the store: each setting shows in the
// pool's statistics after a few reads (the idle time is enforced by
// database/sql's cleaner, which runs once a second at the most often).
func TestPoolApplied(t *testing.T) { onEach(t, testPoolApplied) }

func testPoolApplied(t *testing.T, b backend) {
	for _, tc := range []struct {
		name  string
		pool  sqlstore.Pool
		holds func(s sql.DBStats) bool
	}{
		{"max open", sqlstore.Pool{MaxOpen: 3, MaxIdle: 2}, func(s sql.DBStats) bool { return s.MaxOpenConnections == 3 }},
		{"max idle", sqlstore.Pool{MaxOpen: 3, MaxIdle: 0}, func(s sql.DBStats) bool { return s.MaxIdleClosed > 0 }},
		{"lifetime", sqlstore.Pool{MaxIdle: 2, MaxLifetime: time.Millisecond}, func(s sql.DBStats) bool { return s.MaxLifetimeClosed > 0 }},
		{"idle time", sqlstore.Pool{MaxIdle: 2, MaxIdleTime: time.Millisecond}, func(s sql.DBStats) bool { return s.MaxIdleTimeClosed > 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := b.open(context.Background(), b.where(t), sqlstore.WithPool(tc.pool))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for deadline := time.Now().Add(5 * time.Second); !tc.holds(db.Handle().Stats()) && time.Now().Before(deadline); {
				if err := db.Ready(context.Background()); err != nil {
					t.Fatal(err)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if s := db.Handle().Stats(); !tc.holds(s) {
				t.Errorf("pool %+v: statistics %+v", tc.pool, s)
			}
		})
	}
}
