package sqlstore_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// update runs fn in a transaction and fails the test on an error.
func update(t *testing.T, db store.Store, fn func(store.Tx) error) {
	t.Helper()
	if err := db.Update(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// view reads with fn.
func view[T any](t *testing.T, db store.Store, fn func(store.ReadTx) (T, error)) T {
	t.Helper()
	var out T
	if err := db.View(context.Background(), func(tx store.ReadTx) error {
		var err error
		out, err = fn(tx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustUser(t *testing.T, db store.Store, userID string) store.User {
	t.Helper()
	var u store.User
	update(t, db, func(tx store.Tx) error {
		var err error
		u, err = tx.CreateUser(store.User{UserID: userID, PassHash: "h", Active: true, Attr: []byte(`{"email":"a@b"}`)})
		return err
	})
	return u
}

func TestUsers(t *testing.T) { onEach(t, testUsers) }

func testUsers(t *testing.T, b backend) {
	ctx := context.Background()
	db, path := openDB(t, b)
	u := mustUser(t, db, "BTSUser0.9999@bts.com")
	err := db.Update(ctx, func(tx store.Tx) error {
		_, err := tx.CreateUser(store.User{UserID: "btsuser0.9999@BTS.com", PassHash: "h"})
		return err
	})
	if !errors.Is(err, store.ErrExists) {
		t.Errorf("duplicate in other case: got %v", err)
	}
	got := view(t, db, func(tx store.ReadTx) (store.User, error) { return tx.UserByUserID("btsuser0.9999@bts.com") })
	if got.ID != u.ID || string(got.Attr) != `{"email":"a@b"}` || !got.Active || got.Epoch != 0 || got.Lang != "en" {
		t.Fatalf("got %+v", got)
	}
	update(t, db, func(tx store.Tx) error {
		got.Roles, got.IsAdmin, got.Lang = "XXSSS", true, "it"
		if err := tx.UpdateUser(got); err != nil {
			return err
		}
		if _, err := tx.BumpEpoch(u.ID); err != nil {
			return err
		}
		return tx.SetPassword(u.ID, "h2", true)
	})
	db.Close()
	// Reopening applies no migration twice and keeps the data.
	db2, err := b.open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	got = view(t, db2, func(tx store.ReadTx) (store.User, error) { return tx.UserByID(u.ID) })
	if got.Roles != "XXSSS" || !got.IsAdmin || got.PassHash != "h2" || !got.MustChangePassword || got.Epoch != 1 || got.Lang != "it" {
		t.Errorf("after reopen: %+v", got)
	}
	if err := db2.View(ctx, func(tx store.ReadTx) error { _, err := tx.UserByUserID("nobody"); return err }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
	update(t, db2, func(tx store.Tx) error { return tx.DeleteUser(u.ID) })
	if err := db2.Update(ctx, func(tx store.Tx) error { return tx.DeleteUser(u.ID) }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
}

// The users of a database from before languages (schema version 10) get
// English when the server opens it.
func TestUsersBeforeLanguagesGetEnglish(t *testing.T) { onEach(t, testUsersBeforeLanguagesGetEnglish) }

func testUsersBeforeLanguagesGetEnglish(t *testing.T, b backend) {
	path := b.where(t)
	db := openKeyed(t, b, path)
	u := mustUser(t, db, "old")
	db = behindTheBack(t, b, db, path, 1, `ALTER TABLE users DROP COLUMN lang`, `DROP TABLE desk_cases`, `ALTER TABLE users DROP COLUMN desk_question`,
		`ALTER TABLE users DROP COLUMN scope`, `ALTER TABLE users DROP COLUMN networks`,
		`DROP TABLE master_key`, `ALTER TABLE users DROP COLUMN directory_key`, `ALTER TABLE users DROP COLUMN source`, `ALTER TABLE users DROP COLUMN console_role`, `DROP TABLE api_keys`, `DELETE FROM schema_migrations WHERE version >= 11`)
	if got := view(t, db, func(tx store.ReadTx) (store.User, error) { return tx.UserByID(u.ID) }); got.Lang != "en" {
		t.Errorf("a user from before languages: %q", got.Lang)
	}
}

// A transaction whose function fails leaves nothing behind, whichever
// write it failed after.
func TestUpdateRollsBack(t *testing.T) { onEach(t, testUpdateRollsBack) }

func testUpdateRollsBack(t *testing.T, b backend) {
	ctx := context.Background()
	db, _ := openDB(t, b)
	u := mustUser(t, db, "rita")
	boom := errors.New("boom")
	err := db.Update(ctx, func(tx store.Tx) error {
		if err := tx.SetToken(u.ID, store.Token{Serial: "S1", SealedSeed: []byte{1}, Algorithm: "SHA1", Digits: 6, Period: 30, LastStep: -1}); err != nil {
			return err
		}
		if err := tx.SetPassword(u.ID, "other", false); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want the function's error", err)
	}
	if err := db.View(ctx, func(tx store.ReadTx) error { _, err := tx.TokenOf(u.ID); return err }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the token of a failed transaction stayed: %v", err)
	}
	if got := view(t, db, func(tx store.ReadTx) (store.User, error) { return tx.UserByID(u.ID) }); got.PassHash != "h" {
		t.Errorf("the password of a failed transaction stayed: %q", got.PassHash)
	}
}

// Many concurrent verifications of one step: exactly one is accepted.
func TestAcceptStepRace(t *testing.T) { onEach(t, testAcceptStepRace) }

func testAcceptStepRace(t *testing.T, b backend) {
	ctx := context.Background()
	db, _ := openDB(t, b)
	u := mustUser(t, db, "alice")
	update(t, db, func(tx store.Tx) error {
		return tx.SetToken(u.ID, store.Token{Serial: "S1", SealedSeed: []byte{1}, Algorithm: "SHA1", Digits: 6, Period: 30, LastStep: -1})
	})
	accept := func(step int64, drift int) bool {
		var ok bool
		if err := db.Update(ctx, func(tx store.Tx) error {
			var err error
			ok, err = tx.AcceptStep(u.ID, step, drift)
			return err
		}); err != nil {
			t.Error(err)
		}
		return ok
	}
	var accepted atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if accept(1000, 0) {
				accepted.Add(1)
			}
		})
	}
	wg.Wait()
	if accepted.Load() != 1 {
		t.Fatalf("%d of 16 racing verifications accepted, want 1", accepted.Load())
	}
	if accept(999, 0) {
		t.Error("an earlier step was accepted")
	}
	if !accept(1001, 1) {
		t.Error("a later step was refused")
	}
	tok := view(t, db, func(tx store.ReadTx) (store.Token, error) { return tx.TokenOf(u.ID) })
	if tok.LastStep != 1001 || tok.Drift != 1 {
		t.Errorf("token state %+v", tok)
	}
}

// Reservations count every attempt, lock at the limit, refuse while
// locked, and survive a reopen; concurrent reservations never pass the
// limit.
func TestReserveAttempt(t *testing.T) { onEach(t, testReserveAttempt) }

func testReserveAttempt(t *testing.T, b backend) {
	ctx := context.Background()
	db, path := openDB(t, b)
	u := mustUser(t, db, "bob")
	now := time.Unix(1_800_000_000, 0)
	reserve := func(db store.Store, at time.Time) (store.Attempt, bool) {
		var a store.Attempt
		var ok bool
		if err := db.Update(ctx, func(tx store.Tx) error {
			var err error
			a, ok, err = tx.ReserveAttempt(u.ID, 3, 15*time.Minute, at)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return a, ok
	}
	var granted atomic.Int32
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			if _, ok := reserve(db, now); ok {
				granted.Add(1)
			}
		})
	}
	wg.Wait()
	if granted.Load() != 3 {
		t.Fatalf("%d of 12 concurrent reservations granted, want the limit 3", granted.Load())
	}
	db.Close()
	db2, err := b.open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if a, ok := reserve(db2, now.Add(14*time.Minute)); ok || a.Failures != 3 || !a.LockedUntil.Equal(now.Add(15*time.Minute)) {
		t.Errorf("after reopen: %+v, granted %v", a, ok)
	}
	// The lock ends; one more failure locks again at once.
	if a, ok := reserve(db2, now.Add(16*time.Minute)); !ok || a.LockedUntil.IsZero() {
		t.Errorf("after the lock: %+v, granted %v", a, ok)
	}
	update(t, db2, func(tx store.Tx) error { return tx.ResetFailures(u.ID) })
	if a, ok := reserve(db2, now.Add(16*time.Minute)); !ok || a.Failures != 1 || !a.LockedUntil.IsZero() {
		t.Errorf("after a reset: %+v, granted %v", a, ok)
	}
}

func TestReserveFirstFactor(t *testing.T) { onEach(t, testReserveFirstFactor) }

func testReserveFirstFactor(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	now := time.Unix(1_800_000_000, 0)
	delay := func(n int) time.Duration { return time.Duration(max(0, n-2)) * time.Minute }
	reserve := func(key, source string, at time.Time) (store.Throttle, bool) {
		var th store.Throttle
		var ok bool
		update(t, db, func(tx store.Tx) error {
			var err error
			th, ok, err = tx.ReserveFirstFactor(key, source, at, delay)
			return err
		})
		return th, ok
	}
	tests := []struct {
		name, key, source string
		at                time.Duration
		ok                bool
		failures          int
	}{
		{"first", "ann", "10.0.0.1", 0, true, 1},
		{"second, free", "ann", "10.0.0.1", 0, true, 2},
		{"third, then blocked a minute", "ann", "10.0.0.1", 0, true, 3},
		{"blocked", "ann", "10.0.0.1", 30 * time.Second, false, 3},
		{"another source is not", "ann", "10.0.0.2", 30 * time.Second, true, 1},
		{"another user ID is not", "bea", "10.0.0.1", 30 * time.Second, true, 1},
		{"after the delay", "ANN", "10.0.0.1", 61 * time.Second, true, 4},
	}
	for _, tt := range tests {
		th, ok := reserve(tt.key, tt.source, now.Add(tt.at))
		if ok != tt.ok || th.Failures != tt.failures {
			t.Errorf("%s: %+v, granted %v; want %d failures, granted %v", tt.name, th, ok, tt.failures, tt.ok)
		}
	}
	update(t, db, func(tx store.Tx) error { return tx.ClearFirstFactor("ann", "10.0.0.1") })
	if th, ok := reserve("ann", "10.0.0.1", now.Add(62*time.Second)); !ok || th.Failures != 1 {
		t.Errorf("after clearing: %+v, %v", th, ok)
	}
	update(t, db, func(tx store.Tx) error { return tx.ForgetFirstFactors(now.Add(time.Hour)) })
	if th, _ := reserve("bea", "10.0.0.1", now.Add(2*time.Hour)); th.Failures != 1 {
		t.Errorf("an old throttle was not forgotten: %+v", th)
	}
}

func TestInitialPasscodeSingleUse(t *testing.T) { onEach(t, testInitialPasscodeSingleUse) }

func testInitialPasscodeSingleUse(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	u := mustUser(t, db, "carol")
	var first, second bool
	update(t, db, func(tx store.Tx) error {
		if err := tx.SetInitialPasscode(u.ID, store.InitialPasscode{Hash: "h", Expires: time.Now().Add(time.Hour)}); err != nil {
			return err
		}
		first, _ = tx.UseInitialPasscode(u.ID)
		second, _ = tx.UseInitialPasscode(u.ID)
		return nil
	})
	if !first || second {
		t.Errorf("uses: %v then %v", first, second)
	}
}

func TestAudit(t *testing.T) { onEach(t, testAudit) }

func testAudit(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	t0 := time.Unix(1_800_000_000, 0)
	update(t, db, func(tx store.Tx) error {
		for i, user := range []string{"alice", "bob", "Alice"} {
			if err := tx.Audit(store.AuditEvent{At: t0.Add(time.Duration(i) * time.Hour), UserID: user, Client: "127.0.0.1", Event: "login", Outcome: "OK"}); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		f    store.AuditFilter
		want int
	}{
		{store.AuditFilter{}, 3},
		{store.AuditFilter{UserID: "alice"}, 2},
		{store.AuditFilter{Since: t0.Add(time.Hour)}, 2},
		{store.AuditFilter{UserID: "alice", Since: t0.Add(time.Hour)}, 1},
		{store.AuditFilter{Limit: 1}, 1},
	}
	for _, tc := range tests {
		got := view(t, db, func(tx store.ReadTx) ([]store.AuditEvent, error) { return tx.AuditEvents(tc.f) })
		if len(got) != tc.want {
			t.Errorf("%+v: got %d events; want %d", tc.f, len(got), tc.want)
		}
	}
}

func TestDisableUnenrolled(t *testing.T) { onEach(t, testDisableUnenrolled) }

func testDisableUnenrolled(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	now := time.Unix(1_800_000_000, 0)
	late, onTime, enrolled := mustUser(t, db, "late"), mustUser(t, db, "ontime"), mustUser(t, db, "enrolled")
	update(t, db, func(tx store.Tx) error {
		for _, u := range []store.User{late, enrolled} {
			if err := tx.SetInitialPasscode(u.ID, store.InitialPasscode{Hash: "h", Expires: now.Add(-time.Hour)}); err != nil {
				return err
			}
		}
		if err := tx.SetInitialPasscode(onTime.ID, store.InitialPasscode{Hash: "h", Expires: now.Add(time.Hour)}); err != nil {
			return err
		}
		return tx.SetToken(enrolled.ID, store.Token{Serial: "S", SealedSeed: []byte{1}, Algorithm: "SHA1", Digits: 6, Period: 30, LastStep: -1})
	})
	disable := func() []string {
		var ids []string
		update(t, db, func(tx store.Tx) error {
			var err error
			ids, err = tx.DisableUnenrolled(now)
			return err
		})
		return ids
	}
	if ids := disable(); len(ids) != 1 || ids[0] != "late" {
		t.Fatalf("disabled %v; want [late]", ids)
	}
	if again := disable(); len(again) != 0 {
		t.Errorf("disabled twice: %v", again)
	}
	if got := view(t, db, func(tx store.ReadTx) (store.User, error) { return tx.UserByID(late.ID) }); got.Active || got.Epoch != 1 {
		t.Errorf("a disabled user keeps their epoch: %+v", got)
	}
}

func TestSecurityAnswers(t *testing.T) { onEach(t, testSecurityAnswers) }

func testSecurityAnswers(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	u := mustUser(t, db, "erin")
	want := []store.SecurityAnswer{{QuestionID: 2, Hash: "a"}, {QuestionID: 5, Hash: "b"}}
	update(t, db, func(tx store.Tx) error { return tx.SetSecurityAnswers(u.ID, want) })
	got := view(t, db, func(tx store.ReadTx) ([]store.SecurityAnswer, error) { return tx.SecurityAnswers(u.ID) })
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %v", got)
	}
}

func TestEnrolCodes(t *testing.T) { onEach(t, testEnrolCodes) }

func testEnrolCodes(t *testing.T, b backend) {
	ctx := context.Background()
	db, _ := openDB(t, b)
	u := mustUser(t, db, "erin")
	other := mustUser(t, db, "frank")
	now := time.Unix(1800000000, 0)
	old, code, late := []byte("old"), []byte("code"), []byte("late")
	update(t, db, func(tx store.Tx) error {
		for _, c := range []struct {
			id   int64
			hash []byte
			exp  time.Time
		}{{u.ID, old, now.Add(time.Hour)}, {u.ID, code, now.Add(10 * time.Minute)}, {other.ID, late, now}} {
			if err := tx.AddEnrolCode(c.id, c.hash, c.exp); err != nil {
				return err
			}
		}
		return nil
	})
	use := func(hash []byte) (int64, error) {
		var id int64
		err := db.Update(ctx, func(tx store.Tx) error {
			var err error
			id, err = tx.UseEnrolCode(hash, now)
			return err
		})
		return id, err
	}
	tests := []struct {
		name   string
		hash   []byte
		wantID int64
		err    error
	}{
		{"a newer code replaces the older", old, 0, store.ErrNotFound},
		{"unknown", []byte("nope"), 0, store.ErrNotFound},
		{"expired at its expiry", late, 0, store.ErrCodeExpired},
		{"first use", code, u.ID, nil},
		{"second use", code, 0, store.ErrCodeUsed},
	}
	for _, tt := range tests {
		id, err := use(tt.hash)
		if !errors.Is(err, tt.err) || (err == nil && id != tt.wantID) {
			t.Errorf("%s: UseEnrolCode = %d, %v; want %d, %v", tt.name, id, err, tt.wantID, tt.err)
		}
	}
	// Concurrent uses of one code: exactly one wins.
	update(t, db, func(tx store.Tx) error { return tx.AddEnrolCode(other.ID, []byte("race"), now.Add(time.Minute)) })
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := use([]byte("race")); err == nil {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d concurrent uses of one code succeeded, want 1", wins.Load())
	}
}

func TestSMSCodes(t *testing.T) { onEach(t, testSMSCodes) }

func testSMSCodes(t *testing.T, b backend) {
	db, _ := openDB(t, b)
	u := mustUser(t, db, "sam")
	c := store.SMSCode{Purpose: store.SMSLogin, Hash: "h1", Phone: "+447700900123", Expires: time.Unix(1800000300, 0)}
	update(t, db, func(tx store.Tx) error { return tx.SetSMSCode(u.ID, c) })
	if err := db.View(context.Background(), func(tx store.ReadTx) error { _, err := tx.SMSCodeOf(u.ID, store.SMSPhone); return err }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a code of another purpose: %v", err)
	}
	if read := view(t, db, func(tx store.ReadTx) (store.SMSCode, error) { return tx.SMSCodeOf(u.ID, store.SMSLogin) }); read != c {
		t.Errorf("SMSCodeOf = %+v", read)
	}
	for i, want := range []bool{false, true, false} {
		hash := "h1"
		if i == 0 {
			hash = "other"
		}
		var used bool
		update(t, db, func(tx store.Tx) error {
			var err error
			used, err = tx.DeleteSMSCode(u.ID, store.SMSLogin, hash)
			return err
		})
		if used != want {
			t.Errorf("DeleteSMSCode #%d = %v; want %v", i+1, used, want)
		}
	}
}
