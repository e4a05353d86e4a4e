package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// The tokens table: each user's token and the last step it accepted.

// SetToken replaces the user's token.
func (t tx) SetToken(id int64, tok store.Token) error {
	if tok.Created.IsZero() {
		tok.Created = time.Now()
	}
	_, err := t.run(`INSERT INTO tokens (user_id, serial, sealed_seed, algorithm, digits, period, last_step, drift, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET serial=excluded.serial, sealed_seed=excluded.sealed_seed,
		algorithm=excluded.algorithm, digits=excluded.digits, period=excluded.period, last_step=excluded.last_step, drift=excluded.drift, created_at=excluded.created_at`, id, tok.Serial, tok.SealedSeed, tok.Algorithm, tok.Digits, tok.Period, tok.LastStep, tok.Drift, unix(tok.Created))
	if err != nil {
		return fmt.Errorf("set token: %w", err)
	}
	return nil
}

// tokenOfUser reads a user's token (TokenOf; read ahead, ahead.go).
const tokenOfUser = `SELECT serial, sealed_seed, algorithm, digits, period, last_step, drift, created_at FROM tokens WHERE user_id=?`

// TokenOf returns the user's token, or ErrNotFound.
func (t tx) TokenOf(id int64) (store.Token, error) {
	var tok store.Token
	var created int64
	err := t.row(tokenOfUser, id).
		Scan(&tok.Serial, &tok.SealedSeed, &tok.Algorithm, &tok.Digits, &tok.Period, &tok.LastStep, &tok.Drift, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Token{}, store.ErrNotFound
	}
	if err != nil {
		return store.Token{}, fmt.Errorf("read token: %w", err)
	}
	tok.Created = fromUnix(created)
	return tok, nil
}

// DeleteToken revokes the user's token.
func (t tx) DeleteToken(id int64) (bool, error) {
	return t.changed("delete token", `DELETE FROM tokens WHERE user_id=?`, id)
}

// AcceptStep is one conditional UPDATE, so two racing verifications of
// one code cannot both succeed.
//
// In a pipelined transaction whose read of the token went ahead with the
// user's locked row, with its own row lock (store.Ahead.LockToken), and
// which has not written the token since, the outcome is known from that
// read: no other transaction (a rekey's re-sealing included, which does
// not lock the users) can move the token on before this one ends, and the
// write never waits for one with the COMMIT. Only the transaction that
// settles a passcode locks its token so: every other read of a user leaves
// the token's row to a rekey. The conditional UPDATE still
// runs, with the next batch or the COMMIT, and checks in the database
// that it did what was told (it divides by zero otherwise, which fails
// the transaction).
func (t tx) AcceptStep(id int64, step int64, drift int) (bool, error) {
	if _, ok := t.p.kept(t.d.rebind(tokenOfUser+t.userLock), []any{id}); ok && t.userLock != "" {
		tok, err := t.TokenOf(id) // answered from what was kept
		switch {
		case errors.Is(err, store.ErrNotFound) || err == nil && tok.LastStep >= step:
			return false, t.later("accept step", `SELECT 1 / (1 - count(*)) FROM tokens WHERE user_id = ? AND last_step < ?`, id, step)
		case err != nil:
			return false, fmt.Errorf("accept step: %w", err)
		}
		return true, t.later("accept step", `WITH a AS (UPDATE tokens SET last_step=?, drift=? WHERE user_id=? AND last_step < ? RETURNING 1)
			SELECT 1 / count(*) FROM a`, step, drift, id, step)
	}
	return t.changed("accept step", `UPDATE tokens SET last_step=?, drift=? WHERE user_id=? AND last_step < ?`, step, drift, id, step)
}
