// Package sqlite opens the server's store.Store (package server/sqlstore)
// on an embedded SQLite file (modernc.org/sqlite, pure Go): WAL journal, a
// busy timeout, foreign keys, and every write transaction begun IMMEDIATE,
// so that SQLite runs one writer at a time and no transaction fails on a
// lock upgrade. It is the default store: one node, no database server.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	msqlite "modernc.org/sqlite" // also the "sqlite" database/sql driver

	"github.com/softtoken/softtoken/server/sqlstore"
)

// DB is the store on one SQLite file.
type DB = sqlstore.DB

// Option configures Open.
type Option = sqlstore.Option

// WithAuditKey links the audit records under key (see sqlstore.WithAuditKey).
func WithAuditKey(key []byte) Option { return sqlstore.WithAuditKey(key) }

// Dialect is SQLite's: ? placeholders, no row locks (one writer at a
// time), user IDs compared with COLLATE NOCASE, no migration lock (the
// migrations take SQLite's write lock).
var Dialect = sqlstore.Dialect{
	Name:     "sqlite",
	NoCase:   " COLLATE NOCASE",
	Snapshot: sql.TxOptions{ReadOnly: true},
	IsUnique: func(err error) bool { return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") },
}

// Open opens (creating if needed) the database at path, migrates it to
// the current schema, and begins the audit's hash chain if it has not
// begun yet; processes that open one file at once do so one after the
// other (startLock).
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	if path == "" {
		return nil, errors.New("open database: no path given")
	}
	unlock, err := startLock(ctx, path)
	if err != nil {
		return nil, err
	}
	defer unlock()
	dsn, err := create(path)
	if err != nil {
		return nil, err
	}
	c, err := msqlite.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s, err := sqlstore.OpenConnector(ctx, c, Dialect, opts...)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return s, nil
}

// OpenRaw opens the file at path (made, readable by its owner only, if
// missing) with the server's settings, as database/sql alone (no
// migration, no counting), for tests that change the database behind the
// store's back.
func OpenRaw(path string) (*sql.DB, error) {
	dsn, err := create(path)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

// create makes the file at path, readable by its owner only, if missing,
// and returns the driver's name of it with the server's settings.
func create(path string) (string, error) {
	if path == "" {
		return "", errors.New("open database: no path given")
	}
	// The database holds password hashes and sealed seeds: only its owner
	// may read it. SQLite gives the -wal and -shm files the same mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", fmt.Errorf("open database: %w", err)
	}
	f.Close()
	q := url.Values{}
	for _, p := range []string{"busy_timeout(5000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode(), nil
}
