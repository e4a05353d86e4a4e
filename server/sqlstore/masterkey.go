package sqlstore

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
)

// ErrOtherMasterKey is a node started with another master key than the
// one the database's seeds are sealed under: it would fail every login
// of a user with a token, and write audit records that do not verify.
var ErrOtherMasterKey = errors.New("this node's master key is not the one the database's seeds are sealed under " +
	"(their fingerprints differ): start it with the master key the other nodes use (--master-key or SOFTTOKEN_MASTER_KEY)")

// keyCheck is the master key Open checks: its fingerprint, and how to
// tell that a sealed seed opens with it.
type keyCheck struct {
	fingerprint []byte
	opens       func(userRow int64, sealed []byte) error
}

// WithMasterKey checks at Open, under the migration lock, that the
// master key whose fingerprint is given (seal.Sealer.Fingerprint) is the
// database's: the one whose fingerprint it stores, else, on a database
// that stores none yet (new, or from before the fingerprint), the one a
// sealed seed opens with (opens, given the seed's user row ID), and then
// stores its fingerprint. Another key is ErrOtherMasterKey.
func WithMasterKey(fingerprint []byte, opens func(userRow int64, sealed []byte) error) Option {
	return func(d *DB) { d.key = &keyCheck{fingerprint: fingerprint, opens: opens} }
}

// check runs k's check on conn, in one transaction; a nil k checks nothing.
func (k *keyCheck) check(ctx context.Context, conn *sql.Conn, d Dialect) error {
	if k == nil {
		return nil
	}
	t, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("check the master key: %w", err)
	}
	defer t.Rollback()
	q := tx{ctx: ctx, q: t, d: d}
	var stored []byte
	err = q.row(`SELECT fingerprint FROM master_key WHERE id = 1` + d.RowLock).Scan(&stored)
	switch {
	case err == nil:
		if subtle.ConstantTimeCompare(stored, k.fingerprint) != 1 {
			return ErrOtherMasterKey
		}
		return nil
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("check the master key: %w", err)
	}
	if err := k.opensASeed(q); err != nil {
		return err
	}
	if err := q.SetMasterKey(k.fingerprint); err != nil {
		return err
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("store the master key's fingerprint: %w", err)
	}
	return nil
}

// opensASeed checks, on a database with no fingerprint yet, that its
// first sealed seed (if it has any) opens with the key.
func (k *keyCheck) opensASeed(q tx) error {
	var s sealedSeed
	err := q.row(`SELECT user_id, sealed_seed FROM tokens ORDER BY user_id LIMIT 1`).Scan(&s.id, &s.sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check the master key on a sealed seed: %w", err)
	}
	if err := k.opens(s.id, s.sealed); err != nil {
		return fmt.Errorf("%w: the database stores no fingerprint yet, and its first sealed seed does not open with this key (%v)",
			ErrOtherMasterKey, err)
	}
	return nil
}

// SetMasterKey stores the master key's fingerprint (see
// store.Tx.SetMasterKey).
func (t tx) SetMasterKey(fingerprint []byte) error {
	_, err := t.run(`INSERT INTO master_key (id, fingerprint) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint`, fingerprint)
	if err != nil {
		return fmt.Errorf("store the master key's fingerprint: %w", err)
	}
	return nil
}
