package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/postgres"
	"github.com/softtoken/softtoken/server/store"
)

// A write transaction whose context ends between two of its statements
// (a client that hangs up, the store's own timeout) must not leave its
// connection idle in the pool inside the open transaction: the rows it
// locked (a user's, the audit chain's head) would stay locked for every
// other node until this pool happens to hand the connection out again.
// database/sql's Tx rolls back (and drops the connection) when its
// context ends; the pipelined transaction must too.
func TestAttackCancelBetweenStatements(t *testing.T) {
	b := backends[1]
	if b.name != "postgres" {
		t.Fatal("backends changed")
	}
	bg := context.Background()
	for _, tc := range []struct {
		name string
		// abandon runs in node A's transaction; cancel is the client
		// hanging up.
		abandon func(tx store.Tx, cancel func()) error
		// then is node B's transaction, which must not wait for A's.
		then func(tx store.Tx) error
	}{
		{"the user's row, cancelled before the next statement",
			func(tx store.Tx, cancel func()) error {
				if _, err := tx.UserByUserID("alice"); err != nil { // locks alice's row
					return err
				}
				cancel()
				return tx.Audit(store.AuditEvent{UserID: "alice", Event: "test", Outcome: "ok"})
			},
			func(tx store.Tx) error {
				u, err := tx.UserByUserID("alice")
				if err != nil {
					return err
				}
				return tx.ResetFailures(u.ID)
			}},
		{"the audit's head, cancelled before the COMMIT",
			func(tx store.Tx, cancel func()) error {
				if err := tx.Audit(store.AuditEvent{UserID: "alice", Event: "test", Outcome: "ok"}); err != nil { // locks the head
					return err
				}
				cancel()
				return nil
			},
			func(tx store.Tx) error {
				return tx.Audit(store.AuditEvent{UserID: "bob", Event: "test", Outcome: "ok"})
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nodeA, where := openDB(t, b)
			nodeB, err := postgres.Open(bg, where)
			if err != nil {
				t.Fatal(err)
			}
			defer nodeB.Close()
			if err := nodeA.Update(bg, func(tx store.Tx) error {
				_, err := tx.CreateUser(store.User{UserID: "alice", PassHash: "x", Active: true})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(bg)
			defer cancel()
			err = nodeA.Update(ctx, func(tx store.Tx) error { return tc.abandon(tx, cancel) })
			if err == nil {
				t.Fatal("the cancelled transaction committed")
			}
			t.Logf("node A's cancelled transaction: %v", err)
			wait, stop := context.WithTimeout(bg, 3*time.Second)
			defer stop()
			start := time.Now()
			if err := nodeB.Update(wait, tc.then); err != nil {
				t.Errorf("node B's transaction after %v: %v (still locked by node A's abandoned transaction)", time.Since(start).Round(time.Millisecond), err)
			}
		})
	}
}
