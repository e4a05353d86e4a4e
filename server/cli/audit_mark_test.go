package cli_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// userIDsOf runs `audit --json --outcome code` and returns the user ID of
// each record it prints, with its outcome as recorded.
func userIDsOf(t *testing.T, a *admin, code string) []string {
	t.Helper()
	out, err := a.run("", "audit", "--json", "--outcome", code)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for line := range strings.Lines(out) {
		var e struct{ UserID, Outcome string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		got = append(got, e.UserID+" "+e.Outcome)
	}
	return got
}

// A word a server of the version before codes writes after the mark (a
// node not upgraded yet while another migrated the database: nodes share
// it) is still that word's outcome: `audit --outcome` finds it.
func TestAuditOutcomeFindsWordsWrittenAfterTheMark(t *testing.T) {
	a, n := audited(t)
	if _, err := rawDB(t, a.db).Exec(`INSERT INTO audit (id, at, userid, event, outcome) VALUES (?, 1800000000, 'mallory', 'passcode', 'invalid passcode')`, n+1); err != nil {
		t.Fatal(err)
	}
	if got, want := userIDsOf(t, a, "invalid_code"), []string{"mallory invalid passcode"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("--outcome invalid_code: %q, want %q (the old node's refusal)", got, want)
	}
}

// The mark of where codes begin is outside the hash chain (`audit
// verify` holds whatever it says), so what `audit --outcome` finds among
// the old records must not depend on it.
func TestAuditOutcomeDoesNotDependOnTheMark(t *testing.T) {
	a, n := audited(t)
	raw := rawDB(t, a.db)
	if _, err := raw.Exec(`UPDATE audit_codes SET first_seq = 1`); err != nil {
		t.Fatal(err)
	}
	if out, err := a.run("", "audit", "verify"); err != nil || !strings.Contains(out, "The audit holds") {
		t.Fatalf("audit verify with the mark moved: %q, %v; want it to hold (the mark is not in the chain)", out, err)
	}
	for i, stmt := range []string{
		`INSERT INTO audit (id, at, userid, event, outcome) VALUES (?, 1800000000, 'old', 'login', 'invalid user ID or password')`,
		`UPDATE audit_codes SET first_seq = ? + 1`,
	} {
		if _, err := raw.Exec(stmt, n+1+i); err != nil {
			t.Fatal(err)
		}
	}
	before := userIDsOf(t, a, "invalid_login")
	if _, err := raw.Exec(`UPDATE audit_codes SET first_seq = 1`); err != nil {
		t.Fatal(err)
	}
	if after := userIDsOf(t, a, "invalid_login"); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("--outcome invalid_login with the mark moved to 1: %q; before: %q", after, before)
	}
}

// A mark deleted or doubled (the table is outside the chain) does not
// stop the audit from being read or verified: the mark decides nothing
// but what `audit verify` reports.
func TestAuditReadsWhateverTheMark(t *testing.T) {
	for _, stmt := range []string{
		`DELETE FROM audit_codes`,
		`INSERT INTO audit_codes (first_seq) VALUES (2)`,
	} {
		t.Run(stmt, func(t *testing.T) {
			a, _ := audited(t)
			before := userIDsOf(t, a, "ok")
			if _, err := rawDB(t, a.db).Exec(stmt); err != nil {
				t.Fatal(err)
			}
			if out, err := a.run("", "audit", "verify"); err != nil || !strings.Contains(out, "The audit holds") {
				t.Errorf("audit verify: %q, %v; want it to hold", out, err)
			}
			if after := userIDsOf(t, a, "ok"); len(after) == 0 || fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("--outcome ok: %q; before: %q", after, before)
			}
		})
	}
}
