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
	"errors"
	"fmt"
	"net/url"
	"strings"

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
	Lock: lock,
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
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", Redact(dsn), err)
	}
	s, err := sqlstore.OpenConnector(ctx, stdlib.GetConnector(*cfg), Dialect, opts...)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", Redact(dsn), err)
	}
	return s, nil
}

// OpenRaw opens the database as database/sql alone (no migration, no
// counting), for tests that change the database behind the store's back.
func OpenRaw(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", Redact(dsn), err)
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
