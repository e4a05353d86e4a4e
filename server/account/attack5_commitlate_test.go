package account_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/postgres"
	"github.com/softtoken/softtoken/server/store"
)

// holdTokenRows has another node re-seal the tokens (a rekey's
// ResealTokens), holding their rows until release.
func holdTokenRows(t *testing.T, dsn string) (release func()) {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	locked, done, result := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	stop := errors.New("stop")
	go func() {
		result <- db.Update(context.Background(), func(tx store.Tx) error {
			_, err := tx.ResealTokens(func(int64, []byte) ([]byte, error) {
				select {
				case <-locked:
				default:
					close(locked)
				}
				<-done
				return nil, stop
			})
			return err
		})
	}()
	select {
	case <-locked:
	case err := <-result:
		t.Fatalf("hold the tokens' rows: %v", err)
	}
	released := false
	release = func() {
		if !released {
			released = true
			close(done)
			<-result
			db.Close()
		}
	}
	t.Cleanup(release)
	return release
}

// A verifylogin its back-end was told failed neither spends the passcode
// nor records a success. Now the settling (begun with the reservation's
// COMMIT, Tx.Then) sends the token's UPDATE with its COMMIT; when another
// node holds the token's row (a rekey re-sealing it), the back-end's
// request ends in an error, but the database commits it afterwards: the
// passcode is spent, alice's failures cleared, and a "passcode ok"
// recorded for a verification that was answered as failed.
func TestAttack5VerifyToldFailedCommitsLater(t *testing.T) {
	f := pgFixture(t)
	ctx := context.Background()
	o := account.Origin{Client: "127.0.0.1", Via: "websocket"}
	portal := service(t, f, "portal", "127.0.0.1", account.ServiceLimits{})
	before := len(events(t, f, "alice", "passcode"))
	release := holdTokenRows(t, f.dsn)
	tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	code := f.code(t, 0)
	_, err := f.svc.Verify(tctx, o, portal, "alice", []byte("correct horse"), code)
	if err == nil {
		t.Fatal("verified while another node held alice's token row")
	}
	t.Logf("the back-end was told: %v", err)
	release()
	time.Sleep(time.Second) // for the abandoned backend
	if got := events(t, f, "alice", "passcode"); len(got) != before {
		t.Errorf("audit records of alice's passcode after a verification told failed: %d more, last %+v", len(got)-before, got[len(got)-1])
	}
	if _, err := f.svc.Verify(ctx, o, portal, "alice", []byte("correct horse"), code); err != nil {
		t.Errorf("the same code again, the first verification having failed: %v (it was spent)", err)
	}
}
