package sqlstore

import (
	"context"
	"database/sql/driver"
)

// The kinds of round trip to the database that Counted counts.
const (
	TripQuery    = "query"
	TripExec     = "exec"
	TripPrepare  = "prepare"
	TripBegin    = "begin"
	TripCommit   = "commit"
	TripRollback = "rollback"
	TripPing     = "ping"
)

// Counted wraps a driver's connector so that every call that goes to the
// database is counted, by its kind (TripQuery, TripExec…): what
// database/sql asks of the driver, below the pool and its waits, hence
// the round trips the store really makes. Each is one round trip, except
// a statement's first preparation on a PostgreSQL connection (pgx caches
// its statements: one more), and the liveness ping pgx sends before it
// reuses a connection idle for more than a second, which is not counted.
// On SQLite a "round trip" is a call into the embedded engine.
func Counted(c driver.Connector, count func(kind string)) driver.Connector {
	if count == nil {
		return c
	}
	return countedConnector{c, count}
}

type countedConnector struct {
	driver.Connector
	count func(string)
}

func (c countedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return countedConn{conn, c.count}, nil
}

// countedConn passes every call on to the driver's connection, counting
// those that go to the database; what the driver does not offer it
// answers driver.ErrSkip, so that database/sql falls back as it would.
type countedConn struct {
	driver.Conn
	count func(string)
}

// driverConn is the driver's own connection, for a Dialect's Pipeline.
func (c countedConn) driverConn() driver.Conn { return c.Conn }

func (c countedConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c countedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	c.count(TripPrepare)
	var s driver.Stmt
	var err error
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		s, err = p.PrepareContext(ctx, query)
	} else {
		s, err = c.Conn.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return countedStmt{s, c.count}, nil
}

func (c countedConn) Begin() (driver.Tx, error) { // driver.Conn's, never called: BeginTx is
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c countedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.count(TripBegin)
	var t driver.Tx
	var err error
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		t, err = b.BeginTx(ctx, opts)
	} else {
		//lint:ignore SA1019 a driver without contexts
		t, err = c.Conn.Begin()
	}
	if err != nil {
		return nil, err
	}
	return countedTx{t, c.count}, nil
}

func (c countedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	c.count(TripExec)
	return e.ExecContext(ctx, query, args)
}

func (c countedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	c.count(TripQuery)
	return q.QueryContext(ctx, query, args)
}

func (c countedConn) Ping(ctx context.Context) error {
	p, ok := c.Conn.(driver.Pinger)
	if !ok {
		return nil
	}
	c.count(TripPing)
	return p.Ping(ctx)
}

func (c countedConn) CheckNamedValue(v *driver.NamedValue) error {
	if n, ok := c.Conn.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(v)
	}
	return driver.ErrSkip
}

func (c countedConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c countedConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

type countedTx struct {
	driver.Tx
	count func(string)
}

func (t countedTx) Commit() error {
	t.count(TripCommit)
	return t.Tx.Commit()
}

func (t countedTx) Rollback() error {
	t.count(TripRollback)
	return t.Tx.Rollback()
}

// countedStmt counts the runs of a prepared statement.
type countedStmt struct {
	driver.Stmt
	count func(string)
}

func (s countedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.count(TripExec)
	if e, ok := s.Stmt.(driver.StmtExecContext); ok {
		return e.ExecContext(ctx, args)
	}
	//lint:ignore SA1019 the fallback database/sql itself uses
	return s.Stmt.Exec(namedValues(args))
}

func (s countedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.count(TripQuery)
	if q, ok := s.Stmt.(driver.StmtQueryContext); ok {
		return q.QueryContext(ctx, args)
	}
	//lint:ignore SA1019 the fallback database/sql itself uses
	return s.Stmt.Query(namedValues(args))
}

func (s countedStmt) CheckNamedValue(v *driver.NamedValue) error {
	if n, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(v)
	}
	return driver.ErrSkip
}

// namedValues are args by position, for a statement without contexts.
func namedValues(args []driver.NamedValue) []driver.Value {
	out := make([]driver.Value, len(args))
	for i, a := range args {
		out[i] = a.Value
	}
	return out
}
