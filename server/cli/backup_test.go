package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `backup OUT` writes a copy that opens as a database of its own (with
// the master key, which it does not hold) and holds the users; it never
// overwrites a file, and sends PostgreSQL to pg_dump.
func TestBackup(t *testing.T) {
	a := newAdmin(t)
	a.add("trader-pass\n", "trader")
	out := filepath.Join(t.TempDir(), "copy.db")
	if _, err := a.run("", "backup", out); err != nil {
		t.Fatalf("backup: %v", err)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the backup: %v, %v (want mode 0600: it holds password hashes and sealed seeds)", fi, err)
	}
	copyAdmin := &admin{t: t, db: out, env: map[string]string{"SOFTTOKEN_MASTER_KEY_FILE": a.db + ".key"}}
	if list, err := copyAdmin.run("", "user", "list"); err != nil || !strings.Contains(list, "trader") {
		t.Errorf("user list on the backup: %q, %v", list, err)
	}
	before, _ := os.ReadFile(out)
	if _, err := a.run("", "backup", out); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a backup over an existing file: %v", err)
	}
	if after, _ := os.ReadFile(out); string(after) != string(before) {
		t.Error("the refused backup changed the existing file")
	}
	pg := &admin{t: t, db: "postgres://postgres@127.0.0.1:5432/softtoken?sslmode=disable", env: map[string]string{}}
	if _, err := pg.run("", "backup", filepath.Join(t.TempDir(), "pg.db")); err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("backup of a PostgreSQL database: %v, want a pointer to pg_dump", err)
	}
}
