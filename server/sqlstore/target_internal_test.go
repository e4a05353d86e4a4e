package sqlstore

import (
	"strings"
	"testing"
)

// target names the table of every kind of write the store sends, and
// forgets everything for what it cannot name (ahead.go).
func TestTarget(t *testing.T) {
	for _, tc := range []struct {
		query string
		table string
		write bool
	}{
		{tokenOfUser, "", false},
		{"SELECT id FROM users WHERE id = $1 FOR UPDATE", "", false},
		{"INSERT INTO tokens (user_id, serial) VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET serial=excluded.serial", "tokens", true},
		{"insert into temp_passcodes(user_id) values ($1)", "temp_passcodes", true},
		{"UPDATE tokens SET last_step=$1 WHERE user_id=$2 AND last_step < $3", "tokens", true},
		{"\n\t\tDELETE FROM desk_cases WHERE user_id=$1", "desk_cases", true},
		{"UPDATE users SET failures=0 WHERE id=$1", "users", true},
		{`UPDATE public."tokens" SET drift=0`, "tokens", true},
		{"DELETE FROM users WHERE id=$1", "", true}, // cascades
		{"WITH gone AS (DELETE FROM tokens RETURNING 1) SELECT count(*) FROM gone", "tokens", true},
		{"WITH r AS (UPDATE users SET failures = failures + 1, locked_until = CASE WHEN failures + 1 >= $1 THEN CAST($2 AS BIGINT) ELSE 0 END WHERE id = $3 RETURNING failures) SELECT 1 / count(*) FROM r", "users", true},
		{"WITH a AS (UPDATE tokens SET drift=0 RETURNING 1) UPDATE users SET failures=0", "", true},
		{"WITH a AS (SELECT 1), b AS (DELETE FROM tokens RETURNING 1) SELECT 1", "", true},
		{"WITH a AS (DELETE FROM users WHERE id=$1 RETURNING 1) SELECT 1 FROM a", "", true}, // cascades
		{"WITH a AS (UPDATE tokens SET drift=0", "", true},
		{"TRUNCATE tokens", "", true},
	} {
		if table, write := target(tc.query); table != tc.table || write != tc.write {
			t.Errorf("%q: %q, %v; want %q, %v", tc.query, table, write, tc.table, tc.write)
		}
	}
}

// Each read that goes ahead names the user by row ID exactly as aheadStmts
// rewrites it for a read by user ID: a statement written otherwise would
// be sent unchanged with a user ID where a row ID goes.
func TestAheadQueriesByRowID(t *testing.T) {
	for _, a := range aheadOfUser {
		if n := strings.Count(a.query, "user_id=?"); n != 1 || strings.Count(a.query, "?") != 1 {
			t.Errorf("%s: want one argument, user_id=?", a.query)
		}
		if table, _ := target("DELETE FROM " + a.table); table != a.table {
			t.Errorf("%s: a write to it would not be told (%q)", a.table, table)
		}
	}
}
