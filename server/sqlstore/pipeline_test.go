package sqlstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/store"
)

// A write that waits for the commit (pipeline.go) and then fails fails
// the whole transaction: what came before it is not committed, and the
// error is returned. On SQLite the same writes run at once and fail the
// same way, so the two backends must agree.
func TestLaterWriteFailsTheTransaction(t *testing.T) { onEach(t, testLaterWriteFails) }

func testLaterWriteFails(t *testing.T, b backend) {
	ctx := context.Background()
	db, where := openDB(t, b)
	raw := rawDB(t, b, where)
	triggers := map[string][]string{
		"sqlite": {`CREATE TRIGGER refuse BEFORE INSERT ON audit WHEN NEW.event = 'refused' BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END`},
		"postgres": {
			`CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN IF NEW.event = 'refused' THEN RAISE EXCEPTION 'refused by a trigger'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`,
			`CREATE TRIGGER refuse BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION refuse()`,
		},
	}
	for _, q := range triggers[b.name] {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	before := head(t, db)
	for _, tc := range []struct {
		name  string
		later func(tx store.Tx) error
	}{
		{"an audit record the database refuses", func(tx store.Tx) error {
			return tx.Audit(store.AuditEvent{Event: "refused", Outcome: "ok"})
		}},
		{"a refused audit record, then a read", func(tx store.Tx) error {
			if err := tx.Audit(store.AuditEvent{Event: "refused", Outcome: "ok"}); err != nil {
				return err
			}
			_, err := tx.UserByUserID("bob") // goes with the refused record, and fails with it
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := db.Update(ctx, func(tx store.Tx) error {
				if _, err := tx.CreateUser(store.User{UserID: "bob", PassHash: "x"}); err != nil {
					return err
				}
				if err := tx.Audit(store.AuditEvent{UserID: "bob", Event: "test", Outcome: "ok"}); err != nil {
					return err
				}
				return tc.later(tx)
			})
			if err == nil || !strings.Contains(err.Error(), "refused by a trigger") {
				t.Fatalf("Update: %v, want the trigger's refusal", err)
			}
			if err := db.View(ctx, func(tx store.ReadTx) error { _, err := tx.UserByUserID("bob"); return err }); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the user made before the failure: %v, want not found", err)
			}
			if got := head(t, db); got.Seq != before.Seq {
				t.Errorf("the audit's head moved from %d to %d", before.Seq, got.Seq)
			}
		})
	}
	// The connection the failures ran on serves again.
	if err := db.Update(ctx, func(tx store.Tx) error {
		_, err := tx.CreateUser(store.User{UserID: "carol", PassHash: "x"})
		return err
	}); err != nil {
		t.Fatalf("a write after the failures: %v", err)
	}
}

// head reads the audit chain's head.
func head(t *testing.T, db store.Store) store.AuditHead {
	t.Helper()
	var h store.AuditHead
	if err := db.View(context.Background(), func(tx store.ReadTx) error {
		var err error
		h, err = tx.AuditHead()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return h
}
