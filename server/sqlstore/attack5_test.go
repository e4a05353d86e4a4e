package sqlstore_test

// Attacks on the five round trips (reads ahead, sessions, decisions made
// on the locked row and checked by the database), each found on its first
// version and held here.

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// holdTokens has node re-seal the tokens (a rekey), holding their rows,
// as ResealTokens locks them, until release, which ends it (rolled back)
// and returns its error.
func holdTokens(t *testing.T, node store.Store) (release func() error) {
	t.Helper()
	end := holdIn(t, node, func(tx store.Tx, held func()) error {
		_, err := tx.ResealTokens(func(int64, []byte) ([]byte, error) { held(); return nil, errStop{} })
		return err
	})
	return func() error {
		if err := end(); !errors.Is(err, errStop{}) {
			return err
		}
		return nil
	}
}

type errStop struct{}

func (errStop) Error() string { return "stop" }

// A transaction its caller was told failed never commits afterwards
// (attack_commitlate_test.go). AcceptStep decided on the token read ahead
// sends its conditional UPDATE later (tx.later): with the COMMIT, when
// nothing is read after it, as in a session's settling (settleSecond:
// the user's row and the audit's head were read with the last COMMIT,
// Tx.Then, so the audit record needs no read). But the token's row is not
// one the transaction locked: the user's row is. A rekey on node B
// (ResealTokens) holds the token rows; node A's accepting transaction
// waits in the database with its COMMIT already there, its caller gives
// up and is told it failed, and once node B lets go the database accepts
// the step (the code is spent), clears the failures and audits a success.
// Held: AcceptStep decides on the token only where its row was read with
// its lock (a settling begun ahead, store.Ahead.LockToken, NOWAIT), so its
// write never waits with the COMMIT; anywhere else its statement is
// answered before the rules go on, and waits there, before the COMMIT.
func TestAttack5AcceptedStepCommitsAfterFailure(t *testing.T) {
	settle := func(id int64) func(tx store.Tx) error {
		return func(tx store.Tx) error {
			if _, err := tx.UserByID(id); err != nil { // the user's row, locked, and its token read ahead
				return err
			}
			ok, err := tx.AcceptStep(id, 6, 0)
			if err != nil {
				return err
			}
			if !ok {
				return errStop{}
			}
			if err := tx.ResetFailures(id); err != nil {
				return err
			}
			return tx.Audit(store.AuditEvent{UserID: "alice", Event: "should not be", Outcome: "ok"})
		}
	}
	for _, tc := range []struct {
		name    string
		session bool
	}{
		{"a session's settling", true},
		{"the accepting statement last", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bg := context.Background()
			nodeA, nodeB := twoNodes(t)
			id := makeUser(t, nodeA, "alice", 2, time.Time{}, 5)
			// The rekey holds the tokens' rows first: a settling begun
			// ahead locks its token's row itself, and a rekey after it
			// waits for it.
			release := holdTokens(t, nodeB)
			ctx, end := bg, func() {}
			if tc.session {
				ctx, end = store.Hold(bg)
				rctx, cancel := context.WithTimeout(ctx, time.Second)
				defer cancel()
				// The reservation commits; the settling's reads begun with
				// its COMMIT find the token held (NOWAIT), so the settling
				// begins afresh.
				if err := nodeA.Update(rctx, func(tx store.Tx) error { // reserveSecond
					if _, err := tx.UserByID(id); err != nil {
						return err
					}
					if _, _, err := tx.ReserveAttempt(id, 1000, time.Minute, time.Now()); err != nil {
						return err
					}
					tx.Then(store.Ahead{User: id, AuditHead: true})
					return nil
				}); err != nil {
					t.Logf("the reservation: %v", err)
				}
			}
			defer end()
			fn := settle(id)
			if !tc.session {
				fn = func(tx store.Tx) error {
					if _, err := tx.UserByID(id); err != nil {
						return err
					}
					if ok, err := tx.AcceptStep(id, 6, 0); err != nil || !ok {
						return errors.Join(err, errStop{})
					}
					return tx.ResetFailures(id)
				}
			}
			tctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			err := nodeA.Update(tctx, fn)
			if err == nil {
				t.Fatal("node A's transaction committed while node B held the token's row")
			}
			t.Logf("node A's transaction: %v", err)
			if err := release(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second) // for node A's abandoned backend
			if err := nodeB.View(bg, func(tx store.ReadTx) error {
				tok, err := tx.TokenOf(id)
				if err != nil {
					return err
				}
				u, err := tx.UserByID(id)
				if err != nil {
					return err
				}
				if tok.LastStep == 6 || u.Failures == 0 {
					t.Errorf("the transaction node A was told failed committed afterwards: last step %d, failures %d", tok.LastStep, u.Failures)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The audit's head is the one row every audited change on every node
// locks. A session's next transaction locks it with the last one's COMMIT
// (Tx.Then), before its own statements run; when one of them then waits
// for a row another transaction holds (here AcceptStep's UPDATE of a
// token that a rekey on node B is re-sealing), the head stays locked for
// as long, and every audited change of any user on any node waits: here
// node B's audit record of another user does not get through. Held: the
// token's row is locked by the reads begun ahead (NOWAIT), so a rekey
// already under way makes them fail at once and nothing is held; the
// settling then waits for the token before it locks the head.
func TestAttack5HeldHeadStallsEveryAudit(t *testing.T) {
	bg := context.Background()
	nodeA, nodeB := twoNodes(t)
	id := makeUser(t, nodeA, "alice", 0, time.Time{}, 5)
	// The rekey holds the tokens' rows first: a settling begun ahead
	// locks its token's row itself (NOWAIT, see Tx.Then), so a rekey
	// after it waits for it instead.
	release := holdTokens(t, nodeB)
	ctx, end := store.Hold(bg)
	defer end()
	rctx, rcancel := context.WithTimeout(ctx, time.Second)
	defer rcancel()
	// The reservation, then the settling begun with its COMMIT.
	if err := nodeA.Update(rctx, reserveThen(id)); err != nil {
		t.Fatal(err)
	}
	settled := make(chan error, 1)
	go func() {
		sctx, cancel := context.WithTimeout(ctx, 4*time.Second)
		defer cancel()
		settled <- nodeA.Update(sctx, func(tx store.Tx) error {
			if _, err := tx.UserByID(id); err != nil {
				return err
			}
			if _, err := tx.AcceptStep(id, 6, 0); err != nil {
				return err
			}
			if err := tx.ResetFailures(id); err != nil {
				return err
			}
			return tx.Audit(store.AuditEvent{UserID: "alice", Event: "passcode", Outcome: "ok"})
		})
	}()
	time.Sleep(300 * time.Millisecond)
	actx, cancel := context.WithTimeout(bg, 2*time.Second)
	defer cancel()
	start := time.Now()
	err := nodeB.Update(actx, func(tx store.Tx) error {
		return tx.Audit(store.AuditEvent{UserID: "bob", Event: "password", Outcome: "ok"})
	})
	if err != nil {
		t.Errorf("another user's audit record on node B, after %v: %v", time.Since(start), err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	t.Logf("alice's settling: %v", <-settled)
}

// holdHead has node append an audit record and hold the chain's head in
// that transaction until release, which commits it and returns its error.
func holdHead(t *testing.T, node store.Store) (release func() error) {
	t.Helper()
	return holdIn(t, node, func(tx store.Tx, held func()) error {
		if err := tx.Audit(store.AuditEvent{UserID: "bob", Event: "held", Outcome: "ok"}); err != nil {
			return err
		}
		if _, err := tx.UserByUserID("nobody"); err != nil && !errors.Is(err, store.ErrNotFound) { // sends the head's read
			return err
		}
		held()
		return nil
	})
}

// A transaction whose COMMIT went through is not reported failed. With
// Tx.Then the session's next transaction begins in the COMMIT's batch,
// and commit relies on seeing the COMMIT's answer before the next one's
// reads (pipeTx.commit: "committed && next != nil"). But PostgreSQL sends
// a pipeline's answers when it reaches its Sync: while the next one's
// read of the audit's head waits for another node's transaction (any
// audited change holds it), the COMMIT's answer stays in the server's
// buffer; the caller's (or the store's) deadline comes, and the
// reservation, committed, is reported as failed: the attempt is counted
// though its passcode is never compared. Held: the next one's reads lock
// NOWAIT (Tx.Then), so a held row fails them at once, the COMMIT's answer
// comes back with that failure, and the next transaction begins afresh.
func TestAttack5CommittedReportedFailed(t *testing.T) {
	bg := context.Background()
	nodeA, nodeB := twoNodes(t)
	id := makeUser(t, nodeA, "alice", 0, time.Time{}, 5)
	release := holdHead(t, nodeB)
	ctx, end := store.Hold(bg)
	defer end()
	tctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	err := nodeA.Update(tctx, reserveThen(id)) // reserveSecond
	if rerr := release(); rerr != nil {
		t.Fatal(rerr)
	}
	var u store.User
	if verr := nodeB.View(bg, func(tx store.ReadTx) error {
		var err error
		u, err = tx.UserByID(id)
		return err
	}); verr != nil {
		t.Fatal(verr)
	}
	if err != nil && u.Failures != 0 {
		t.Errorf("the reservation was reported failed (%v) but committed: failures %d", err, u.Failures)
	}
	end()
	time.Sleep(100 * time.Millisecond)
	if n := nodeA.Handle().Stats().InUse; n != 0 {
		t.Errorf("%d connections still in use", n)
	}
}
