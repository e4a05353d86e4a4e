package sqlstore_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// Rows read ahead (ahead.go) decode as the reads of a View do, for the
// edge values too: a case without a token (a NULL seed), an empty seed,
// a revoked passcode, an empty phone.
func TestAttackKeptEdgeValues(t *testing.T) {
	b := backends[1]
	ctx := context.Background()
	db, _ := openDB(t, b)
	now := time.Unix(1_800_000_000, 0)
	var id int64
	if err := db.Update(ctx, func(tx store.Tx) error {
		u, err := tx.CreateUser(store.User{UserID: "edge", PassHash: "x", Active: true})
		if err != nil {
			return err
		}
		id = u.ID
		if err := tx.SetToken(id, store.Token{Serial: "S", SealedSeed: []byte{}, Algorithm: "SHA1", Digits: 6, Period: 30, LastStep: 1 << 40, Drift: -3, Created: now}); err != nil {
			return err
		}
		if err := tx.SetTempPasscode(id, store.TempPasscode{Hash: "", Issued: now, Expires: now, Revoked: true}); err != nil {
			return err
		}
		return tx.SetDeskCase(id, store.DeskCase{Hash: []byte{}, Sealed: []byte{0}, Opened: now, Until: time.Time{}})
	}); err != nil {
		t.Fatal(err)
	}
	var viewed, kept hanging
	if err := db.View(ctx, func(tx store.ReadTx) (err error) { viewed, err = readHanging(tx, id); return err }); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx store.Tx) (err error) {
		if _, err := tx.UserByID(id); err != nil {
			return err
		}
		kept, err = readHanging(tx, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(viewed, kept) {
		t.Errorf("read ahead:\n%#v\nviewed:\n%#v", kept, viewed)
	}
}
