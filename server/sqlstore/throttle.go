package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// Counting failures: the lockout's count in the users table, and the
// first factor's throttle by user ID and source.

// ReserveAttempt counts an attempt and locks at max, in one statement that
// does nothing while the user is locked.
func (t tx) ReserveAttempt(id int64, max int, lockFor time.Duration, now time.Time) (store.Attempt, bool, error) {
	if ls, ok := t.p.lockOf(id); ok {
		return t.reserveLocked(id, ls, max, lockFor, now)
	}
	var a store.Attempt
	var locked int64
	err := t.row(`UPDATE users SET failures = failures + 1,
		locked_until = CASE WHEN failures + 1 >= ? THEN CAST(? AS BIGINT) ELSE 0 END
		WHERE id = ? AND locked_until <= ? RETURNING failures, locked_until`, max, now.Add(lockFor).Unix(), id, now.Unix()).Scan(&a.Failures, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return t.lockState(id)
	}
	if err != nil {
		return store.Attempt{}, false, fmt.Errorf("reserve attempt: %w", err)
	}
	a.LockedUntil = fromUnix(locked)
	return a, true, nil
}

// reserveLocked is ReserveAttempt in a pipelined transaction that has
// read, and so locked, the user's row (ls, as read, see pipeTx.locks):
// nothing can change the row's failures and lock before the transaction
// ends, so the outcome of the conditional statement is known from ls, and
// the statement need not be answered before the rules go on. It still
// runs, with the next batch or the COMMIT, and checks in the database
// that it did what was told (it divides by zero otherwise, which fails
// the transaction): the database, not this reading, has the last word.
func (t tx) reserveLocked(id int64, ls lockState, max int, lockFor time.Duration, now time.Time) (store.Attempt, bool, error) {
	if ls.lockedUntil > now.Unix() {
		return store.Attempt{Failures: ls.failures, LockedUntil: fromUnix(ls.lockedUntil)}, false,
			t.later("reserve attempt", `SELECT 1 / (1 - count(*)) FROM users WHERE id = ? AND locked_until <= ?`, id, now.Unix())
	}
	a := store.Attempt{Failures: ls.failures + 1}
	if a.Failures >= max {
		a.LockedUntil = time.Unix(now.Add(lockFor).Unix(), 0)
	}
	return a, true, t.later("reserve attempt", `WITH r AS (UPDATE users SET failures = failures + 1,
		locked_until = CASE WHEN failures + 1 >= ? THEN CAST(? AS BIGINT) ELSE 0 END
		WHERE id = ? AND locked_until <= ? RETURNING failures, locked_until)
		SELECT 1 / count(*) FROM r WHERE failures = ? AND locked_until = ?`,
		max, now.Add(lockFor).Unix(), id, now.Unix(), a.Failures, unix(a.LockedUntil))
}

// lockOf is the state of a user's row the transaction locked and has
// not written since (ok false: none, or not pipelined).
func (p *pipeTx) lockOf(id int64) (lockState, bool) {
	if p == nil {
		return lockState{}, false
	}
	ls, ok := p.locks[id]
	return ls, ok
}

// lockState is the answer of a refused reservation: the user is locked, or
// does not exist.
func (t tx) lockState(id int64) (store.Attempt, bool, error) {
	u, err := t.UserByID(id)
	if err != nil {
		return store.Attempt{}, false, fmt.Errorf("reserve attempt: %w", err)
	}
	return store.Attempt{Failures: u.Failures, LockedUntil: u.LockedUntil}, false, nil
}

// ResetFailures clears the failure count and any lock.
func (t tx) ResetFailures(id int64) error {
	return t.later("reset failures", `UPDATE users SET failures=0, locked_until=0 WHERE id=?`, id)
}

// Lock locks the user until until.
func (t tx) Lock(id int64, until time.Time) error {
	return t.exec("lock user", `UPDATE users SET locked_until=? WHERE id=?`, unix(until), id)
}

// ReserveFirstFactor counts a first-factor attempt of key from source
// unless the pair is blocked. The pair's row is made if it is missing, or
// else locked, and read, in one upsert, so that concurrent attempts (from
// other nodes too) count one after the other: none is lost, none passes a
// block another just set, and none fails on a row another node's right
// password deleted (ClearFirstFactor) between two statements.
func (t tx) ReserveFirstFactor(key, source string, now time.Time, delay func(int) time.Duration) (store.Throttle, bool, error) {
	var th store.Throttle
	var blocked int64
	var row scanner = t.row(throttleUpsert, key, source, now.Unix())
	if k, ok := t.p.kept(t.d.rebind(throttleUpsert), []any{key, source}); ok { // sent ahead (Tx.Soon)
		row = keptScanner{k}
	}
	err := row.Scan(&th.Failures, &blocked)
	if err != nil {
		return th, false, fmt.Errorf("read throttle: %w", err)
	}
	if blocked > now.Unix() {
		th.BlockedUntil = fromUnix(blocked)
		return th, false, nil
	}
	th.Failures++
	th.BlockedUntil = now.Add(delay(th.Failures))
	// The upsert above locked the row: this write only waits for the
	// commit (tx.later).
	if err := t.later("count attempt", `UPDATE first_factor_throttle SET failures=?, blocked_until=?, touched_at=? WHERE userid=? AND source=?`,
		th.Failures, th.BlockedUntil.Unix(), now.Unix(), key, source); err != nil {
		return th, false, err
	}
	return th, true, nil
}

// throttleUpsert makes a throttle's row if it is missing, or else locks
// it, and reads it (ReserveFirstFactor; read ahead, ahead.go).
const throttleUpsert = `INSERT INTO first_factor_throttle (userid, source, failures, blocked_until, touched_at) VALUES (?, ?, 0, 0, ?)
		ON CONFLICT (userid, source) DO UPDATE SET touched_at=first_factor_throttle.touched_at
		RETURNING failures, blocked_until`

// ClearFirstFactor forgets the failures of key from source. Where rows are
// locked (PostgreSQL) it skips a row another transaction holds, rather
// than wait for it: that is an attempt of the same user ID from the same
// source in flight, which goes on counting; so the write never waits,
// and goes with the COMMIT.
func (t tx) ClearFirstFactor(key, source string) error {
	if t.d.RowLock == "" {
		return t.later("clear throttle", `DELETE FROM first_factor_throttle WHERE userid=? AND source=?`, key, source)
	}
	return t.later("clear throttle", `DELETE FROM first_factor_throttle WHERE (userid, source) IN
		(SELECT userid, source FROM first_factor_throttle WHERE userid=? AND source=?`+t.d.RowLock+` SKIP LOCKED)`, key, source)
}

// RefundFirstFactor takes back one counted attempt of key from source and
// its block.
func (t tx) RefundFirstFactor(key, source string) error {
	return t.laterUnlocked("refund throttle", `UPDATE first_factor_throttle SET failures=failures-1, blocked_until=0 WHERE userid=? AND source=? AND failures > 0`, key, source)
}

// ForgetFirstFactors deletes throttles untouched since before.
func (t tx) ForgetFirstFactors(before time.Time) error {
	_, err := t.run(`DELETE FROM first_factor_throttle WHERE touched_at < ?`, before.Unix())
	if err != nil {
		return fmt.Errorf("forget throttles: %w", err)
	}
	return nil
}
