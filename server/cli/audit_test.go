package cli_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // to tamper with the database as an intruder would

	"github.com/softtoken/softtoken/server/cli"
)

// audited makes a database whose audit holds at least five records, and
// returns how many.
func audited(t *testing.T) (*admin, int) {
	t.Helper()
	a := newAdmin(t)
	a.add("trader-pass-1\n", "trader")
	for _, cmd := range []string{"disable", "enable", "unlock", "disable"} {
		if _, err := a.run("", "user", cmd, "trader"); err != nil {
			t.Fatalf("user %s: %v", cmd, err)
		}
	}
	var n int
	if err := rawDB(t, a.db).QueryRow(`SELECT COUNT(*) FROM audit`).Scan(&n); err != nil || n < 5 {
		t.Fatalf("the audit holds %d records (%v), want 5 or more", n, err)
	}
	return a, n
}

// rawDB opens the database with database/sql alone: what someone with
// write access to the file, but not the master key, can do.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// `audit verify` names the first record changed, removed or inserted
// behind the server's back, and fails (exit status 1: not a usage error);
// an untouched audit verifies.
func TestAuditVerifyNamesTamperedRecords(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(n int) []string
		want   string // in the error; "" for none
	}{
		{"untouched", func(int) []string { return nil }, ""},
		{"a field changed", func(int) []string {
			return []string{`UPDATE audit SET outcome = 'failed' WHERE id = 2`}
		}, "audit record 2 (20"},
		{"a user ID changed", func(int) []string {
			return []string{`UPDATE audit SET userid = 'someone-else' WHERE id = 3`}
		}, "audit record 3 (20"},
		{"a middle record removed", func(int) []string {
			return []string{`DELETE FROM audit WHERE id = 3`}
		}, "audit record 3 was removed"},
		{"the last record removed", func(n int) []string {
			return []string{fmt.Sprintf(`DELETE FROM audit WHERE id = %d`, n)}
		}, "was removed"},
		{"a forged record inserted", func(n int) []string {
			return []string{fmt.Sprintf(`INSERT INTO audit (id, at, userid, client, event, outcome, detail, prev, hash)
				SELECT %d, at + 1, 'trader', 'admin command line', 'user unlock', 'OK', '', hash, randomblob(32) FROM audit WHERE id = %d`, n+1, n)}
		}, fmt.Sprintf("audit record %%d (20")},
		{"two records swapped", func(int) []string {
			return []string{
				`UPDATE audit SET id = -2 WHERE id = 2`, `UPDATE audit SET id = 2 WHERE id = 3`, `UPDATE audit SET id = 3 WHERE id = -2`,
			}
		}, "audit record 2 (20"},
		{"the chain's head removed", func(int) []string { return []string{`DELETE FROM audit_head`} }, "has no head"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, n := audited(t)
			raw := rawDB(t, a.db)
			for _, stmt := range tt.tamper(n) {
				if _, err := raw.Exec(stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			raw.Close()
			out, err := a.run("", "audit", "verify")
			want := tt.want
			if strings.Contains(want, "%d") {
				want = fmt.Sprintf(want, n+1)
			}
			if want == "" {
				if err != nil || !strings.Contains(out, fmt.Sprintf("The audit holds: %d records", n)) {
					t.Errorf("an untouched audit: %q, %v", out, err)
				}
				return
			}
			var usage *cli.UsageError
			if err == nil || errors.As(err, &usage) || !strings.Contains(err.Error(), want) {
				t.Errorf("got %v; want an error naming %q", err, want)
			}
		})
	}
}

// A record whose fields hold line breaks and terminal escapes (written
// before the rules stripped them, or straight into the database) prints
// on one line, escaped, and does not pose as another record; --json
// prints one parsable object a line with every field, its sequence
// number and its hash.
func TestAuditPrintsHostileFieldsEscaped(t *testing.T) {
	a, n := audited(t)
	forged := "nobody\n2026-01-01T00:00:00Z  root  admin command line  user delete  OK"
	_, err := rawDB(t, a.db).Exec(`INSERT INTO audit (id, at, userid, client, event, outcome, detail) VALUES (?, 1800000000, ?, ?, 'login', 'OK', ?)`,
		n+1, forged, "\x1b[2J\x1b[1;1H10.0.0.1", "bell\a\u202eevil")
	if err == nil {
		_, err = rawDB(t, a.db).Exec(`INSERT INTO audit (id, at, event, outcome) VALUES (?, 1800000000, ?, 'OK')`, n+2, "\x9b2Jlogin")
	}
	if err != nil {
		t.Fatal(err)
	}
	out, err := a.run("", "audit")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != n+3 || strings.ContainsAny(out, "\x1b\a\u202e") || strings.Contains(out, "\x9b") || !strings.Contains(lines[n+2], `"\x9b2Jlogin"`) {
		t.Errorf("%d lines (want %d), or a raw control character:\n%q", len(lines), n+3, out)
	}
	last := lines[n+1]
	if !strings.Contains(last, `"nobody\n2026-01-01T00:00:00Z  root`) || !strings.Contains(last, `"\x1b[2J\x1b[1;1H10.0.0.1"`) {
		t.Errorf("the hostile record printed as %q", last)
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "2026-01-01") {
			t.Errorf("a forged line: %q", l)
		}
	}
	checkAuditLines(t, a, n, forged)
}

// checkAuditLines runs `audit --json` and checks its lines.
func checkAuditLines(t *testing.T, a *admin, n int, forged string) {
	t.Helper()
	out, err := a.run("", "audit", "--json")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != n+2 {
		t.Fatalf("audit --json printed %d lines, want %d:\n%s", len(lines), n+2, out)
	}
	hexHash := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for i, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("line %d is not JSON: %q: %v", i+1, l, err)
		}
		if rec["seq"] != float64(i+1) || rec["event"] == "" || rec["at"] == "" {
			t.Errorf("line %d: %v", i+1, rec)
		}
		if h, _ := rec["hash"].(string); i < n && !hexHash.MatchString(h) {
			t.Errorf("line %d: hash %q", i+1, h)
		}
		if i == n && (rec["userid"] != forged || rec["detail"] != "bell\a\u202eevil") {
			t.Errorf("the hostile record as JSON: %v", rec)
		}
	}
}

// user list prints a user ID holding escape characters escaped, as audit
// does: a terminal never runs what a user ID holds.
func TestUserListEscapesUserIDs(t *testing.T) {
	a := newAdmin(t)
	a.add("evil-pass-1\n", "evil\x1b[2J\x1b]0;owned\a")
	out, err := a.run("", "user", "list")
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(out, "\x1b\a") || !strings.Contains(out, `\x1b`) {
		t.Errorf("user list printed the user ID raw:\n%q", out)
	}
}

// `audit --outcome CODE` finds the records of that code, and the records
// that hold a word (docs/audit.md) by their word's code, wherever they
// stand.
func TestAuditFiltersByOutcomeCode(t *testing.T) {
	a, n := audited(t)
	db := rawDB(t, a.db)
	for i, stmt := range []string{
		`INSERT INTO audit (id, at, userid, event, outcome) VALUES (?, 1800000000, 'old', 'login', 'OK')`,
		`INSERT INTO audit (id, at, userid, event, outcome) VALUES (?, 1800000000, 'old', 'login', 'invalid user ID or password')`,
		`UPDATE audit_codes SET first_seq = ? + 1`,
		`INSERT INTO audit (id, at, userid, event, outcome) VALUES (?, 1800000000, 'new', 'login', 'invalid passcode')`,
	} {
		if _, err := db.Exec(stmt, n+1+i); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	tests := []struct {
		code string
		want []string // userid outcome code of each record
	}{
		{"invalid_login", []string{"old invalid user ID or password invalid_login"}},
		{"invalid_code", []string{"new invalid passcode invalid_code"}},
		{"no_token", nil},
		{"ok", []string{"old OK ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			out, err := a.run("", "audit", "--json", "--outcome", tt.code)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for line := range strings.Lines(out) {
				var e struct{ UserID, Outcome, Code string }
				if err := json.Unmarshal([]byte(line), &e); err != nil {
					t.Fatalf("%q: %v", line, err)
				}
				if e.Code != tt.code {
					t.Errorf("--outcome %s printed a record of %q", tt.code, e.Code)
				}
				if e.UserID == "old" || e.UserID == "new" {
					got = append(got, e.UserID+" "+e.Outcome+" "+e.Code)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("--outcome %s: %q, want %q", tt.code, got, tt.want)
			}
		})
	}
	var usage *cli.UsageError
	if _, err := a.run("", "audit", "--outcome", "OK"); !errors.As(err, &usage) {
		t.Errorf("--outcome OK (a word, not a code): %v, want a usage error", err)
	}
}
