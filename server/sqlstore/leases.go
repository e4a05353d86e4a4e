package sqlstore

import (
	"fmt"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// The session_leases table: which node holds a user's session.

// TakeLease gives userID's lease to holder unless another's lasts past now,
// in one upsert whose WHERE decides: of two nodes racing for one user, one
// takes the lease and the other sees it taken.
func (t tx) TakeLease(userID, holder string, until, now time.Time) (store.Lease, bool, error) {
	took, err := t.changed("take lease", `INSERT INTO session_leases (userid, holder, open, until_at, updated_at) VALUES (?, ?, TRUE, ?, ?)
		ON CONFLICT (userid) DO UPDATE SET holder=excluded.holder, open=TRUE, until_at=excluded.until_at, updated_at=excluded.updated_at
		WHERE session_leases.holder = excluded.holder OR session_leases.until_at <= ?`,
		userID, holder, until.Unix(), now.Unix(), now.Unix())
	if err != nil || took {
		return store.Lease{}, took, err
	}
	// Another's lease holds (the upsert locked its row on PostgreSQL, so
	// it stays as read until this transaction ends): say whose.
	var l store.Lease
	var u, upd int64
	err = t.row(`SELECT userid, holder, open, until_at, updated_at FROM session_leases WHERE userid=?`, userID).
		Scan(&l.UserID, &l.Holder, &l.Open, &u, &upd)
	if err != nil {
		return store.Lease{}, false, fmt.Errorf("read lease: %w", err)
	}
	l.Until, l.Updated = fromUnix(u), fromUnix(upd)
	return l, false, nil
}

// RefreshLeases moves the end of holder's open leases to until.
func (t tx) RefreshLeases(holder string, until time.Time) error {
	_, err := t.run(`UPDATE session_leases SET until_at=? WHERE holder=? AND open=TRUE`, until.Unix(), holder)
	if err != nil {
		return fmt.Errorf("refresh leases: %w", err)
	}
	return nil
}

// EndLease closes (or, with a zero until, deletes) holder's lease.
func (t tx) EndLease(userID, holder string, until time.Time) (bool, error) {
	if until.IsZero() {
		return t.changed("end lease", `DELETE FROM session_leases WHERE userid=? AND holder=?`, userID, holder)
	}
	return t.changed("end lease", `UPDATE session_leases SET open=FALSE, until_at=? WHERE userid=? AND holder=?`, until.Unix(), userID, holder)
}

// DropLease deletes userID's lease.
func (t tx) DropLease(userID string) (bool, error) {
	return t.changed("drop lease", `DELETE FROM session_leases WHERE userid=?`, userID)
}

// Leases lists the leases that last past now, by user ID.
func (t tx) Leases(now time.Time) ([]store.Lease, error) {
	rows, err := t.rows(`SELECT userid, holder, open, until_at, updated_at FROM session_leases WHERE until_at > ? ORDER BY userid`, now.Unix())
	if err != nil {
		return nil, fmt.Errorf("list leases: %w", err)
	}
	defer rows.Close()
	var out []store.Lease
	for rows.Next() {
		var l store.Lease
		var u, upd int64
		if err := rows.Scan(&l.UserID, &l.Holder, &l.Open, &u, &upd); err != nil {
			return nil, fmt.Errorf("list leases: %w", err)
		}
		l.Until, l.Updated = fromUnix(u), fromUnix(upd)
		out = append(out, l)
	}
	return out, rows.Err()
}
