package main

import (
	"database/sql"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	_ "modernc.org/sqlite" // to change the database behind the server's back

	"github.com/softtoken/softtoken/internal/scripttest"
)

// TestMain lets the scripts run this package's main as softtoken-server.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"softtoken-server": main})
}

// TestScripts runs the command line's scripts in testdata/script: the
// admin commands on a fresh SQLite database each, their output, usage
// errors and exit statuses.
func TestScripts(t *testing.T) {
	scripttest.Run(t, "testdata/script", map[string]scripttest.Cmd{"sqlite": sqliteCmd}, nil)
}

// sqliteCmd is the script command `sqlite DB STATEMENT`: it changes the
// database behind the server's back, as an intruder with the file would.
func sqliteCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sqlite DB STATEMENT")
	}
	db, err := sql.Open("sqlite", "file:"+ts.MkAbs(args[0]))
	if err != nil {
		ts.Fatalf("sqlite: %v", err)
	}
	defer db.Close()
	if _, err := db.Exec(args[1]); err != nil {
		ts.Fatalf("sqlite: %v", err)
	}
}
