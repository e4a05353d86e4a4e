package cli_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Tampering with the audit's hash chain is found or told. The intruder
// writes to the database file but has not the master key.

// The chain's head is a plain row beside the records. An
// intruder who deletes the last records and copies the hash of the new
// last one into the head leaves a chain that verifies: the most recent
// records (what they did) vanish without a trace.
func TestAuditTailTruncationIsFound(t *testing.T) {
	a, n := audited(t)
	raw := rawDB(t, a.db)
	keep := n - 3
	for _, stmt := range []string{
		fmt.Sprintf(`DELETE FROM audit WHERE id > %d`, keep),
		fmt.Sprintf(`UPDATE audit_head SET seq = %d, hash = (SELECT hash FROM audit WHERE id = %d)`, keep, keep),
	} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	raw.Close()
	out, err := a.run("", "audit", "verify")
	if err == nil {
		t.Errorf("the last %d of %d records were deleted and the head moved back; audit verify: %q", n-keep, n, out)
	}
}

// A database whose chain has no head and no linked record is
// taken for one made before the chain existed, and the next command that
// opens it with the key (serve, any admin command) links every record as
// it stands. An intruder who rewrites records, clears prev and hash and
// deletes the head has their rewrite blessed: audit verify then says the
// audit holds (only noting that the records were "linked then").
func TestAuditRewrittenAndClearedIsNotRechained(t *testing.T) {
	a, n := audited(t)
	raw := rawDB(t, a.db)
	for _, stmt := range []string{
		`UPDATE audit SET userid = 'someone-else', outcome = 'failed' WHERE id = 3`,
		`DELETE FROM audit WHERE id = 4`,
		`UPDATE audit SET id = id - 1 WHERE id > 4`,
		`UPDATE audit SET prev = NULL, hash = NULL`,
		`DELETE FROM audit_head`,
	} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	raw.Close()
	if _, err := a.run("", "user", "list"); err != nil { // any command an administrator runs
		t.Fatal(err)
	}
	out, err := a.run("", "audit", "verify")
	t.Logf("audit verify: %q, %v", out, err)
	if err == nil && strings.Contains(out, "The audit holds") {
		t.Errorf("a rewritten audit (%d records, one changed, one removed) verifies after the intruder cleared the chain: %q", n, out)
	}
}

// A whole database put back to an earlier state (an older copy restored
// over it, or the newest records removed with an old sealed head copied
// back) holds a chain that verifies from inside. Checked against a head
// seen earlier and kept elsewhere (serve logs it every hour), it does
// not: audit verify --expect names the record that is gone. serve's log
// holds that witness.
func TestAuditCutBackIsFoundAgainstAWitness(t *testing.T) {
	a, _ := audited(t)
	backup := filepath.Join(t.TempDir(), "backup.db")
	if _, err := a.run("", "backup", backup); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"enable", "disable"} { // what the intruder wants gone
		if _, err := a.run("", "user", cmd, "trader"); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	a.logs = &logs
	_, stop := a.serve()
	stop()
	m := regexp.MustCompile(`witness=(\d+:[0-9a-f]{64})`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("serve logged no audit head:\n%s", logs.String())
	}
	witness := m[1]
	if out, err := a.run("", "audit", "verify", "--expect", witness); err != nil {
		t.Fatalf("audit verify --expect %s on the untouched audit: %v %s", witness, err, out)
	}
	// The backup, restored in the database's place (a file of its own
	// here), with the same master key.
	restored := []string{"--db", backup, "--master-key", a.db + ".key"}
	if out, err := a.run("", append([]string{"audit", "verify"}, restored...)...); err != nil {
		t.Fatalf("the older copy verifies from inside, as it should: %v %s", err, out)
	}
	out, err := a.run("", append([]string{"audit", "verify", "--expect", witness}, restored...)...)
	if err == nil || !strings.Contains(err.Error(), "was witnessed but is gone") {
		t.Errorf("audit verify --expect %s on an older copy: %v %s", witness, err, out)
	}
	if _, err := a.run("", "audit", "verify", "--expect", "12:zz"); err == nil {
		t.Error("a malformed witness was taken")
	}
}

// Someone with write access to the database (not
// the master key) rolls its schema back to before the chain, so that the
// next start takes a rewritten audit for one from before the chain and
// links it. The chain cannot tell that from inside; the start that
// begins a chain over earlier records says so, in its log as a warning
// and in the audit itself, and a witness logged before shows the rewrite.
func TestAuditSchemaRollbackIsTold(t *testing.T) {
	a, _ := audited(t)
	var logs bytes.Buffer
	a.logs = &logs
	_, stop := a.serve()
	stop()
	witness := regexp.MustCompile(`witness=(\d+:[0-9a-f]{64})`).FindStringSubmatch(logs.String())
	if witness == nil {
		t.Fatalf("serve logged no audit head:\n%s", logs.String())
	}
	rollBackSchema(t, a)
	logs.Reset()
	if _, err := a.run("", "user", "list"); err != nil { // any command an administrator runs
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "hash chain began") {
		t.Errorf("the start that began the chain again did not warn:\n%s", logs.String())
	}
	if out, _ := a.run("", "audit", "--json"); !strings.Contains(out, `"event":"audit chain"`) || !strings.Contains(out, "rolled back") {
		t.Errorf("the audit does not record the chain's new beginning:\n%s", out)
	}
	if out, err := a.run("", "audit", "verify", "--expect", witness[1]); err == nil {
		t.Errorf("the rewritten audit verifies against the witness logged before: %s", out)
	}
}

// The schema rollback told
// by every start (TestAuditSchemaRollbackIsTold) was told by no one when
// the first command to open the database afterwards was `migrate`, which
// an operator runs first, once, before starting new nodes: every later
// start found the chain begun and said nothing. migrate tells it too.
func TestAuditSchemaRollbackIsToldByMigrate(t *testing.T) {
	a, _ := audited(t)
	rollBackSchema(t, a)
	var logs bytes.Buffer
	a.logs = &logs
	if out, err := a.run("", "migrate"); err != nil {
		t.Fatalf("migrate: %v %s", err, out)
	}
	if _, err := a.run("", "user", "list"); err != nil {
		t.Fatal(err)
	}
	_, stop := a.serve()
	stop()
	if !strings.Contains(logs.String(), "hash chain began") {
		t.Errorf("migrate, then the admin commands and serve, began the chain over a rolled-back audit without a warning:\n%s", logs.String())
	}
	if out, _ := a.run("", "audit", "--json"); !strings.Contains(out, `"event":"audit chain"`) {
		t.Errorf("the audit does not record the chain's new beginning after migrate:\n%s", out)
	}
}

// rollBackSchema does what an intruder with write access to the database
// (not the master key) does to pass a rewritten audit off as one from
// before the chain: a record changed, the chain's columns and head
// dropped, the schema put back to before the chain's migration.
func rollBackSchema(t *testing.T, a *admin) {
	t.Helper()
	raw := rawDB(t, a.db)
	for _, stmt := range []string{
		`UPDATE audit SET outcome = 'failed' WHERE id = 3`,
		`DROP TABLE audit_head`, `ALTER TABLE audit DROP COLUMN prev`, `ALTER TABLE audit DROP COLUMN hash`,
		`ALTER TABLE users DROP COLUMN lang`, `DROP TABLE desk_cases`, `ALTER TABLE users DROP COLUMN desk_question`,
		`ALTER TABLE users DROP COLUMN scope`, `ALTER TABLE users DROP COLUMN networks`,
		`DROP TABLE master_key`, `ALTER TABLE users DROP COLUMN directory_key`, `ALTER TABLE users DROP COLUMN source`, `ALTER TABLE users DROP COLUMN console_role`, `DROP TABLE api_keys`,
		`DELETE FROM schema_migrations WHERE version >= 9`,
	} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	raw.Close()
}
