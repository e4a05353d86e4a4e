// Package sqlstore is the server's store.Store in SQL, over database/sql:
// one implementation of every statement, migration and race rule, for
// both databases the server runs on. The packages server/sqlite (the
// embedded default) and server/postgres (several nodes on one database)
// only open a connection and give it a Dialect.
//
// Why one package and not two: the two dialects agree on almost every
// statement (upserts with ON CONFLICT, RETURNING, the conditional UPDATEs
// that decide races), so two copies would drift apart exactly where a
// race rule lives. What differs is small and named in Dialect: the
// placeholders ($1 or ?), the row locks SQLite has no need of (it runs one
// writer at a time, PostgreSQL runs them concurrently), the error codes,
// the snapshot a long read takes, the lock that lets one node at a time
// migrate, and the schema's types (the migrations carry a text for each
// dialect where they differ).
//
// Concurrency on PostgreSQL (READ COMMITTED): every primitive that decides
// a race is one conditional statement (an UPDATE … WHERE, an upsert with a
// WHERE, a DELETE), which PostgreSQL re-checks on the row's latest version
// after waiting for a concurrent writer; the few reads followed by writes
// lock the row they read first (Dialect.RowLock). SERIALIZABLE is not used.
// In a pipelined transaction (pipeline.go) ReserveAttempt and AcceptStep
// know their outcome from the rows the transaction locked, and send their
// conditional statement written so that the database fails the
// transaction if it did not do what was told (throttle.go, tokens.go).
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/auditchain"
	"github.com/softtoken/softtoken/server/store"
)

// Dialect is what one database does differently from the other.
type Dialect struct {
	// Name is "sqlite" or "postgres"; it picks the migrations' text.
	Name string
	// Numbered says placeholders are $1, $2… rather than ?: the
	// statements are written with ?, and rewritten once.
	Numbered bool
	// RowLock ends a SELECT that must lock the rows it reads for the rest
	// of the transaction (" FOR UPDATE"), or is empty where transactions
	// never write concurrently (SQLite).
	RowLock string
	// NoCase follows a comparison of a user ID column that is not
	// case-insensitive by its type (" COLLATE NOCASE" on SQLite; on
	// PostgreSQL the columns are citext and it is empty).
	NoCase string
	// Snapshot are the options of a read that must see one moment
	// (WalkAudit).
	Snapshot sql.TxOptions
	// IsUnique says err is a violated unique constraint.
	IsUnique func(err error) bool
	// Retry says err is a transaction's failure that running it again
	// may mend (a deadlock PostgreSQL broke); nil: never.
	Retry func(err error) bool
	// Unavailable says err means the database cannot be reached (refused
	// or broken connections, a server shutting down or starting, a
	// read-only node after a fail-over): the store wraps such errors as
	// store.ErrUnavailable. Nil: never (SQLite is a file).
	Unavailable func(err error) bool
	// Lock takes, on conn, the lock that lets one process at a time
	// migrate the schema, and returns what releases it; nil: none is
	// needed (SQLite migrates under its own write lock).
	Lock func(ctx context.Context, conn *sql.Conn) (unlock func(), err error)
	// Pipeline gives the driver's connection dc as a Pipeline, so that
	// write transactions send several statements a round trip
	// (pipeline.go); nil, or nil for dc: each statement is one.
	Pipeline func(dc any) Pipeline
}

// rebind rewrites the ? placeholders of query for d. The statements of
// this package hold no ? in a string literal.
func (d Dialect) rebind(query string) string {
	if !d.Numbered || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// DB is a store.Store on one SQL database.
type DB struct {
	db *sql.DB
	d  Dialect
	// chain links the audit records (see Tx.Audit).
	chain *auditchain.Chain
	// begunOver counts the records an audit chain begun by this Open
	// linked (-1: this Open began none).
	begunOver int64
	// pool sizes the connection pool (nil: database/sql's own defaults).
	pool *Pool
	// roundTrip counts the round trips (OpenConnector; nil: none).
	roundTrip func(kind string)
	// key is the master key's check at Open (nil: none, see WithMasterKey).
	key *keyCheck
	// timeout bounds each Update and View (WithTimeout; 0: unbounded).
	timeout time.Duration
}

// ChainBegunOver reports whether this Open began the audit's hash chain,
// and over how many records written before it. It happens once in a
// database's life, when a server first opens a database from before the
// chain; it happens again only when someone with write access to the
// database rolled its schema back, which the callers tell (docs/audit.md).
func (s *DB) ChainBegunOver() (earlier int64, began bool) { return s.begunOver, s.begunOver >= 0 }

var _ store.Store = (*DB)(nil)

// Option configures Open.
type Option func(*DB)

// WithAuditKey links the audit records under key (from seal.DeriveKey),
// so that only a holder of the key can make a record that verifies. The
// server always gives one; without it the chain's key is empty and
// anyone can recompute it, which is for tests only.
func WithAuditKey(key []byte) Option {
	return func(d *DB) { d.chain = auditchain.New(key) }
}

// WithPool sizes the connection pool as p says.
func WithPool(p Pool) Option {
	return func(d *DB) { d.pool = &p }
}

// WithRoundTrips counts every round trip to the database with count,
// given its kind (see Counted); it takes effect in OpenConnector only.
func WithRoundTrips(count func(kind string)) Option {
	return func(d *DB) { d.roundTrip = count }
}

// OpenConnector opens the database c connects to, counting its round
// trips (WithRoundTrips), and takes it as a store as Open does; on an
// error it closes it.
func OpenConnector(ctx context.Context, c driver.Connector, d Dialect, opts ...Option) (*DB, error) {
	var probe DB
	for _, o := range opts {
		o(&probe)
	}
	db := sql.OpenDB(Counted(c, probe.roundTrip))
	s, err := Open(ctx, db, d, opts...)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Handle is the database/sql pool under the store, for its statistics
// (sql.DBStats: the waits for a connection) and nothing else.
func (s *DB) Handle() *sql.DB { return s.db }

// WithTimeout bounds each transaction (Update, View) to d, retries
// included: one the database has not finished by then is rolled back and
// fails as store.ErrUnavailable. It is what answers a request at all
// when the database host hangs (stopped, or its network cut with the
// connections still open), which no connect timeout covers. The server
// sets it (server.DatabaseTimeout); the admin commands, whose reads of
// the whole audit may take long, do not.
func WithTimeout(d time.Duration) Option {
	return func(db *DB) { db.timeout = d }
}

// Open takes db, of dialect d, as a store: it migrates the schema to the
// current version and begins the audit's hash chain if it has not begun,
// both under d's lock, so that nodes started together take turns. On an
// error db is left open: it is the caller's.
func Open(ctx context.Context, db *sql.DB, d Dialect, opts ...Option) (*DB, error) {
	s := &DB{db: db, d: d, chain: auditchain.New(nil), begunOver: -1}
	for _, o := range opts {
		o(s)
	}
	if s.pool != nil {
		s.pool.Apply(db)
	}
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// prepare migrates and begins the chain, one process at a time.
func (s *DB) prepare(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	if s.d.Lock != nil {
		unlock, err := s.d.Lock(ctx, conn)
		if err != nil {
			return fmt.Errorf("wait for other nodes' migrations: %w", err)
		}
		defer unlock()
	}
	first, err := migrate(ctx, conn, s.d)
	if err != nil {
		return err
	}
	if err := s.key.check(ctx, conn, s.d); err != nil {
		return err
	}
	applied := func(v int) bool { return first != 0 && first <= v }
	s.begunOver, err = startChain(ctx, conn, s.d, s.chain, applied(chainMigration), applied(headSealMigration))
	return err
}

// Ready checks that the database answers and that its schema is the
// current one (see store.Store.Ready).
func (s *DB) Ready(ctx context.Context) error {
	have, want, err := s.SchemaVersion(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("database unreachable: %w", s.outage(ctx, ctx, err))
	case have != want:
		return fmt.Errorf("%w: the database's is version %d, this server's %d", store.ErrSchema, have, want)
	}
	return nil
}

// Close closes the database.
func (s *DB) Close() error { return s.db.Close() }

// SchemaVersion is the database's schema version and this server's.
func (s *DB) SchemaVersion(ctx context.Context) (have, want int, err error) {
	have, err = schemaVersion(ctx, s.db)
	return have, len(migrations), err
}

// maxTries bounds the runs of a transaction that failed in a way a new
// run may mend (Dialect.Retry).
const maxTries = 3

// Update runs fn in one transaction. On PostgreSQL a transaction the
// database aborted to break a deadlock is run again, from the start, up
// to maxTries times: fn must do nothing but read and write through the
// Tx (and set its own results), which every caller in server/account does.
// A transaction that fails because the database cannot be reached is not
// run again (its COMMIT may have reached the database): its error wraps
// store.ErrUnavailable.
func (s *DB) Update(ctx context.Context, fn func(store.Tx) error) error {
	bounded, cancel := s.bound(ctx)
	defer cancel()
	for try := 1; ; try++ {
		err := s.update(bounded, fn)
		if err == nil || s.d.Retry == nil || try == maxTries || !s.d.Retry(err) {
			return s.outage(ctx, bounded, err)
		}
	}
}

// bound is ctx bounded by the store's timeout (WithTimeout), if any.
func (s *DB) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.timeout)
}

// outage wraps err as store.ErrUnavailable when the dialect says it
// means the database cannot be reached, or when the store's own timeout
// ended bounded while ctx (the caller's) still ran; it returns err as it
// is otherwise.
func (s *DB) outage(ctx, bounded context.Context, err error) error {
	switch {
	case err == nil || errors.Is(err, store.ErrUnavailable):
		return err
	case ctx.Err() == nil && errors.Is(bounded.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%w: no answer within %v: %w", store.ErrUnavailable, s.timeout, err)
	case s.d.Unavailable != nil && s.d.Unavailable(err):
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// update runs fn in one transaction (on SQLite BEGIN IMMEDIATE, see
// package sqlite, so that transactions never fail on a lock upgrade).
func (s *DB) update(ctx context.Context, fn func(store.Tx) error) error {
	if s.d.Pipeline != nil {
		ok, err := s.pipelined(ctx, func(p *pipeTx) error {
			return fn(tx{ctx: ctx, p: p, d: s.d, chain: s.chain, userLock: s.d.RowLock})
		})
		if ok {
			return err
		}
	}
	t, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx{ctx: ctx, q: t, d: s.d, chain: s.chain, userLock: s.d.RowLock}); err != nil {
		t.Rollback()
		return err
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// View runs fn on the database; each read sees the latest commit.
func (s *DB) View(ctx context.Context, fn func(store.ReadTx) error) error {
	bounded, cancel := s.bound(ctx)
	defer cancel()
	return s.outage(ctx, bounded, fn(tx{ctx: bounded, q: s.db, d: s.d, chain: s.chain}))
}
