package account_test

// The grant of the web back-end that asks (Verify) is read in the first
// write transaction (Tx.Peek), in the batch that also reads the user's
// row and makes or locks the throttle's row, after a hashing slot was
// taken. An attack on its first version found that a disabled back-end's
// request then waited for (and took) the user's row lock, held hashing
// room meanwhile, and that an outage met there came back as the driver's
// error: these tests hold the answers to each. The user's row is now
// read there without a lock (the password's settling reads it again,
// locked).

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/pgtest"
	"github.com/softtoken/softtoken/server/postgres"
	"github.com/softtoken/softtoken/server/seal"
	"github.com/softtoken/softtoken/server/sms"
	"github.com/softtoken/softtoken/server/sqlstore"
)

// pgFixture is the fixture on a PostgreSQL database of its own.
func pgFixture(t *testing.T, opts ...func(*fixture)) *fixture {
	t.Helper()
	if testing.Short() {
		t.Skip("PostgreSQL: slow, skipped with -short")
	}
	dsn := pgtest.Start(t)
	return newFixture(t, append([]func(*fixture){func(f *fixture) { f.dsn = dsn }}, opts...)...)
}

// holdUserRow locks userID's row from a raw connection, as another node's
// transaction that read the user does, until the returned release.
func holdUserRow(t *testing.T, dsn, userID string) (release func()) {
	t.Helper()
	raw, err := postgres.OpenRaw(dsn)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := raw.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := tx.QueryRow(`SELECT id FROM users WHERE userid = $1 FOR UPDATE`, userID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	done := false
	release = func() {
		if !done {
			done = true
			tx.Rollback()
			raw.Close()
		}
	}
	t.Cleanup(release)
	return release
}

// disabledPortal is a verify-only service account "portal", signed in,
// then disabled: its grant no longer holds.
func disabledPortal(t *testing.T, f *fixture) account.Grant {
	t.Helper()
	g := service(t, f, "portal", "127.0.0.1", account.ServiceLimits{})
	if err := f.svc.SetActive(context.Background(), admin, account.ByAdmin("portal"), false); err != nil {
		t.Fatal(err)
	}
	return g
}

// A disabled back-end is refused at once, whatever another node holds
// of the user's: the batch that reads its grant does not wait for the
// user's row.
func TestAttack5DisabledVerifierWaitsForTheUsersRow(t *testing.T) {
	f := pgFixture(t)
	portal := disabledPortal(t, f)
	release := holdUserRow(t, f.dsn, "alice")
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	_, err := f.svc.Verify(ctx, account.Origin{Client: "127.0.0.1", Via: "websocket"}, portal, "alice", []byte("correct horse"), f.code(t, 0))
	took := time.Since(start)
	if !errors.Is(err, account.ErrSignedOut) {
		t.Errorf("Verify by a disabled back-end while alice's row is held: %v, want ErrSignedOut (refused)", err)
	}
	if took > time.Second {
		t.Errorf("the refusal took %v: it waited for alice's row", took)
	}
}

// A disabled back-end's refused request holds hashing room for no longer
// than the round trip that refuses it, however long another node holds
// the user's row: it does not keep a user's check of their password
// waiting.
func TestAttack5DisabledVerifierHoldsHashingRoom(t *testing.T) {
	pool := password.NewPool(2*int64(cheap.Memory)<<10, 200*time.Millisecond) // room for one check
	f := pgFixture(t, func(f *fixture) { f.hashing = pool })
	portal := disabledPortal(t, f)
	release := holdUserRow(t, f.dsn, "alice")
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	refused := make(chan error, 1)
	go func() {
		_, err := f.svc.Verify(ctx, account.Origin{Client: "127.0.0.1", Via: "websocket"}, portal, "alice", []byte("x"), "")
		refused <- err
	}()
	time.Sleep(500 * time.Millisecond) // the disabled back-end's request is under way
	_, _, err := f.svc.CheckPassword(context.Background(), account.Origin{Client: "198.51.100.7", Via: "websocket"}, "portal-user-who-does-not-exist", []byte("pw"))
	if errors.Is(err, account.ErrBusy) {
		t.Errorf("another login while a disabled back-end's request waits: %v: the refused back-end holds the hashing room", err)
	}
	release()
	if err := <-refused; !errors.Is(err, account.ErrSignedOut) {
		t.Errorf("the disabled back-end's Verify: %v, want ErrSignedOut", err)
	}
}

// An outage met while the back-end's grant is read (here: the store's own
// timeout, the user's row being held) is ErrUnavailable, as every other
// outage of the rules is (outages): the adapters answer "unavailable",
// and the driver's words stay in the log (Verify keeps the outage in the
// error it unwraps from verifierRefused).
func TestAttack5OutageAtTheVerifierCheckIsUnavailable(t *testing.T) {
	f := pgFixture(t)
	portal := service(t, f, "portal", "127.0.0.1", account.ServiceLimits{})
	db, err := postgres.Open(context.Background(), f.dsn, sqlstore.WithTimeout(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sealer, _ := seal.New(make([]byte, 32))
	svc := account.New(db, sealer, account.Config{MaxFailures: 3, LockFor: time.Minute, Hash: f.hash,
		SMS: sms.Outbox{Dir: f.outbox}, Now: func() time.Time { return f.now }})
	release := holdUserRow(t, f.dsn, "alice")
	defer release()
	_, err = svc.Verify(context.Background(), account.Origin{Client: "127.0.0.1", Via: "websocket"}, portal, "alice", []byte("correct horse"), f.code(t, 0))
	if !errors.Is(err, account.ErrUnavailable) {
		t.Errorf("Verify when the store times out: %v, want ErrUnavailable", err)
	}
}
