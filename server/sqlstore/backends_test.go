package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/softtoken/softtoken/server/pgtest"
	"github.com/softtoken/softtoken/server/postgres"
	"github.com/softtoken/softtoken/server/sqlite"
	"github.com/softtoken/softtoken/server/sqlstore"
)

// backend is a database the store's tests run on: every test runs on
// each, so that both keep the same promises (store.Store's).
type backend struct {
	name string
	// where makes a new, empty database and returns its address (a file
	// path, a PostgreSQL URL), which open and raw take.
	where func(t *testing.T) string
	open  func(ctx context.Context, where string, opts ...sqlstore.Option) (*sqlstore.DB, error)
	// raw opens the database with database/sql alone, without the store.
	raw func(where string) (*sql.DB, error)
}

var backends = []backend{
	{name: "sqlite", where: func(t *testing.T) string { return filepath.Join(t.TempDir(), "softtoken.db") },
		open: sqlite.Open, raw: sqlite.OpenRaw},
	{name: "postgres", where: func(t *testing.T) string { return pgtest.Start(t) },
		open: postgres.Open, raw: postgres.OpenRaw},
}

// onEach runs test on every backend, each as a subtest named after it.
func onEach(t *testing.T, test func(t *testing.T, b backend)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { test(t, b) })
	}
}

// openDB opens a fresh database and returns it with its address.
func openDB(t *testing.T, b backend) (*sqlstore.DB, string) {
	t.Helper()
	where := b.where(t)
	db, err := b.open(context.Background(), where)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, where
}
