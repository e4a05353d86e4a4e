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

// querier is what a database/sql transaction, a connection and the
// database offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tx is a store.Tx: a transaction (or the database, for a View), its
// dialect and the context it runs in. Its statements go through q, or
// through p for a pipelined transaction (pipeline.go).
type tx struct {
	ctx   context.Context
	q     querier
	p     *pipeTx
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

// scanner is a row to scan: *sql.Row, or a pipelined query's.
type scanner interface{ Scan(dest ...any) error }

// rowSet is a query's rows: *sql.Rows, or a pipelined query's.
type rowSet interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// run runs a statement and returns the number of rows it touched.
func (t tx) run(query string, args ...any) (int64, error) {
	if t.p != nil {
		return t.p.exec(t.ctx, t.d.rebind(query), args)
	}
	res, err := t.q.ExecContext(t.ctx, t.d.rebind(query), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// row runs a query of one row.
func (t tx) row(query string, args ...any) scanner {
	if t.p != nil {
		return pipeRow{ctx: t.ctx, p: t.p, query: t.d.rebind(query), args: args}
	}
	return t.q.QueryRowContext(t.ctx, t.d.rebind(query), args...)
}

// rows runs a query.
func (t tx) rows(query string, args ...any) (rowSet, error) {
	if t.p != nil {
		r, err := t.p.rows(t.ctx, t.d.rebind(query), args)
		if err != nil {
			return nil, err
		}
		return closing{r}, nil
	}
	return t.q.QueryContext(t.ctx, t.d.rebind(query), args...)
}

// closing gives a pipelined query's rows database/sql's Close.
type closing struct{ Rows }

func (c closing) Close() error { c.Rows.Close(); return nil }

// later runs a write whose only outcome is its error. In a pipelined
// transaction it waits for the next statement that must be answered, or
// for the COMMIT, and its error fails the transaction then (pipeline.go):
// so callers must not tell one error from another, and the number of
// rows it touches is not checked, as it would be known only after the
// COMMIT went. Use it for rows the transaction has locked (a user's row
// it read, the audit's head) or whose count does not matter.
func (t tx) later(what string, query string, args ...any) error {
	if t.p != nil {
		t.p.later(t.d.rebind(query), args)
		return nil
	}
	if _, err := t.run(query, args...); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// laterUnlocked is later for a write on rows the transaction has not
// locked, which may wait for another transaction's: in a pipelined
// transaction it does not go with the COMMIT (see pipeTx.waits).
func (t tx) laterUnlocked(what string, query string, args ...any) error {
	err := t.later(what, query, args...)
	if t.p != nil {
		t.p.waits = true
	}
	return err
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
	n, err := t.run(query, args...)
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
