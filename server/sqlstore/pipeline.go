package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"
)

// Pipelined transactions (docs/benchmarks.md, "Round trips"): on a
// database whose Dialect offers a Pipeline (PostgreSQL), a write
// transaction does not send each statement as its own round trip. Its
// BEGIN goes with its first statement, and the writes whose only outcome
// is their error (Tx.Audit's link, a throttle's reset…, see tx.later)
// wait and go with the next statement that must be answered, or with the
// COMMIT. What a statement decides (a conditional UPDATE that wins or
// loses a race, a read) is still answered before the rules go on, so
// every guarantee holds as before: only the waiting between statements
// whose answers nothing reads is gone. A write that waited and then fails
// fails the transaction: its error is returned by the statement it went
// with, and by every one after it, and the transaction never commits.

// TripBatch is the kind of round trip (see Counted) of a pipelined
// transaction's batch: the statements that waited and the one that must
// be answered, sent together.
const TripBatch = "batch"

// Pipeline is a connection that sends several statements in one round
// trip. Dialect.Pipeline gives one for a connection of the dialect's
// driver.
type Pipeline interface {
	// Batch sends stmts in order, in one round trip, and gives each
	// result to its statement's Rows or Done. It returns the first
	// error: of a statement (after which the database runs none of the
	// rest), or of a Rows or Done.
	Batch(ctx context.Context, stmts []Stmt) error
	// Query runs one query on its own and returns its rows.
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// Close closes the connection (the database ends its transaction),
	// and the pool drops it.
	Close()
}

// Stmt is one statement of a Batch.
type Stmt struct {
	Query string
	Args  []any
	// Rows reads the statement's rows; nil: the statement returns none.
	Rows func(Rows) error
	// Done gets the number of rows a statement without Rows touched; nil:
	// any number is right.
	Done func(n int64) error
	// Keep, if set, gets the query's first row (nil: none), to be
	// scanned later (ahead.go); Rows and Done are then not used.
	Keep func(Row) error
}

// Rows are a query's rows, read as database/sql's are.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// The statements that begin and end a pipelined transaction.
const (
	pipeBegin    = "BEGIN"
	pipeCommit   = "COMMIT"
	pipeRollback = "ROLLBACK"
)

// pipeTx is a write transaction on a Pipeline: statements that wait
// (queue) and whether BEGIN went.
type pipeTx struct {
	p     Pipeline
	count func(kind string)
	begun bool
	queue []Stmt
	// err is the first failure: once set, nothing more is sent but a
	// ROLLBACK.
	err error
	// ahead are the answers of reads sent ahead (ahead.go).
	ahead map[string]kept
	// waits is set while a queued write may wait for a row another
	// transaction holds (tx.laterUnlocked): those never go with the
	// COMMIT, which the database would run once the row is free, after
	// the caller, tired of waiting, was told the transaction failed.
	waits bool
}

// send sends what waits, then last, in one round trip (with BEGIN first
// if it has not gone yet).
func (p *pipeTx) send(ctx context.Context, last ...Stmt) error {
	if p.err != nil {
		return p.err
	}
	stmts := make([]Stmt, 0, len(p.queue)+len(last)+1)
	if !p.begun {
		stmts = append(stmts, Stmt{Query: pipeBegin})
	}
	stmts = append(append(stmts, p.queue...), last...)
	p.queue, p.begun, p.waits = nil, true, false
	if p.count != nil {
		p.count(TripBatch)
	}
	if err := p.p.Batch(ctx, stmts); err != nil {
		p.err = err
		return err
	}
	return nil
}

// later queues a write whose only outcome is its error, for the next
// batch (see tx.later).
func (p *pipeTx) later(query string, args []any) {
	p.wrote(query)
	p.queue = append(p.queue, Stmt{Query: query, Args: args})
}

// exec runs a statement at once (with what waits) and returns the number
// of rows it touched.
func (p *pipeTx) exec(ctx context.Context, query string, args []any) (int64, error) {
	p.wrote(query)
	var n int64
	err := p.send(ctx, Stmt{Query: query, Args: args, Done: func(got int64) error { n = got; return nil }})
	return n, err
}

// rows runs a query at once. What waits goes first, in a round trip of
// its own: a query of many rows is read as it comes.
func (p *pipeTx) rows(ctx context.Context, query string, args []any) (Rows, error) {
	if !p.begun || len(p.queue) > 0 {
		if err := p.send(ctx); err != nil {
			return nil, err
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	p.wrote(query)
	if p.count != nil {
		p.count(TripQuery)
	}
	r, err := p.p.Query(ctx, query, args...)
	if err != nil {
		p.err = err
	}
	return r, err
}

// commit sends what waits and COMMIT; with nothing sent and nothing
// waiting there is nothing to commit, and no round trip.
func (p *pipeTx) commit(ctx context.Context) error {
	if !p.begun && len(p.queue) == 0 && p.err == nil {
		return nil
	}
	if p.waits {
		if err := p.send(ctx); err != nil {
			return err
		}
	}
	return p.send(ctx, Stmt{Query: pipeCommit})
}

// rollbackTimeout bounds a ROLLBACK sent after the transaction's own
// context ended.
const rollbackTimeout = 5 * time.Second

// rollback ends a transaction that BEGIN began; what waits is dropped.
// It is sent even when ctx has ended (a client that hung up, the store's
// timeout), as database/sql's Tx does: a connection left idle inside the
// transaction would keep the rows it locked (a user's, the audit's head)
// from every node until the pool handed it out again. A ROLLBACK that
// fails closes the connection: the database ends the transaction, and
// the pool drops it.
func (p *pipeTx) rollback(ctx context.Context) {
	p.queue = nil
	if !p.begun {
		return
	}
	if p.count != nil {
		p.count(TripBatch)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	if err := p.p.Batch(ctx, []Stmt{{Query: pipeRollback}}); err != nil {
		p.p.Close()
	}
}

// abandon rolls back a transaction that failed with err, and returns err.
func (p *pipeTx) abandon(ctx context.Context, err error) error {
	p.rollback(ctx)
	return err
}

// pipeRow is the row of a query on a pipeTx: it is sent, with what
// waits, when it is scanned, and the reads ahead go after it; or it is
// answered from a read that went ahead (ahead.go).
type pipeRow struct {
	ctx   context.Context
	p     *pipeTx
	query string
	args  []any
	ahead func(dest []any) []Stmt
}

// Scan sends the query and scans its first row into dest, as sql.Row's
// Scan does: sql.ErrNoRows when there is none.
func (r pipeRow) Scan(dest ...any) error {
	if r.p.err != nil {
		return r.p.err
	}
	if row, ok := r.p.kept(r.query, r.args); ok {
		if row == nil {
			return sql.ErrNoRows
		}
		return row.Scan(dest...)
	}
	r.p.wrote(r.query)
	found := false
	stmts := []Stmt{{Query: r.query, Args: r.args, Rows: func(rows Rows) error {
		if !rows.Next() {
			return rows.Err()
		}
		found = true
		return rows.Scan(dest...)
	}}}
	if r.ahead != nil {
		stmts = append(stmts, r.ahead(dest)...)
	}
	err := r.p.send(r.ctx, stmts...)
	switch {
	case err != nil:
		return err
	case !found:
		return sql.ErrNoRows
	}
	return nil
}

// pipelined runs fn in one write transaction on a connection of the
// pool that the dialect pipelines; ok is false when it does not (the
// driver's connection is not the dialect's), and then fn did not run.
func (s *DB) pipelined(ctx context.Context, fn func(*pipeTx) error) (ok bool, err error) {
	c, err := s.db.Conn(ctx)
	if err != nil {
		return true, fmt.Errorf("begin transaction: %w", err)
	}
	defer c.Close()
	err = c.Raw(func(dc any) error {
		pl := s.d.Pipeline(unwrapConn(dc))
		if pl == nil {
			return errNoPipeline
		}
		ok = true
		p := &pipeTx{p: pl, count: s.roundTrip}
		if err := fn(p); err != nil {
			return p.abandon(ctx, err)
		}
		if err := p.commit(ctx); err != nil {
			return p.abandon(ctx, fmt.Errorf("commit: %w", err))
		}
		return nil
	})
	if errors.Is(err, errNoPipeline) {
		return false, nil
	}
	return ok, err
}

// errNoPipeline says a connection cannot be pipelined.
var errNoPipeline = errors.New("no pipeline")

// unwrapConn is the driver's own connection under the store's wrappers
// (Counted's).
func unwrapConn(dc any) any {
	for {
		w, ok := dc.(interface{ driverConn() driver.Conn })
		if !ok {
			return dc
		}
		dc = w.driverConn()
	}
}
