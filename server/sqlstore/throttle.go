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
	err := t.row(`INSERT INTO first_factor_throttle (userid, source, failures, blocked_until, touched_at) VALUES (?, ?, 0, 0, ?)
		ON CONFLICT (userid, source) DO UPDATE SET touched_at=first_factor_throttle.touched_at
		RETURNING failures, blocked_until`, key, source, now.Unix()).Scan(&th.Failures, &blocked)
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

// ClearFirstFactor forgets the failures of key from source.
func (t tx) ClearFirstFactor(key, source string) error {
	return t.laterUnlocked("clear throttle", `DELETE FROM first_factor_throttle WHERE userid=? AND source=?`, key, source)
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
