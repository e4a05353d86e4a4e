package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// A write transaction that its caller was told failed must not commit
// afterwards. In a pipelined transaction the COMMIT goes in the same
// batch as the writes that waited for it (pipeline.go); when one of those
// writes waits for a row another transaction holds and the caller's
// context ends meanwhile, the client gives up, but PostgreSQL has the
// COMMIT already and runs it once the row is free: the caller got an
// error for a transaction that then committed (here its audit record, a
// record of something the caller reports as not done). Before pipelining
// the database never had the COMMIT of a transaction whose statement was
// still waiting, and ended it when the connection closed.
func TestAttackCommitAfterFailure(t *testing.T) {
	b := backends[1]
	if b.name != "postgres" {
		t.Fatal("backends changed")
	}
	bg := context.Background()
	nodeA, nodeB := twoNodes(t)
	zero := func(int) time.Duration { return 0 }
	if err := nodeB.Update(bg, func(tx store.Tx) error { // the throttle's row, committed
		_, _, err := tx.ReserveFirstFactor("alice", "203.0.113.9", time.Now(), zero)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	release := holdThrottle(t, nodeB, "alice", "203.0.113.9")
	ctx, cancel := context.WithTimeout(bg, time.Second)
	defer cancel()
	err := nodeA.Update(ctx, func(tx store.Tx) error {
		if err := tx.Audit(store.AuditEvent{UserID: "alice", Event: "should not be", Outcome: "ok"}); err != nil {
			return err
		}
		return tx.RefundFirstFactor("alice", "203.0.113.9") // waits for node B's row, with the COMMIT
	})
	if err == nil {
		t.Fatal("node A's transaction committed while node B held the row")
	}
	t.Logf("node A's transaction: %v", err)
	if err := release(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // for node A's abandoned backend
	var found bool
	if err := nodeB.View(bg, func(tx store.ReadTx) error {
		evs, err := tx.AuditEvents(store.AuditFilter{UserID: "alice"})
		for _, e := range evs {
			found = found || e.Event == "should not be"
		}
		return err
	}); err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	if found {
		t.Error("the transaction node A was told failed committed afterwards: its audit record is there")
	}
}
