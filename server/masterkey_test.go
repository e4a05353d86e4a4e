package server_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server"
	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/pgtest"
	"github.com/softtoken/softtoken/server/postgres"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/sqlite"
	"github.com/softtoken/softtoken/server/sqlstore"
)

// database is where two nodes share a database: a new SQLite file, or a
// new PostgreSQL database; raw opens it with database/sql alone.
type database struct {
	name  string
	where func(t *testing.T) string
	raw   func(where string) (*sql.DB, error)
}

var databases = []database{
	{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "softtoken.db") }, sqlite.OpenRaw},
	{"postgres", func(t *testing.T) string { return pgtest.Start(t) }, postgres.OpenRaw},
}

// keyFile writes a master key file of 32 bytes of b and returns its path.
func keyFile(t *testing.T, b byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "master.key")
	key := base64.StdEncoding.EncodeToString([]byte(strings.Repeat(string(rune(b)), 32)))
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startNode opens the rules on where with the key in keyPath, as a node
// starting does, and closes them at the test's end.
func startNode(t *testing.T, where, keyPath string) (*server.Accounts, error) {
	t.Helper()
	acct, err := server.OpenAccounts(context.Background(), server.Storage{DB: where, MasterKeyFile: keyPath},
		account.Config{Hash: servertest.Cheap})
	if err == nil {
		t.Cleanup(func() { acct.Close() })
	}
	return acct, err
}

// Two nodes on one database: the first, on the empty database, stores
// its key's fingerprint; a second with another key refuses to start,
// saying so without naming either key; a second with the same key starts.
func TestNodeWithAnotherMasterKeyRefusesToStart(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			where, first, other := db.where(t), keyFile(t, 'a'), keyFile(t, 'b')
			if _, err := startNode(t, where, first); err != nil {
				t.Fatalf("the first node: %v", err)
			}
			_, err := startNode(t, where, other)
			if !errors.Is(err, sqlstore.ErrOtherMasterKey) {
				t.Fatalf("a node with another key: %v, want %v", err, sqlstore.ErrOtherMasterKey)
			}
			for _, f := range []string{first, other} {
				key, _ := os.ReadFile(f)
				if strings.Contains(err.Error(), strings.TrimSpace(string(key))) {
					t.Errorf("the error names a key: %v", err)
				}
			}
			if _, err := startNode(t, where, first); err != nil {
				t.Errorf("a second node with the same key: %v", err)
			}
		})
	}
}

// A database from before the fingerprint (none stored) gets the key's
// fingerprint at the next start only if its first sealed seed opens with
// the key; one without seeds takes the key it starts with.
func TestOlderDatabaseGetsTheFingerprintOfTheKeyItsSeedsOpenWith(t *testing.T) {
	for _, db := range databases {
		for _, tc := range []struct {
			name      string
			withToken bool
			// otherStarts says a node with another key starts first.
			otherStarts bool
		}{
			{"with a sealed seed", true, false},
			{"without seeds", false, true},
		} {
			t.Run(db.name+"/"+tc.name, func(t *testing.T) {
				where, seedsKey, otherKey := db.where(t), keyFile(t, 'a'), keyFile(t, 'b')
				older(t, db, where, seedsKey, tc.withToken)
				_, err := startNode(t, where, otherKey)
				if tc.otherStarts != (err == nil) {
					t.Fatalf("a node with another key on an older database: %v", err)
				}
				stored, refused := otherKey, seedsKey
				if !tc.otherStarts {
					if !errors.Is(err, sqlstore.ErrOtherMasterKey) {
						t.Errorf("a node with another key: %v, want %v", err, sqlstore.ErrOtherMasterKey)
					}
					if n := fingerprints(t, db, where); n != 0 {
						t.Errorf("the refused node stored %d fingerprints", n)
					}
					if _, err := startNode(t, where, seedsKey); err != nil {
						t.Fatalf("a node with the seeds' key: %v", err)
					}
					stored, refused = seedsKey, otherKey
				}
				if n := fingerprints(t, db, where); n != 1 {
					t.Errorf("%d fingerprints stored, want 1", n)
				}
				if _, err := startNode(t, where, refused); !errors.Is(err, sqlstore.ErrOtherMasterKey) {
					t.Errorf("a node with a key other than the stored one: %v", err)
				}
				if _, err := startNode(t, where, stored); err != nil {
					t.Errorf("a node with the stored key: %v", err)
				}
			})
		}
	}
}

// older makes a database as a server before the fingerprint left it: a
// user with a token sealed under the key in keyPath (withToken), and no
// fingerprint stored.
func older(t *testing.T, db database, where, keyPath string, withToken bool) {
	t.Helper()
	acct, err := server.OpenAccounts(context.Background(), server.Storage{DB: where, MasterKeyFile: keyPath}, account.Config{Hash: servertest.Cheap})
	if err != nil {
		t.Fatal(err)
	}
	if withToken {
		_, err = acct.AddUser(context.Background(), account.Admin, account.CommandLine,
			account.NewUser{UserID: "trader", Password: []byte("trader-pass"), Use2FA: true, Seed: true})
	}
	acct.Close()
	if err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, db, where)
	if _, err := raw.Exec(`DELETE FROM master_key`); err != nil {
		t.Fatal(err)
	}
}

// fingerprints counts the fingerprints the database stores.
func fingerprints(t *testing.T, db database, where string) int {
	t.Helper()
	var n int
	if err := rawDB(t, db, where).QueryRow(`SELECT COUNT(*) FROM master_key`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func rawDB(t *testing.T, db database, where string) *sql.DB {
	t.Helper()
	raw, err := db.raw(where)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}
