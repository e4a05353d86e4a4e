// Package postgres opens the server's store.Store (package
// server/sqlstore) on a PostgreSQL database (github.com/jackc/pgx/v5),
// which several server nodes share: every state that must hold across
// nodes (replay guard, lockouts, throttles, session leases, single-use
// codes, the audit chain's head) is in its rows, and the store's
// statements decide races there (see sqlstore). Nodes started together
// migrate the schema one at a time, under an advisory lock.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/softtoken/softtoken/server/sqlstore"
)

// IsDSN says whether db names a PostgreSQL database (a postgres:// or
// postgresql:// URL) rather than an SQLite file.
func IsDSN(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// migrationLock is the key of the advisory lock nodes migrate under (any
// number that nothing else on the database uses: "softtoke" in ASCII).
const migrationLock = 0x736f6674746f6b65

// PostgreSQL's error codes the store tells apart.
const (
	uniqueViolation      = "23505"
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
)

// code is err's PostgreSQL error code, or "".
func code(err error) string {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code
	}
	return ""
}

// Dialect is PostgreSQL's: $n placeholders, rows locked FOR UPDATE where a
// transaction reads before it writes, citext user IDs, a repeatable-read
// snapshot for long reads, deadlocks retried, and an advisory lock for
// migrations.
var Dialect = sqlstore.Dialect{
	Name:     "postgres",
	Numbered: true,
	RowLock:  " FOR UPDATE",
	Snapshot: sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead},
	IsUnique: func(err error) bool { return code(err) == uniqueViolation },
	Retry: func(err error) bool {
		c := code(err)
		return c == deadlockDetected || c == serializationFailure
	},
	Unavailable: unavailable,
	Lock:        lock,
	Pipeline:    pipelineOf,
}

// unavailableCodes are PostgreSQL's error codes that mean the database
// cannot serve now, whatever the statement: its connection exceptions
// (class 08), a server shutting down or starting (57P01 admin_shutdown,
// 57P02 crash_shutdown, 57P03 cannot_connect_now), and a read-only node
// (25006 read_only_sql_transaction: a standby, or a former primary after
// a fail-over, still holding a pooled connection).
var unavailableCodes = map[string]bool{
	"08000": true, "08003": true, "08006": true, "08001": true, "08004": true,
	"57P01": true, "57P02": true, "57P03": true, "25006": true,
}

// unavailable says err means the database cannot be reached: no
// connection could be made (pgconn.ConnectError: refused, timed out, no
// host of a multi-host URL writable), one broke (the driver's
// ErrBadConn or ErrConnClosed, EOF, a reset or refused socket), or
// PostgreSQL answered one of unavailableCodes.
func unavailable(err error) bool {
	if unavailableCodes[code(err)] {
		return true
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	for _, broken := range []error{driver.ErrBadConn, pgconn.ErrConnClosed, io.EOF, io.ErrUnexpectedEOF, net.ErrClosed,
		syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.EPIPE} {
		if errors.Is(err, broken) {
			return true
		}
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return true
	}
	return false
}

// lock takes the migration lock on conn, waiting for a node that holds it.
func lock(ctx context.Context, conn *sql.Conn) (func(), error) {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return nil, err
	}
	return func() {
		// A lock that is not released here is released when the
		// connection closes, which the caller does next.
		conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, int64(migrationLock))
	}, nil
}

// Open connects to the database dsn names (postgres://USER@HOST:PORT/DB),
// migrates it to the current schema and begins the audit's hash chain if
// it has not begun yet, one node at a time.
func Open(ctx context.Context, dsn string, opts ...sqlstore.Option) (*sqlstore.DB, error) {
	cfg, err := config(dsn)
	if err != nil {
		return nil, err
	}
	s, err := sqlstore.OpenConnector(ctx, stdlib.GetConnector(*cfg), Dialect, opts...)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", Redact(dsn), err)
	}
	return s, nil
}

// DefaultConnectTimeout bounds a connection's making when the URL sets
// no connect_timeout: while a database host does not answer at all (a
// network cut, a host gone), every request that needs a new connection
// would otherwise wait for the operating system's TCP timeout, minutes,
// before it is answered "service unavailable". On a multi-host URL it
// bounds each host's try.
const DefaultConnectTimeout = 5 * time.Second

// config is the connection configuration of dsn, with
// DefaultConnectTimeout unless the URL sets its own.
func config(dsn string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", Redact(dsn), err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	return cfg, nil
}

// OpenRaw opens the database as database/sql alone (no migration, no
// counting), for tests that change the database behind the store's back.
func OpenRaw(dsn string) (*sql.DB, error) {
	cfg, err := config(dsn)
	if err != nil {
		return nil, err
	}
	return stdlib.OpenDB(*cfg), nil
}

// Redact is dsn without its password, for logs and errors.
func Redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(a PostgreSQL URL that does not parse)"
	}
	return u.Redacted()
}
