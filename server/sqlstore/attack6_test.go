package sqlstore_test

// Attacks on the first fix of the five round trips, which locked the
// token's row with every locked read of a user in a write transaction.
// Held: only a passcode's settling, begun ahead (store.Ahead.LockToken,
// NOWAIT), locks its token so.

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// When every locked read of a user in a pipelined write transaction
// (UserByID, UserByUserID) also locked the user's token (the first fix),
// even where the rules never look at the token, this happened: a rekey
// (ResealTokens) locks the tokens in user_id order, without the users. A
// write transaction that reads two users, the later-made one
// first (an administrator's grant, then the user the administrator
// changes: userOf with Grant.For), locks their tokens in the other order:
// the two deadlock; PostgreSQL breaks it after deadlock_timeout (1 s) and
// the store runs the victim again from the start (up to maxTries): here
// the rekey, which re-seals every token again. Held: the rules' user
// reads take no token lock, and nothing deadlocks.
func TestAttack6TwoUsersAndRekeyDeadlock(t *testing.T) {
	a, b := twoNodes(t)
	low := makeUser(t, a, "low", 0, time.Time{}, 5)   // the user changed
	high := makeUser(t, a, "high", 0, time.Time{}, 5) // the administrator, made later
	holding, goOn := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var changes, rekeys atomic.Int32
	change := make(chan error, 1)
	start := time.Now()
	go func() {
		change <- a.Update(context.Background(), func(tx store.Tx) error {
			changes.Add(1)
			if _, err := tx.UserByID(high); err != nil { // the administrator's grant (current)
				return err
			}
			once.Do(func() { close(holding) })
			<-goOn
			_, err := tx.UserByID(low) // the user changed
			return err
		})
	}()
	<-holding
	rekey := make(chan error, 1)
	go func() {
		rekey <- b.Update(context.Background(), func(tx store.Tx) error {
			rekeys.Add(1)
			_, err := tx.ResealTokens(func(_ int64, sealed []byte) ([]byte, error) { return sealed, nil })
			return err
		})
	}()
	time.Sleep(300 * time.Millisecond) // the rekey holds low's token and waits for high's
	close(goOn)
	for name, ch := range map[string]chan error{"the administrator's change": change, "the rekey": rekey} {
		select {
		case err := <-ch:
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s: still waiting after 10s", name)
		}
	}
	if took := time.Since(start) - 300*time.Millisecond; changes.Load() != 1 || rekeys.Load() != 1 || took > 700*time.Millisecond {
		t.Errorf("an administrator's change and a rekey: runs %d and %d (want 1 each), %v after both began: they deadlocked", changes.Load(), rekeys.Load(), took.Round(time.Millisecond))
	}
}

// A write transaction that reads a user and nothing of their token (a
// password's settling, an administrator disabling the user) must not wait
// for a rekey's whole transaction, holding the user's row meanwhile, as it
// did while the token's row lock came with the user's row.
func TestAttack6UserReadWaitsForRekey(t *testing.T) {
	a, b := twoNodes(t)
	id := makeUser(t, a, "alice", 0, time.Time{}, 5)
	release := holdTokens(t, b)
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	err := a.Update(ctx, func(tx store.Tx) error {
		u, err := tx.UserByID(id)
		if err != nil {
			return err
		}
		u.Active = false
		return tx.UpdateUser(u)
	})
	if err != nil || time.Since(start) > time.Second {
		t.Errorf("disable a user while a rekey runs: %v after %v (it waited for the token's row, which it never reads)", err, time.Since(start).Round(time.Millisecond))
	}
}
