package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/softtoken/softtoken/server/store"
)

// The help desk's cases (store.DeskCase): one row a user, its pending
// token in the token_ columns (token_serial '' for none).

const deskCaseColumns = `hash, sealed, opened_at, until_at, token_serial, token_seed, token_algorithm, token_digits, token_period, token_last_step, phone`

// deskCaseOfUser reads a user's case (DeskCaseOf; read ahead, ahead.go).
const deskCaseOfUser = `SELECT user_id, ` + deskCaseColumns + ` FROM desk_cases WHERE user_id=?`

// SetDeskCase replaces the user's help desk case.
func (t tx) SetDeskCase(id int64, c store.DeskCase) error {
	tok := store.Token{LastStep: -1}
	if c.Token != nil {
		tok = *c.Token
	}
	_, err := t.run(`INSERT INTO desk_cases (user_id, `+deskCaseColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET hash=excluded.hash, sealed=excluded.sealed, opened_at=excluded.opened_at,
		until_at=excluded.until_at, token_serial=excluded.token_serial, token_seed=excluded.token_seed,
		token_algorithm=excluded.token_algorithm, token_digits=excluded.token_digits, token_period=excluded.token_period,
		token_last_step=excluded.token_last_step, phone=excluded.phone`,
		id, c.Hash, c.Sealed, unix(c.Opened), unix(c.Until), tok.Serial, tok.SealedSeed, tok.Algorithm, tok.Digits, tok.Period, tok.LastStep, c.Phone)
	if err != nil {
		return fmt.Errorf("set help desk case: %w", err)
	}
	return nil
}

// DeleteDeskCase closes the user's help desk case.
func (t tx) DeleteDeskCase(id int64) (bool, error) {
	return t.changed("close help desk case", `DELETE FROM desk_cases WHERE user_id=?`, id)
}

// DeskCaseOf returns the user's open help desk case.
func (t tx) DeskCaseOf(id int64) (store.DeskCase, error) {
	_, c, err := scanDeskCase(t.row(deskCaseOfUser, id))
	return c, err
}

// DeskCaseByHash returns the case whose link secret hashes to hash.
func (t tx) DeskCaseByHash(hash []byte) (int64, store.DeskCase, error) {
	return scanDeskCase(t.row(`SELECT user_id, `+deskCaseColumns+` FROM desk_cases WHERE hash=?`, hash))
}

func scanDeskCase(row scanner) (int64, store.DeskCase, error) {
	var (
		id            int64
		c             store.DeskCase
		tok           store.Token
		opened, until int64
	)
	err := row.Scan(&id, &c.Hash, &c.Sealed, &opened, &until, &tok.Serial, &tok.SealedSeed, &tok.Algorithm, &tok.Digits, &tok.Period,
		&tok.LastStep, &c.Phone)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, c, store.ErrNotFound
	}
	if err != nil {
		return 0, c, fmt.Errorf("read help desk case: %w", err)
	}
	c.Opened, c.Until = fromUnix(opened), fromUnix(until)
	if tok.Serial != "" {
		tok.Created = c.Opened
		c.Token = &tok
	}
	return id, c, nil
}
