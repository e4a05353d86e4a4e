package sqlstore_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/sqlstore"
	"github.com/softtoken/softtoken/server/store"
)

// What a write transaction reads of a user's token, temporary passcode
// and help desk case after it read the user's row is what a View reads,
// read ahead or not (ahead.go), and a write to one of them in the
// transaction is seen by the reads after it. On PostgreSQL the three
// reads go with the user's row: the round trips show it.
func TestReadAhead(t *testing.T) { onEach(t, testReadAhead) }

func testReadAhead(t *testing.T, b backend) {
	ctx := context.Background()
	c := &trips{n: map[string]int{}}
	db, err := b.open(ctx, b.where(t), sqlstore.WithRoundTrips(c.count))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Unix(1_800_000_000, 0)
	tok := store.Token{Serial: "S1", SealedSeed: []byte{1, 2, 3}, Algorithm: "SHA1", Digits: 6, Period: 30, LastStep: -1, Created: now}
	var id int64
	if err := db.Update(ctx, func(tx store.Tx) error {
		u, err := tx.CreateUser(store.User{UserID: "Alice", PassHash: "x", Active: true})
		if err != nil {
			return err
		}
		id = u.ID
		if err := tx.SetToken(id, tok); err != nil {
			return err
		}
		if err := tx.SetTempPasscode(id, store.TempPasscode{Hash: "h", Issued: now, Expires: now.Add(time.Hour)}); err != nil {
			return err
		}
		return tx.SetDeskCase(id, store.DeskCase{Hash: []byte{9}, Sealed: []byte{8}, Opened: now, Until: now.Add(time.Hour), Token: &tok, Phone: "+39"})
	}); err != nil {
		t.Fatal(err)
	}
	var want hanging
	if err := db.View(ctx, func(tx store.ReadTx) error { want, err = readHanging(tx, id); return err }); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		user func(tx store.Tx) (store.User, error)
	}{
		{"by row ID", func(tx store.Tx) (store.User, error) { return tx.UserByID(id) }},
		{"by user ID", func(tx store.Tx) (store.User, error) { return tx.UserByUserID("alice") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.since()
			if err := db.Update(ctx, func(tx store.Tx) error {
				if _, err := tc.user(tx); err != nil {
					return err
				}
				got, err := readHanging(tx, id)
				if err != nil {
					return err
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("read ahead:\n%+v\nwant\n%+v", got, want)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if n := c.since()[sqlstore.TripBatch]; b.name == "postgres" && n != 2 {
				t.Errorf("%d batches, want 2: BEGIN, the user's row and what hangs from it; COMMIT", n)
			}
		})
	}
	t.Run("written in the transaction", func(t *testing.T) {
		if err := db.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.UserByID(id); err != nil {
				return err
			}
			if ok, err := tx.AcceptStep(id, 7, 1); err != nil || !ok {
				return errors.Join(err, errors.New("step not accepted"))
			}
			if err := tx.RevokeTempPasscode(id); err != nil {
				return err
			}
			if _, err := tx.DeleteDeskCase(id); err != nil {
				return err
			}
			got, err := tx.TokenOf(id)
			if err != nil || got.LastStep != 7 || got.Drift != 1 {
				t.Errorf("token after the step: %+v, %v", got, err)
			}
			if tp, err := tx.TempPasscodeOf(id); err != nil || !tp.Revoked {
				t.Errorf("temporary passcode after its revocation: %+v, %v", tp, err)
			}
			if _, err := tx.DeskCaseOf(id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("help desk case after its closing: %v", err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("no such user", func(t *testing.T) {
		if err := db.Update(ctx, func(tx store.Tx) error {
			if _, err := tx.UserByUserID("nobody"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("UserByUserID: %v", err)
			}
			if _, err := tx.TokenOf(id); err != nil {
				t.Errorf("a token read after another user's miss: %v", err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

// hanging is what hangs from a user's row and is read ahead with it.
type hanging struct {
	Tok  store.Token
	Temp store.TempPasscode
	Desk store.DeskCase
}

// readHanging reads the token, temporary passcode and help desk case of
// the user of row ID id.
func readHanging(tx store.ReadTx, id int64) (h hanging, err error) {
	if h.Tok, err = tx.TokenOf(id); err != nil {
		return h, err
	}
	if h.Temp, err = tx.TempPasscodeOf(id); err != nil {
		return h, err
	}
	h.Desk, err = tx.DeskCaseOf(id)
	return h, err
}
