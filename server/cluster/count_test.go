//go:build linux

package cluster_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync/atomic"
)

// statements counts what the store sends its database, at the
// database/sql driver: every Exec and Query (one statement each, as the
// store never sends two in one string), and every BEGIN, COMMIT and
// ROLLBACK. Each is one round trip to PostgreSQL; on SQLite, a call into
// the embedded library.
type statements struct {
	all, txs atomic.Int64
}

// open is a database on connector whose statements s counts.
func (s *statements) open(connector driver.Connector) *sql.DB {
	return sql.OpenDB(countingConnector{connector, s})
}

// snapshot is the count now.
func (s *statements) snapshot() (all, txs int64) { return s.all.Load(), s.txs.Load() }

type countingConnector struct {
	driver.Connector
	s *statements
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{conn, c.s}, nil
}

// countingConn is a driver connection that counts; both drivers the
// server uses (pgx's stdlib, modernc.org/sqlite) offer every interface it
// calls.
type countingConn struct {
	driver.Conn
	s *statements
}

var errMissing = errors.New("the driver lacks an interface the counter needs")

// counted counts one statement unless the driver skipped it (database/sql
// then tries another way, which is counted there).
func (c *countingConn) counted(err error) {
	if !errors.Is(err, driver.ErrSkip) {
		c.s.all.Add(1)
	}
}

func (c *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	r, err := e.ExecContext(ctx, query, args)
	c.counted(err)
	return r, err
}

func (c *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	r, err := q.QueryContext(ctx, query, args)
	c.counted(err)
	return r, err
}

func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	p, ok := c.Conn.(driver.ConnPrepareContext)
	if !ok {
		return nil, errMissing
	}
	st, err := p.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return countingStmt{st, c.s}, nil
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	b, ok := c.Conn.(driver.ConnBeginTx)
	if !ok {
		return nil, errMissing
	}
	tx, err := b.BeginTx(ctx, opts)
	c.s.all.Add(1)
	if err != nil {
		return nil, err
	}
	c.s.txs.Add(1)
	return countingTx{tx, c.s}, nil
}

func (c *countingConn) CheckNamedValue(v *driver.NamedValue) error {
	if n, ok := c.Conn.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(v)
	}
	return driver.ErrSkip
}

func (c *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *countingConn) IsValid() bool {
	v, ok := c.Conn.(driver.Validator)
	return !ok || v.IsValid()
}

type countingTx struct {
	driver.Tx
	s *statements
}

func (t countingTx) Commit() error   { t.s.all.Add(1); return t.Tx.Commit() }
func (t countingTx) Rollback() error { t.s.all.Add(1); return t.Tx.Rollback() }

// countingStmt counts the executions of a prepared statement (database/sql
// prepares only when a driver skips a direct Exec or Query).
type countingStmt struct {
	driver.Stmt
	s *statements
}

func (st countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	e, ok := st.Stmt.(driver.StmtExecContext)
	if !ok {
		return nil, errMissing
	}
	st.s.all.Add(1)
	return e.ExecContext(ctx, args)
}

func (st countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := st.Stmt.(driver.StmtQueryContext)
	if !ok {
		return nil, errMissing
	}
	st.s.all.Add(1)
	return q.QueryContext(ctx, args)
}
