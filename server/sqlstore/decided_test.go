package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/postgres"
	"github.com/softtoken/softtoken/server/sqlstore"
	"github.com/softtoken/softtoken/server/store"
)

// ReserveAttempt and AcceptStep in a transaction that read, and so
// locked, the user's row are answered from that reading on PostgreSQL
// (throttle.go, tokens.go) and by their conditional statements on SQLite:
// both must give the same outcomes and leave the same rows, a write made
// in the transaction before them included.
func TestDecidedOnTheLockedRow(t *testing.T) { onEach(t, testDecidedOnTheLockedRow) }

func testDecidedOnTheLockedRow(t *testing.T, b backend) {
	ctx := context.Background()
	db, _ := openDB(t, b)
	now := time.Unix(1_800_000_000, 0)
	const max, lockFor = 3, 15 * time.Minute
	for _, tc := range []struct {
		name     string
		failures int
		locked   time.Time // locked_until before
		last     int64     // the token's last step; -2: no token
		// do runs after the user's row is read; it returns what the
		// outcome was.
		do      func(tx store.Tx, id int64) (any, error)
		want    any
		wantRow func(u store.User, tok store.Token) string // "" when right
	}{
		{name: "reserve: first failure", failures: 0, last: 5,
			do: func(tx store.Tx, id int64) (any, error) {
				a, ok, err := tx.ReserveAttempt(id, max, lockFor, now)
				return [2]any{a, ok}, err
			},
			want: [2]any{store.Attempt{Failures: 1}, true},
			wantRow: func(u store.User, _ store.Token) string {
				return check(u.Failures == 1 && u.LockedUntil.IsZero(), "failures %d, locked until %v", u.Failures, u.LockedUntil)
			}},
		{name: "reserve: the attempt that locks", failures: 2, last: 5,
			do: func(tx store.Tx, id int64) (any, error) {
				a, ok, err := tx.ReserveAttempt(id, max, lockFor, now)
				return [2]any{a, ok}, err
			},
			want: [2]any{store.Attempt{Failures: 3, LockedUntil: now.Add(lockFor)}, true},
			wantRow: func(u store.User, _ store.Token) string {
				return check(u.Failures == 3 && u.LockedUntil.Equal(now.Add(lockFor)), "failures %d, locked until %v", u.Failures, u.LockedUntil)
			}},
		{name: "reserve: locked", failures: 3, locked: now.Add(time.Minute), last: 5,
			do: func(tx store.Tx, id int64) (any, error) {
				a, ok, err := tx.ReserveAttempt(id, max, lockFor, now)
				return [2]any{a, ok}, err
			},
			want: [2]any{store.Attempt{Failures: 3, LockedUntil: now.Add(time.Minute)}, false},
			wantRow: func(u store.User, _ store.Token) string {
				return check(u.Failures == 3 && u.LockedUntil.Equal(now.Add(time.Minute)), "failures %d, locked until %v", u.Failures, u.LockedUntil)
			}},
		{name: "reserve: a lock that ends now", failures: 3, locked: now, last: 5,
			do: func(tx store.Tx, id int64) (any, error) {
				a, ok, err := tx.ReserveAttempt(id, max, lockFor, now)
				return [2]any{a, ok}, err
			},
			want: [2]any{store.Attempt{Failures: 4, LockedUntil: now.Add(lockFor)}, true},
			wantRow: func(u store.User, _ store.Token) string {
				return check(u.Failures == 4, "failures %d", u.Failures)
			}},
		{name: "reserve after a reset in the same transaction", failures: 2, last: 5,
			do: func(tx store.Tx, id int64) (any, error) {
				if err := tx.ResetFailures(id); err != nil {
					return nil, err
				}
				a, ok, err := tx.ReserveAttempt(id, max, lockFor, now)
				return [2]any{a, ok}, err
			},
			want: [2]any{store.Attempt{Failures: 1}, true},
			wantRow: func(u store.User, _ store.Token) string {
				return check(u.Failures == 1, "failures %d", u.Failures)
			}},
		{name: "accept: a later step", last: 5,
			do:   func(tx store.Tx, id int64) (any, error) { return tx.AcceptStep(id, 6, 1) },
			want: true,
			wantRow: func(_ store.User, tok store.Token) string {
				return check(tok.LastStep == 6 && tok.Drift == 1, "last step %d, drift %d", tok.LastStep, tok.Drift)
			}},
		{name: "accept: the same step again", last: 5,
			do:   func(tx store.Tx, id int64) (any, error) { return tx.AcceptStep(id, 5, 1) },
			want: false,
			wantRow: func(_ store.User, tok store.Token) string {
				return check(tok.LastStep == 5 && tok.Drift == 0, "last step %d, drift %d", tok.LastStep, tok.Drift)
			}},
		{name: "accept: an earlier step", last: 5,
			do:   func(tx store.Tx, id int64) (any, error) { return tx.AcceptStep(id, 4, 0) },
			want: false,
			wantRow: func(_ store.User, tok store.Token) string {
				return check(tok.LastStep == 5, "last step %d", tok.LastStep)
			}},
		{name: "accept: no token", last: -2,
			do:      func(tx store.Tx, id int64) (any, error) { return tx.AcceptStep(id, 6, 0) },
			want:    false,
			wantRow: func(store.User, store.Token) string { return "" }},
		{name: "accept twice in one transaction", last: 5,
			do: func(tx store.Tx, id int64) (any, error) {
				first, err := tx.AcceptStep(id, 6, 0)
				if err != nil {
					return nil, err
				}
				second, err := tx.AcceptStep(id, 6, 0)
				return [2]bool{first, second}, err
			},
			want: [2]bool{true, false},
			wantRow: func(_ store.User, tok store.Token) string {
				return check(tok.LastStep == 6, "last step %d", tok.LastStep)
			}},
		{name: "accept after a new token in the same transaction", last: 9,
			do: func(tx store.Tx, id int64) (any, error) {
				if err := tx.SetToken(id, store.Token{Serial: "S2", SealedSeed: []byte{4}, Algorithm: "SHA1", Digits: 6, Period: 30, LastStep: -1}); err != nil {
					return nil, err
				}
				return tx.AcceptStep(id, 3, 0)
			},
			want: true,
			wantRow: func(_ store.User, tok store.Token) string {
				return check(tok.Serial == "S2" && tok.LastStep == 3, "serial %s, last step %d", tok.Serial, tok.LastStep)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := makeUser(t, db, strings.ReplaceAll(tc.name, " ", "-"), tc.failures, tc.locked, tc.last)
			var got any
			if err := settling(t, db, id, func(tx store.Tx) error {
				if _, err := tx.UserByID(id); err != nil {
					return err
				}
				if _, err := tx.TokenOf(id); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				var err error
				got, err = tc.do(tx, id)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			var u store.User
			var tok store.Token
			if err := db.View(ctx, func(tx store.ReadTx) error {
				var err error
				if u, err = tx.UserByID(id); err != nil {
					return err
				}
				if tok, err = tx.TokenOf(id); errors.Is(err, store.ErrNotFound) {
					err = nil
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if msg := tc.wantRow(u, tok); msg != "" {
				t.Errorf("after the commit: %s", msg)
			}
		})
	}
}

// settling runs fn as a passcode's settling runs: in a session, begun
// with the COMMIT of the transaction before it (store.Tx.Then), its reads
// of the user's row, token (locked) and the audit's head gone ahead.
// Without a pipeline (SQLite) it is a transaction like another.
func settling(t *testing.T, db store.Store, id int64, fn func(tx store.Tx) error) error {
	t.Helper()
	ctx, end := store.Hold(context.Background())
	defer end()
	if err := db.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.UserByID(id); err != nil {
			return err
		}
		tx.Then(store.Ahead{User: id, LockToken: true, AuditHead: true})
		return nil
	}); err != nil {
		t.Fatalf("the transaction before: %v", err)
	}
	return db.Update(ctx, fn)
}

// check is "" when ok, else the message.
func check(ok bool, format string, args ...any) string {
	if ok {
		return ""
	}
	return fmt.Sprintf(format, args...)
}

// makeUser makes a user with failures, a lock and a token of last step
// last (-2: no token), and returns the row ID.
func makeUser(t *testing.T, db store.Store, userID string, failures int, locked time.Time, last int64) int64 {
	t.Helper()
	var id int64
	if err := db.Update(context.Background(), func(tx store.Tx) error {
		u, err := tx.CreateUser(store.User{UserID: userID, PassHash: "x", Active: true})
		if err != nil {
			return err
		}
		id = u.ID
		for range failures {
			if _, _, err := tx.ReserveAttempt(id, 1000, time.Hour, time.Unix(0, 0)); err != nil {
				return err
			}
		}
		if !locked.IsZero() {
			if err := tx.Lock(id, locked); err != nil {
				return err
			}
		}
		if last == -2 {
			return nil
		}
		return tx.SetToken(id, store.Token{Serial: "S1", SealedSeed: []byte{1}, Algorithm: "SHA1", Digits: 6, Period: 30, LastStep: last})
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// When the database does not do what a statement decided on the locked
// row said it would (here a trigger changes the row, as no transaction
// can while the row is locked), the transaction fails and nothing of it
// commits: the database, not the reading, has the last word.
func TestDecidedCheckedByTheDatabase(t *testing.T) {
	b := backends[1]
	db, where := openDB(t, b)
	raw := rawDB(t, b, where)
	mustExec(t, raw,
		`CREATE FUNCTION meddle_failures() RETURNS trigger AS $$ BEGIN
			IF NEW.failures <> OLD.failures THEN NEW.failures := NEW.failures + 10; END IF;
			RETURN NEW; END $$ LANGUAGE plpgsql`,
		`CREATE FUNCTION skip_update() RETURNS trigger AS $$ BEGIN RETURN NULL; END $$ LANGUAGE plpgsql`,
		`CREATE TRIGGER meddle BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION meddle_failures()`,
		`CREATE TRIGGER meddle BEFORE UPDATE ON tokens FOR EACH ROW EXECUTE FUNCTION skip_update()`)
	id := makeUser(t, db, "meddled", 0, time.Time{}, 5)
	before := head(t, db)
	for _, tc := range []struct {
		name string
		do   func(tx store.Tx) error
	}{
		{"a reservation", func(tx store.Tx) error {
			_, ok, err := tx.ReserveAttempt(id, 3, time.Minute, time.Now())
			if err == nil && !ok {
				err = errors.New("not reserved")
			}
			return err
		}},
		{"a step accepted", func(tx store.Tx) error {
			if _, err := tx.TokenOf(id); err != nil {
				return err
			}
			ok, err := tx.AcceptStep(id, 6, 0)
			if err == nil && !ok {
				err = errors.New("not accepted")
			}
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := settling(t, db, id, func(tx store.Tx) error {
				if _, err := tx.UserByID(id); err != nil {
					return err
				}
				if err := tc.do(tx); err != nil {
					return err
				}
				return tx.Audit(store.AuditEvent{UserID: "meddled", Event: "should not be", Outcome: "ok"})
			})
			if err == nil || !strings.Contains(err.Error(), "division by zero") {
				t.Fatalf("Update: %v, want the database's refusal", err)
			}
			if got := head(t, db); got.Seq != before.Seq {
				t.Errorf("the audit's head moved from %d to %d: the transaction committed", before.Seq, got.Seq)
			}
		})
	}
}

// A right password's ClearFirstFactor does not wait for a throttle's row
// that an attempt on another node holds (it would then wait with its
// COMMIT, see attack_commitlate_test.go): it leaves that row, and the
// other attempt's count, alone.
func TestClearSkipsAHeldThrottle(t *testing.T) {
	bg := context.Background()
	nodeA, nodeB := twoNodes(t)
	release := holdThrottle(t, nodeB, "alice", "203.0.113.9")
	ctx, cancel := context.WithTimeout(bg, 5*time.Second)
	defer cancel()
	start := time.Now()
	err := nodeA.Update(ctx, func(tx store.Tx) error { return tx.ClearFirstFactor("alice", "203.0.113.9") })
	waited := time.Since(start)
	if rerr := release(); rerr != nil {
		t.Fatal(rerr)
	}
	if err != nil {
		t.Fatalf("the clear, while node B held the row: %v", err)
	}
	if waited > 4*time.Second {
		t.Errorf("the clear waited %v for node B's row", waited)
	}
	zero := func(int) time.Duration { return 0 }
	var th store.Throttle
	if err := nodeA.Update(bg, func(tx store.Tx) error {
		th, _, err = tx.ReserveFirstFactor("alice", "203.0.113.9", time.Now(), zero)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if th.Failures != 2 {
		t.Errorf("failures after node B's attempt and this one: %d, want 2", th.Failures)
	}
}

// twoNodes opens a fresh PostgreSQL database as two nodes.
func twoNodes(t *testing.T) (a, b *sqlstore.DB) {
	t.Helper()
	a, where := openDB(t, backends[1])
	b, err := postgres.Open(context.Background(), where)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b
}

// holdThrottle has node count an attempt of key from source, and hold
// the throttle's row in that transaction until release, which commits it
// and returns its error.
func holdThrottle(t *testing.T, node store.Store, key, source string) (release func() error) {
	t.Helper()
	return holdIn(t, node, func(tx store.Tx, held func()) error {
		if _, _, err := tx.ReserveFirstFactor(key, source, time.Now(), func(int) time.Duration { return 0 }); err != nil {
			return err
		}
		held()
		return nil
	})
}

// holdIn runs hold in a transaction on node, which calls held once it
// holds its rows: held then waits until release, which lets the
// transaction end and returns its error.
func holdIn(t *testing.T, node store.Store, hold func(tx store.Tx, held func()) error) (release func() error) {
	t.Helper()
	locked, done, result := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	var once sync.Once
	held := func() {
		once.Do(func() { close(locked) })
		<-done
	}
	go func() { result <- node.Update(context.Background(), func(tx store.Tx) error { return hold(tx, held) }) }()
	select {
	case <-locked:
	case err := <-result:
		t.Fatalf("hold the rows: %v", err)
	}
	return func() error { close(done); return <-result }
}

// reserveThen reserves an attempt of user id, and names the session's
// next transaction (Tx.Then), as reserveSecond does.
func reserveThen(id int64) func(tx store.Tx) error {
	return func(tx store.Tx) error {
		if _, err := tx.UserByID(id); err != nil {
			return err
		}
		if _, _, err := tx.ReserveAttempt(id, 3, time.Minute, time.Now()); err != nil {
			return err
		}
		tx.Then(store.Ahead{User: id, LockToken: true, AuditHead: true})
		return nil
	}
}

// A session's next transaction begins with the last one's COMMIT
// (store.Tx.Then): its reads of the user's row, what hangs from it and
// the audit's head go with that COMMIT, so that its own statements and
// COMMIT are one round trip; it sees what the last one wrote; and when
// the session ends without it, the rows it locked are let go at once.
func TestSessionBeginsTheNextWithTheCommit(t *testing.T) { onEach(t, testSession) }

func testSession(t *testing.T, b backend) {
	bg := context.Background()
	c := &trips{n: map[string]int{}}
	where := b.where(t)
	db, err := b.open(bg, where, sqlstore.WithRoundTrips(c.count))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	id := makeUser(t, db, "alice", 0, time.Time{}, 5)
	first := reserveThen(id)
	t.Run("the next", func(t *testing.T) {
		ctx, end := store.Hold(bg)
		defer end()
		if err := db.Update(ctx, first); err != nil {
			t.Fatal(err)
		}
		c.since()
		if err := db.Update(ctx, func(tx store.Tx) error {
			u, err := tx.UserByID(id)
			if err != nil {
				return err
			}
			if u.Failures != 1 {
				t.Errorf("the next transaction read failures %d, want the 1 the last wrote", u.Failures)
			}
			if ok, err := tx.AcceptStep(id, 6, 0); err != nil || !ok {
				return errors.Join(err, errors.New("not accepted"))
			}
			if err := tx.ResetFailures(id); err != nil {
				return err
			}
			if err := tx.Audit(store.AuditEvent{UserID: "alice", Event: "passcode", Outcome: "ok"}); err != nil {
				return err
			}
			return tx.Audit(store.AuditEvent{UserID: "alice", Event: "second", Outcome: "ok"})
		}); err != nil {
			t.Fatal(err)
		}
		if n := c.since()[sqlstore.TripBatch]; b.name == "postgres" && n != 1 {
			t.Errorf("the next transaction took %d round trips, want 1", n)
		}
		if err := db.View(bg, func(tx store.ReadTx) error {
			u, err := tx.UserByID(id)
			if err == nil && u.Failures != 0 {
				t.Errorf("failures after the next transaction: %d", u.Failures)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	})
	if b.name != "postgres" {
		return // SQLite has one writer: a transaction inside another waits for it
	}
	t.Run("a transaction inside another", func(t *testing.T) {
		ctx, end := store.Hold(bg)
		defer end()
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := db.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.UserByID(id); err != nil {
				return err
			}
			return db.Update(ctx, func(tx store.Tx) error { // runs outside the session, which is taken
				return tx.Audit(store.AuditEvent{UserID: "alice", Event: "inner", Outcome: "ok"})
			})
		}); err != nil {
			t.Fatal(err)
		}
	})
	raw := rawDB(t, b, where)
	nowait := func() error {
		conn, err := raw.Conn(bg)
		if err != nil {
			return err
		}
		defer conn.Close()
		tx, err := conn.BeginTx(bg, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.Exec(`SELECT id FROM users WHERE id = $1 FOR UPDATE NOWAIT`, id); err != nil {
			return err
		}
		_, err = tx.Exec(`SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE NOWAIT`)
		return err
	}
	t.Run("ended without the next", func(t *testing.T) {
		ctx, end := store.Hold(bg)
		if err := db.Update(ctx, first); err != nil {
			t.Fatal(err)
		}
		if err := nowait(); err == nil {
			t.Error("the next transaction, begun, does not hold the user's row and the audit's head")
		}
		end()
		if err := nowait(); err != nil {
			t.Errorf("after the session ended: %v", err)
		}
		if n := db.Handle().Stats().InUse; n != 0 {
			t.Errorf("%d connections still in use", n)
		}
	})
	t.Run("the next fails", func(t *testing.T) {
		ctx, end := store.Hold(bg)
		defer end()
		if err := db.Update(ctx, first); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		if err := db.Update(ctx, func(tx store.Tx) error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("Update: %v", err)
		}
		if err := nowait(); err != nil {
			t.Errorf("after the next transaction failed: %v", err)
		}
		if err := db.Update(ctx, func(tx store.Tx) error { _, err := tx.UserByID(id); return err }); err != nil {
			t.Errorf("a transaction after it in the session: %v", err)
		}
	})
}
