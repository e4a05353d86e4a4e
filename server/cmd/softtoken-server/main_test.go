package main

import (
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // to change the database behind the server's back
)

// runCmd runs the binary's run function with stdin, and returns what it
// printed and the status it would exit with (0 for success).
func runCmd(t *testing.T, stdin string, args ...string) (string, int) {
	t.Helper()
	in, err := os.CreateTemp(t.TempDir(), "stdin")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if _, err := in.WriteString(stdin); err != nil {
		t.Fatal(err)
	}
	in.Seek(0, io.SeekStart)
	var out strings.Builder
	if err := run(context.Background(), args, in, &out, io.Discard); err != nil {
		return out.String() + err.Error(), exitStatus(err)
	}
	return out.String(), 0
}

// `audit verify` exits with status 0 on an untouched audit, and with 1
// naming the record once one was changed in the database directly.
func TestAuditVerifyExitStatus(t *testing.T) {
	db := filepath.Join(t.TempDir(), "softtoken.db")
	if out, status := runCmd(t, "root-password\n", "user", "add", "--db", db, "--admin", "root"); status != 0 {
		t.Fatalf("user add: %s", out)
	}
	if out, status := runCmd(t, "", "audit", "verify", "--db", db); status != 0 || !strings.Contains(out, "The audit holds") {
		t.Fatalf("an untouched audit: status %d, %s", status, out)
	}
	raw, err := sql.Open("sqlite", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE audit SET userid = 'mallory' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if out, status := runCmd(t, "", "audit", "verify", "--db", db); status != 1 || !strings.Contains(out, "audit record 1 (") {
		t.Errorf("a changed record: status %d, %s", status, out)
	}
	if _, status := runCmd(t, "", "audit", "verify", "--db", db, "extra"); status != 2 {
		t.Errorf("a command line that makes no sense: status %d, want 2", status)
	}
}
