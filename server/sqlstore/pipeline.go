package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/softtoken/softtoken/server/store"
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
	// soon are reads the rules said come next (Tx.Soon): they go with the
	// next batch, their answers kept (ahead.go).
	soon []Stmt
	// session says the transaction runs in a session (store.Hold), and
	// then, if set, gives the reads of the next transaction the rules
	// said follows (Tx.Then), which begins with this one's COMMIT.
	session bool
	then    func(next *pipeTx) []Stmt
	// locks are the users whose rows the transaction read, and so locked,
	// with their failures and lock as read: until it writes the users
	// table, ReserveAttempt knows from them what its conditional
	// statement will do (throttle.go).
	locks map[int64]lockState
}

// lockState is a locked user's failures and lock (unix seconds; 0: none).
type lockState struct {
	failures    int
	lockedUntil int64
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
	stmts = append(append(append(stmts, p.queue...), last...), p.soon...)
	p.queue, p.begun, p.waits, p.soon = nil, true, false, nil
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
// waiting there is nothing to commit, and no round trip. When the rules
// named the session's next transaction (Tx.Then), it begins in the same
// round trip, after the COMMIT, with the reads it begins by: it is
// returned begun, its answers kept (nil when there is none, or when the
// COMMIT went through and what came after it failed: the caller then
// begins the next one afresh).
func (p *pipeTx) commit(ctx context.Context) (next *pipeTx, err error) {
	p.soon = nil
	if !p.begun && len(p.queue) == 0 && p.err == nil {
		return nil, nil
	}
	if p.waits {
		if err := p.send(ctx); err != nil {
			return nil, err
		}
	}
	committed := false
	stmts := []Stmt{{Query: pipeCommit, Done: func(int64) error { committed = true; return nil }}}
	if p.then != nil && p.err == nil {
		next = &pipeTx{p: p.p, count: p.count, begun: true, session: true}
		stmts = append(append(stmts, Stmt{Query: pipeBegin}), p.then(next)...)
	}
	err = p.send(ctx, stmts...)
	switch {
	case err == nil:
		return next, nil
	case committed && next != nil:
		next.rollback(ctx)
		return nil, nil
	}
	return nil, err
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
//
// In a session (store.Hold) the transaction runs in the one the last
// began with its COMMIT, if it did (Tx.Then), on that connection; and if
// fn names the next (Tx.Then), the connection stays the session's, with
// the next transaction begun, until the session's next Update takes it
// or the session ends (and rolls it back). Nothing else is kept: a
// session holds a connection only between two such transactions.
func (s *DB) pipelined(ctx context.Context, fn func(*pipeTx) error) (ok bool, err error) {
	sess := store.SessionOf(ctx)
	var h *heldTx
	if sess != nil {
		var keep func(any, func())
		var done func()
		var ok bool
		if h, keep, done, ok = s.fromSession(sess); !ok {
			// The session is taken (a transaction run from inside
			// another), or another store's: this one runs outside it.
			return s.pipelined(store.WithoutSession(ctx), fn)
		}
		defer done()
		defer func() {
			if h != nil && h.next != nil {
				keep(h, h.release)
			}
		}()
	}
	var c *sql.Conn
	if h != nil {
		c = h.c
	} else if c, err = s.db.Conn(ctx); err != nil {
		return true, fmt.Errorf("begin transaction: %w", err)
	}
	kept := false
	defer func() {
		if !kept {
			c.Close()
		}
	}()
	err = c.Raw(func(dc any) error {
		pl := s.d.Pipeline(unwrapConn(dc))
		if pl == nil {
			return errNoPipeline
		}
		ok = true
		p := &pipeTx{p: pl, count: s.roundTrip, session: sess != nil}
		if h != nil {
			p, h.next = h.next, nil
			p.p = pl
		}
		if err := fn(p); err != nil {
			return p.abandon(ctx, err)
		}
		next, err := p.commit(ctx)
		if err != nil {
			return p.abandon(ctx, fmt.Errorf("commit: %w", err))
		}
		if next != nil {
			h, kept = &heldTx{db: s, c: c, next: next}, true
		}
		return nil
	})
	if errors.Is(err, errNoPipeline) {
		return false, nil
	}
	return ok, err
}

// fromSession takes sess for one transaction (done gives it back): what
// it held of this store (nil: nothing), now the transaction's, and keep,
// which gives the session what to hold next. ok is false, and nothing is
// taken, when the session is taken, or holds another store's.
func (s *DB) fromSession(sess *store.Session) (h *heldTx, keep func(any, func()), done func(), ok bool) {
	held, keep, done, ok := sess.Held()
	if ok && held != nil {
		if h, ok = held.(*heldTx); ok && h.db != s {
			ok = false // another store's
		}
	}
	if !ok {
		if done != nil {
			done()
		}
		return nil, nil, nil, false
	}
	keep(nil, nil) // taken over (h), or nothing to take
	return h, keep, done, true
}

// heldTx is what a session (store.Hold) holds between two transactions:
// the connection, and on it the next transaction, begun (Tx.Then).
type heldTx struct {
	db   *DB
	c    *sql.Conn
	next *pipeTx
}

// release rolls back the transaction begun for nothing (the session
// ended before it ran), and gives the connection back to the pool.
func (h *heldTx) release() {
	_ = h.c.Raw(func(dc any) error {
		if pl := h.db.d.Pipeline(unwrapConn(dc)); pl != nil {
			h.next.p = pl
			h.next.rollback(context.Background())
		}
		return nil
	})
	h.c.Close()
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
