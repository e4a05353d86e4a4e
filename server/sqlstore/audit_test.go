package sqlstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/auditchain"
	"github.com/softtoken/softtoken/server/sqlstore"
	"github.com/softtoken/softtoken/server/store"
)

var auditKey = bytes.Repeat([]byte{0xa5}, 32)

// openKeyed opens the database at path with the test's audit key.
func openKeyed(t *testing.T, b backend, path string) *sqlstore.DB {
	t.Helper()
	db, err := b.open(context.Background(), path, sqlstore.WithAuditKey(auditKey))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// appendAudit appends n records for userID, one a minute from at.
func appendAudit(t *testing.T, db store.Store, userID string, n int, at time.Time) {
	t.Helper()
	update(t, db, func(tx store.Tx) error {
		for i := range n {
			e := store.AuditEvent{At: at.Add(time.Duration(i) * time.Minute), UserID: userID, Client: "10.0.0.1", Event: "login", Outcome: "OK"}
			if err := tx.Audit(e); err != nil {
				return err
			}
		}
		return nil
	})
}

// walk reads the chain's head and records.
func walk(t *testing.T, db store.Store) (store.AuditHead, []store.AuditEvent) {
	t.Helper()
	var head store.AuditHead
	var recs []store.AuditEvent
	err := db.View(context.Background(), func(tx store.ReadTx) error {
		return tx.WalkAudit(func(h store.AuditHead) error { head = h; return nil },
			func(e store.AuditEvent) error { recs = append(recs, e); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return head, recs
}

// verify checks the chain under key.
func verify(t *testing.T, db store.Store, key []byte) (auditchain.Summary, error) {
	t.Helper()
	head, recs := walk(t, db)
	v := auditchain.New(key).Verifier(head)
	for _, e := range recs {
		if err := v.Add(e); err != nil {
			return auditchain.Summary{}, err
		}
	}
	return v.Finish()
}

// Each appended record links to the one before, from the genesis hash,
// under the key: the chain verifies with that key, and not with another.
func TestAuditChainLinks(t *testing.T) { onEach(t, testAuditChainLinks) }

func testAuditChainLinks(t *testing.T, b backend) {
	db := openKeyed(t, b, b.where(t))
	appendAudit(t, db, "alice", 3, time.Unix(1_800_000_000, 0))
	appendAudit(t, db, "bob", 2, time.Unix(1_800_001_000, 0))
	head, recs := walk(t, db)
	prev := auditchain.Genesis()
	for i, e := range recs {
		if e.ID != int64(i+1) || !bytes.Equal(e.Prev, prev) || len(e.Hash) != auditchain.Size {
			t.Fatalf("record %d: id %d, prev %x, hash %x; want prev %x", i, e.ID, e.Prev, e.Hash, prev)
		}
		prev = e.Hash
	}
	if head.Seq != 5 || !bytes.Equal(head.Hash, prev) || head.Earlier != 0 {
		t.Errorf("head %+v; want record 5, hash %x, no earlier records", head, prev)
	}
	if sum, err := verify(t, db, auditKey); err != nil || sum.Records != 5 {
		t.Errorf("verify: %+v, %v", sum, err)
	}
	var brk *auditchain.Break
	if _, err := verify(t, db, make([]byte, 32)); !errors.As(err, &brk) || brk.Seq != 1 {
		t.Errorf("verified under another key: %v", err)
	}
}

// A database from before the chain (its records have no hashes) has them
// linked when the server first opens it, from the genesis hash; the head
// says how many were written before the chain began.
func TestAuditChainBeginsOverEarlierRecords(t *testing.T) {
	onEach(t, testAuditChainBeginsOverEarlierRecords)
}

func testAuditChainBeginsOverEarlierRecords(t *testing.T, b backend) {
	path := b.where(t)
	db := openKeyed(t, b, path)
	db = behindTheBack(t, b, db, path, 4, `DROP TABLE audit_head`, `ALTER TABLE audit DROP COLUMN prev`, `ALTER TABLE audit DROP COLUMN hash`,
		`ALTER TABLE users DROP COLUMN lang`, `DROP TABLE desk_cases`, `ALTER TABLE users DROP COLUMN desk_question`,
		`ALTER TABLE users DROP COLUMN scope`, `ALTER TABLE users DROP COLUMN networks`,
		`DROP TABLE master_key`, `ALTER TABLE users DROP COLUMN directory_key`, `ALTER TABLE users DROP COLUMN source`, `ALTER TABLE users DROP COLUMN console_role`, `DROP TABLE api_keys`,
		`DELETE FROM schema_migrations WHERE version >= 9`) // the chain's migration and those after it
	head, _ := walk(t, db)
	if head.Seq != 4 || head.Earlier != 4 || head.Began.IsZero() {
		t.Errorf("head of a chain begun over 4 earlier records: %+v", head)
	}
	appendAudit(t, db, "bob", 1, time.Unix(1_800_002_000, 0))
	if sum, err := verify(t, db, auditKey); err != nil || sum.Records != 5 {
		t.Errorf("verify: %+v, %v", sum, err)
	}
}

// A head removed from a linked chain is not made again when the database
// is opened (that would bless whatever was changed): appends fail.
func TestAuditChainWithoutHeadRefusesAppends(t *testing.T) {
	onEach(t, testAuditChainWithoutHeadRefusesAppends)
}

func testAuditChainWithoutHeadRefusesAppends(t *testing.T, b backend) {
	path := b.where(t)
	db := openKeyed(t, b, path)
	db = behindTheBack(t, b, db, path, 2, `DELETE FROM audit_head`)
	err := db.Update(context.Background(), func(tx store.Tx) error { return tx.Audit(store.AuditEvent{Event: "login", Outcome: "OK"}) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an append to a chain without a head: %v", err)
	}
}

// behindTheBack appends n records to db, closes it, runs stmts on the
// file with database/sql alone, and opens it again.
func behindTheBack(t *testing.T, b backend, db *sqlstore.DB, path string, n int, stmts ...string) *sqlstore.DB {
	t.Helper()
	appendAudit(t, db, "alice", n, time.Unix(1_800_000_000, 0))
	db.Close()
	raw := rawDB(t, b, path)
	mustExec(t, raw, stmts...)
	raw.Close()
	return openKeyed(t, b, path)
}

// rawDB opens the database with database/sql alone, as someone with
// write access to it but not the key would.
func rawDB(t *testing.T, b backend, path string) *sql.DB {
	t.Helper()
	raw, err := b.raw(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func mustExec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// The migration to codes marks where they begin: a new database's first
// record, an old one's next record after those it holds, and a schema
// rolled back and migrated again the next record after all of them.
func TestAuditCodesBeginAfterTheOldRecords(t *testing.T) {
	onEach(t, testAuditCodesBeginAfterTheOldRecords)
}

func testAuditCodesBeginAfterTheOldRecords(t *testing.T, b backend) {
	path := b.where(t)
	db := openKeyed(t, b, path)
	if got := codesFrom(t, db); got != 1 {
		t.Errorf("a new database's codes begin at record %d, want 1", got)
	}
	db = behindTheBack(t, b, db, path, 3, `DROP TABLE audit_codes`, `DROP TABLE master_key`, `ALTER TABLE users DROP COLUMN directory_key`, `ALTER TABLE users DROP COLUMN source`, `ALTER TABLE users DROP COLUMN console_role`, `DROP TABLE api_keys`, `DELETE FROM schema_migrations WHERE version >= 13`)
	if got := codesFrom(t, db); got != 4 {
		t.Errorf("after 3 old records the codes begin at record %d, want 4", got)
	}
	db = behindTheBack(t, b, db, path, 2, `DROP TABLE master_key`, `ALTER TABLE users DROP COLUMN directory_key`, `ALTER TABLE users DROP COLUMN source`, `ALTER TABLE users DROP COLUMN console_role`, `DROP TABLE api_keys`, `DELETE FROM schema_migrations WHERE version >= 13`)
	if got := codesFrom(t, db); got != 6 {
		t.Errorf("migrated again after 5 records, the codes begin at record %d, want 6", got)
	}
	if sum, err := verify(t, db, auditKey); err != nil || sum.Records != 5 {
		t.Errorf("verify: %+v, %v", sum, err)
	}
}

// codesFrom is where db's audit outcomes become codes.
func codesFrom(t *testing.T, db *sqlstore.DB) int64 {
	t.Helper()
	var from int64
	err := db.View(context.Background(), func(tx store.ReadTx) error {
		var err error
		from, err = tx.AuditCodesFrom()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return from
}
