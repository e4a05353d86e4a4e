package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/softtoken/softtoken/server/auditchain"
	"github.com/softtoken/softtoken/server/store"
)

// What a transaction is, the statements every table's methods run
// through, and the conversions their columns share. The methods of
// store.Tx are in one file per group of tables: users.go, tokens.go,
// passcodes.go, throttle.go, recovery.go, desk.go, leases.go, audit.go,
// reseal.go, masterkey.go.

// querier is what a transaction, a connection and the database offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tx is a store.Tx: a transaction (or the database, for a View), its
// dialect and the context it runs in.
type tx struct {
	ctx   context.Context
	q     querier
	d     Dialect
	chain *auditchain.Chain
	// userLock ends the reads of a user's row in a write transaction
	// (Dialect.RowLock): every change of the rules is decided on the row
	// it read, so that row stays locked until the change commits, and two
	// nodes changing one user take turns, as SQLite's one writer makes
	// them (a disable on one node was otherwise undone by an enrolment on
	// another that had read the row before it). An API key's row is read
	// with it too (APIKeyByHash). Reads in a View lock nothing.
	userLock string
}

var _ store.Tx = tx{}

// run runs a statement.
func (t tx) run(query string, args ...any) (sql.Result, error) {
	return t.q.ExecContext(t.ctx, t.d.rebind(query), args...)
}

// row runs a query of one row.
func (t tx) row(query string, args ...any) *sql.Row {
	return t.q.QueryRowContext(t.ctx, t.d.rebind(query), args...)
}

// rows runs a query.
func (t tx) rows(query string, args ...any) (*sql.Rows, error) {
	return t.q.QueryContext(t.ctx, t.d.rebind(query), args...)
}

// exec runs a statement that must touch exactly one row.
func (t tx) exec(what string, query string, args ...any) error {
	ok, err := t.changed(what, query, args...)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return nil
}

// changed runs a statement and reports whether it touched a row.
func (t tx) changed(what string, query string, args ...any) (bool, error) {
	res, err := t.run(query, args...)
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return n > 0, nil
}

// lockUser locks the user's row for the rest of the transaction (on a
// database with concurrent writers), so that a change made of several
// statements is not interleaved with another's.
func (t tx) lockUser(what string, id int64) error {
	var got int64
	err := t.row(`SELECT id FROM users WHERE id = ?`+t.d.RowLock, id).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}

func attrText(a json.RawMessage) string {
	if len(a) == 0 || string(a) == "null" {
		return "{}"
	}
	return string(a)
}
