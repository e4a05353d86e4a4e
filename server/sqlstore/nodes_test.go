package sqlstore_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/sqlstore"
	"github.com/softtoken/softtoken/server/store"
)

// The tests here open one database twice, as two server nodes do, and race
// them: what SQLite's single writer decides by itself, PostgreSQL decides
// only because the statements are conditional or lock their rows.

// nodes opens the database at where n times, each with the test's audit key.
func nodes(t *testing.T, b backend, where string, n int) []*sqlstore.DB {
	t.Helper()
	out := make([]*sqlstore.DB, n)
	for i := range out {
		out[i] = openKeyed(t, b, where)
	}
	return out
}

// Nodes started at once on a new database migrate it one at a time: all
// open, and the schema is current.
func TestNodesMigrateTogether(t *testing.T) { onEach(t, testNodesMigrateTogether) }

func testNodesMigrateTogether(t *testing.T, b backend) {
	where := b.where(t)
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			db, err := b.open(context.Background(), where)
			if err == nil {
				db.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a node failed to open a database others were migrating: %v", err)
		}
	}
	db := nodes(t, b, where, 1)[0]
	have, want, err := db.SchemaVersion(context.Background())
	if err != nil || have != want || want == 0 {
		t.Errorf("schema version %d of %d: %v", have, want, err)
	}
	if head, _ := walk(t, db); head.Seq != 0 || head.Began.IsZero() {
		t.Errorf("the chain began more than once, or not at all: %+v", head)
	}
}

// Appends from two nodes at once link one after the other: the chain
// verifies, with every record, and none is lost.
func TestNodesAppendOneChain(t *testing.T) { onEach(t, testNodesAppendOneChain) }

func testNodesAppendOneChain(t *testing.T, b backend) {
	dbs := nodes(t, b, b.where(t), 2)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 5 {
				err := dbs[i%2].Update(context.Background(), func(tx store.Tx) error {
					return tx.Audit(store.AuditEvent{UserID: "alice", Event: "login", Outcome: "OK"})
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if sum, err := verify(t, dbs[1], auditKey); err != nil || sum.Records != 40 {
		t.Errorf("after 40 appends from two nodes: %+v, %v", sum, err)
	}
}

// Of many holders on two nodes taking one user's lease at once, exactly
// one gets it; once it lapses, another takes it.
func TestNodesTakeOneLease(t *testing.T) { onEach(t, testNodesTakeOneLease) }

func testNodesTakeOneLease(t *testing.T, b backend) {
	dbs := nodes(t, b, b.where(t), 2)
	now := time.Unix(1_800_000_000, 0)
	take := func(db store.Store, holder string, at time.Time) (store.Lease, bool) {
		var l store.Lease
		var ok bool
		if err := db.Update(context.Background(), func(tx store.Tx) error {
			var err error
			l, ok, err = tx.TakeLease("Alice", holder, at.Add(time.Minute), at)
			return err
		}); err != nil {
			t.Error(err)
		}
		return l, ok
	}
	var took atomic.Int32
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			if _, ok := take(dbs[i%2], "node"+string(rune('a'+i)), now); ok {
				took.Add(1)
			}
		})
	}
	wg.Wait()
	if took.Load() != 1 {
		t.Fatalf("%d of 12 racing holders took one lease, want 1", took.Load())
	}
	if l, ok := take(dbs[0], "late", now.Add(30*time.Second)); ok || l.UserID == "" || l.Holder == "late" {
		t.Errorf("a held lease was taken, or its holder not told: %+v, %v", l, ok)
	}
	if _, ok := take(dbs[1], "late", now.Add(time.Minute)); !ok {
		t.Error("a lapsed lease was not taken")
	}
}

// Concurrent first-factor attempts from two nodes count one by one: the
// pair is blocked after exactly as many as the delay allows.
func TestNodesCountFirstFactors(t *testing.T) { onEach(t, testNodesCountFirstFactors) }

func testNodesCountFirstFactors(t *testing.T, b backend) {
	dbs := nodes(t, b, b.where(t), 2)
	now := time.Unix(1_800_000_000, 0)
	delay := func(n int) time.Duration {
		if n >= 3 {
			return time.Hour
		}
		return 0
	}
	reserve := func(db store.Store) bool {
		var ok bool
		if err := db.Update(context.Background(), func(tx store.Tx) error {
			var err error
			_, ok, err = tx.ReserveFirstFactor("ann", "10.0.0.1", now, delay)
			return err
		}); err != nil {
			t.Error(err)
		}
		return ok
	}
	// The first makes the pair's row; the others race to update it.
	if !reserve(dbs[0]) {
		t.Fatal("the first attempt was refused")
	}
	var granted atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			if reserve(dbs[i%2]) {
				granted.Add(1)
			}
		})
	}
	wg.Wait()
	if granted.Load() != 2 {
		t.Errorf("%d of 16 concurrent first factors granted after the first, want 2 before the block", granted.Load())
	}
}
