package account_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/postgres"
	"github.com/softtoken/softtoken/server/store"
)

// A first fix of the five round trips locked the user's token with every
// locked read of a user in a write transaction (no longer). A managing
// back-end made after alice, with a token, disables alice (Grant.For:
// its own row and token first, then alice's); a rekey on another node
// locks the tokens in row ID order (alice's first). The two deadlock;
// PostgreSQL breaks it and one of them runs again from the start: here
// the rekey, which re-seals every token again (three such and it fails).
func TestAttack6AdminChangeDeadlocksRekey(t *testing.T) {
	f := pgFixture(t)
	ctx := context.Background()
	from := account.Origin{Client: "127.0.0.1", Via: "websocket"}
	manager := service(t, f, "provisioning", "127.0.0.1", account.ServiceLimits{Scopes: account.Scopes})
	db, err := postgres.Open(ctx, f.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Update(ctx, func(tx store.Tx) error {
		u, err := tx.UserByUserID("provisioning")
		if err != nil {
			return err
		}
		return tx.SetToken(u.ID, store.Token{Serial: "P1", SealedSeed: []byte{1}, Algorithm: "SHA1", Digits: 6, Period: 30})
	}); err != nil {
		t.Fatal(err)
	}
	release := holdUserRow(t, f.dsn, "alice")
	change := make(chan error, 1)
	go func() { change <- f.svc.SetActive(ctx, from, manager.For("alice"), false) }()
	time.Sleep(300 * time.Millisecond) // the change holds its own row and token, and waits for alice's row
	var runs atomic.Int32
	rekey := make(chan error, 1)
	go func() {
		rekey <- db.Update(ctx, func(tx store.Tx) error {
			runs.Add(1)
			_, err := tx.ResealTokens(func(_ int64, sealed []byte) ([]byte, error) { return sealed, nil })
			return err
		})
	}()
	time.Sleep(300 * time.Millisecond) // the rekey holds alice's token and waits for the back-end's
	release()
	for name, ch := range map[string]chan error{"disable alice": change, "the rekey": rekey} {
		select {
		case err := <-ch:
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s: still waiting after 10s", name)
		}
	}
	if runs.Load() != 1 {
		t.Errorf("the rekey ran %d times: it deadlocked with an administrator's change and was run again", runs.Load())
	}
}
