package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/sqlite"
	"github.com/softtoken/softtoken/server/store"
)

// openDB opens a fresh database file in a temporary folder.
func openDB(t *testing.T) (*sqlite.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "softtoken.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func mustUser(t *testing.T, db store.Store, userID string) store.User {
	t.Helper()
	u, err := db.CreateUser(context.Background(), store.User{UserID: userID, PassHash: "h", Active: true, Attr: []byte(`{"email":"a@b"}`)})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUsers(t *testing.T) {
	ctx := context.Background()
	db, path := openDB(t)
	u := mustUser(t, db, "BTSUser0.9999@bts.com")
	if _, err := db.CreateUser(ctx, store.User{UserID: "btsuser0.9999@BTS.com", PassHash: "h"}); !errors.Is(err, store.ErrExists) {
		t.Errorf("duplicate in other case: got %v", err)
	}
	got, err := db.UserByUserID(ctx, "btsuser0.9999@bts.com")
	if err != nil || got.ID != u.ID || string(got.Attr) != `{"email":"a@b"}` || !got.Active {
		t.Fatalf("got %+v, %v", got, err)
	}
	got.Roles, got.IsAdmin = "XXSSS", true
	if err := db.UpdateUser(ctx, got); err != nil {
		t.Fatal(err)
	}
	if err := db.SetPassword(ctx, u.ID, "h2", true); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Reopening applies no migration twice and keeps the data.
	db2, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	got, _ = db2.UserByUserID(ctx, u.UserID)
	if got.Roles != "XXSSS" || !got.IsAdmin || got.PassHash != "h2" || !got.MustChangePassword {
		t.Errorf("after reopen: %+v", got)
	}
	if _, err := db2.UserByUserID(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}
	if err := db2.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := db2.DeleteUser(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
}

// Many concurrent verifications of one step: exactly one is accepted.
func TestAcceptStepRace(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	u := mustUser(t, db, "alice")
	if err := db.SetToken(ctx, u.ID, store.Token{Serial: "S1", SealedSeed: []byte{1}, Algorithm: "SHA1", Digits: 6, Period: 30, LastStep: -1}); err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			ok, err := db.AcceptStep(ctx, u.ID, 1000, 0)
			if err != nil {
				t.Error(err)
			}
			if ok {
				accepted.Add(1)
			}
		})
	}
	wg.Wait()
	if accepted.Load() != 1 {
		t.Fatalf("%d of 16 racing verifications accepted, want 1", accepted.Load())
	}
	if ok, _ := db.AcceptStep(ctx, u.ID, 999, 0); ok {
		t.Error("an earlier step was accepted")
	}
	if ok, _ := db.AcceptStep(ctx, u.ID, 1001, 1); !ok {
		t.Error("a later step was refused")
	}
	tok, _ := db.TokenOf(ctx, u.ID)
	if tok.LastStep != 1001 || tok.Drift != 1 {
		t.Errorf("token state %+v", tok)
	}
}

func TestLockoutSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	db, path := openDB(t)
	u := mustUser(t, db, "bob")
	now := time.Unix(1_800_000_000, 0)
	for i := 1; i <= 3; i++ {
		until, err := db.RecordFailure(ctx, u.ID, 3, 15*time.Minute, now)
		if err != nil {
			t.Fatal(err)
		}
		if locked := !until.IsZero(); locked != (i == 3) {
			t.Fatalf("failure %d: locked until %v", i, until)
		}
	}
	db.Close()
	db2, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	got, _ := db2.UserByUserID(ctx, "bob")
	if got.Failures != 3 || !got.LockedUntil.Equal(now.Add(15*time.Minute)) {
		t.Errorf("after reopen: failures %d, locked until %v", got.Failures, got.LockedUntil)
	}
	if err := db2.ResetFailures(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	got, _ = db2.UserByUserID(ctx, "bob")
	if got.Failures != 0 || !got.LockedUntil.IsZero() {
		t.Errorf("after reset: %+v", got)
	}
}

func TestInitialPasscodeSingleUse(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	u := mustUser(t, db, "carol")
	if err := db.SetInitialPasscode(ctx, u.ID, store.InitialPasscode{Hash: "h", Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	first, _ := db.UseInitialPasscode(ctx, u.ID)
	second, _ := db.UseInitialPasscode(ctx, u.ID)
	if !first || second {
		t.Errorf("uses: %v then %v", first, second)
	}
}

func TestAudit(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	t0 := time.Unix(1_800_000_000, 0)
	for i, user := range []string{"alice", "bob", "Alice"} {
		if err := db.Audit(ctx, store.AuditEvent{At: t0.Add(time.Duration(i) * time.Hour), UserID: user, Client: "127.0.0.1", Event: "login", Outcome: "OK"}); err != nil {
			t.Fatal(err)
		}
	}
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
		got, err := db.AuditEvents(ctx, tc.f)
		if err != nil || len(got) != tc.want {
			t.Errorf("%+v: got %d events, %v; want %d", tc.f, len(got), err, tc.want)
		}
	}
}

func TestCompleteEnrolment(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	u := mustUser(t, db, "dave")
	if err := db.SetInitialPasscode(ctx, u.ID, store.InitialPasscode{Hash: "h", Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RecordFailure(ctx, u.ID, 10, time.Minute, time.Now()); err != nil {
		t.Fatal(err)
	}
	tok := store.Token{Serial: "S1", SealedSeed: []byte{1}, Algorithm: "SHA1", Digits: 6, Period: 30, LastStep: 7}
	if err := db.CompleteEnrolment(ctx, u.ID, tok, true); err != nil {
		t.Fatal(err)
	}
	got, _ := db.UserByUserID(ctx, "dave")
	stored, _ := db.TokenOf(ctx, u.ID)
	if !got.Use2FA || got.Failures != 0 || stored.Serial != "S1" || stored.LastStep != 7 {
		t.Errorf("after enrolment: %+v %+v", got, stored)
	}
	// The initial passcode is spent: a second enrolment with it changes nothing.
	tok.Serial = "S2"
	if err := db.CompleteEnrolment(ctx, u.ID, tok, true); !errors.Is(err, store.ErrAlreadyUsed) {
		t.Fatalf("second use: %v", err)
	}
	if stored, _ := db.TokenOf(ctx, u.ID); stored.Serial != "S1" {
		t.Errorf("a refused enrolment replaced the token: %s", stored.Serial)
	}
}

func TestDisableUnenrolled(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	now := time.Unix(1_800_000_000, 0)
	late, onTime, enrolled := mustUser(t, db, "late"), mustUser(t, db, "ontime"), mustUser(t, db, "enrolled")
	for _, u := range []store.User{late, enrolled} {
		if err := db.SetInitialPasscode(ctx, u.ID, store.InitialPasscode{Hash: "h", Expires: now.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.SetInitialPasscode(ctx, onTime.ID, store.InitialPasscode{Hash: "h", Expires: now.Add(time.Hour)})
	_ = db.SetToken(ctx, enrolled.ID, store.Token{Serial: "S", SealedSeed: []byte{1}, Algorithm: "SHA1", Digits: 6, Period: 30, LastStep: -1})
	ids, err := db.DisableUnenrolled(ctx, now)
	if err != nil || len(ids) != 1 || ids[0] != "late" {
		t.Fatalf("disabled %v, %v; want [late]", ids, err)
	}
	if again, _ := db.DisableUnenrolled(ctx, now); len(again) != 0 {
		t.Errorf("disabled twice: %v", again)
	}
}

func TestSecurityAnswers(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	u := mustUser(t, db, "erin")
	want := []store.SecurityAnswer{{QuestionID: 2, Hash: "a"}, {QuestionID: 5, Hash: "b"}}
	if err := db.SetSecurityAnswers(ctx, u.ID, want); err != nil {
		t.Fatal(err)
	}
	got, err := db.SecurityAnswers(ctx, u.ID)
	if err != nil || len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %v, %v", got, err)
	}
}

func TestEnrolCodes(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	u := mustUser(t, db, "erin")
	other := mustUser(t, db, "frank")
	now := time.Unix(1800000000, 0)
	old, code, late := []byte("old"), []byte("code"), []byte("late")
	for _, c := range []struct {
		id   int64
		hash []byte
		exp  time.Time
	}{{u.ID, old, now.Add(time.Hour)}, {u.ID, code, now.Add(10 * time.Minute)}, {other.ID, late, now}} {
		if err := db.AddEnrolCode(ctx, c.id, c.hash, c.exp); err != nil {
			t.Fatal(err)
		}
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
		id, err := db.UseEnrolCode(ctx, tt.hash, now)
		if !errors.Is(err, tt.err) || (err == nil && id != tt.wantID) {
			t.Errorf("%s: UseEnrolCode = %d, %v; want %d, %v", tt.name, id, err, tt.wantID, tt.err)
		}
	}
	// Concurrent uses of one code: exactly one wins.
	if err := db.AddEnrolCode(ctx, other.ID, []byte("race"), now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := db.UseEnrolCode(ctx, []byte("race"), now); err == nil {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d concurrent uses of one code succeeded, want 1", wins.Load())
	}
}

func TestSMS(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	u := mustUser(t, db, "sam")
	if err := db.SetToken(ctx, u.ID, store.Token{Serial: "S1", SealedSeed: []byte{1}, Algorithm: "SHA1", Digits: 6, Period: 30}); err != nil {
		t.Fatal(err)
	}
	if err := db.CompleteSMSEnrolment(ctx, u.ID, "+447700900123", false); err != nil {
		t.Fatal(err)
	}
	got, _ := db.UserByUserID(ctx, "sam")
	if _, err := db.TokenOf(ctx, u.ID); !errors.Is(err, store.ErrNotFound) || !got.SMS || !got.Use2FA || got.Phone != "+447700900123" {
		t.Errorf("after SMS enrolment: %+v, token %v", got, err)
	}
	// A token enrolment turns SMS off again.
	if err := db.CompleteEnrolment(ctx, u.ID, store.Token{Serial: "S2", SealedSeed: []byte{1}, Algorithm: "SHA1", Digits: 6, Period: 30}, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.UserByUserID(ctx, "sam"); got.SMS {
		t.Error("SMS stays on after a token enrolment")
	}

	c := store.SMSCode{Purpose: store.SMSLogin, Hash: "h1", Phone: "+447700900123", Expires: time.Unix(1800000300, 0)}
	if err := db.SetSMSCode(ctx, u.ID, c); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SMSCodeOf(ctx, u.ID, store.SMSPhone); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a code of another purpose: %v", err)
	}
	if read, err := db.SMSCodeOf(ctx, u.ID, store.SMSLogin); err != nil || read != c {
		t.Errorf("SMSCodeOf = %+v, %v", read, err)
	}
	for i, want := range []bool{false, true, false} {
		hash := "h1"
		if i == 0 {
			hash = "other"
		}
		if used, err := db.DeleteSMSCode(ctx, u.ID, store.SMSLogin, hash); err != nil || used != want {
			t.Errorf("DeleteSMSCode #%d = %v, %v; want %v", i+1, used, err, want)
		}
	}
}

// Any completed enrolment spends a welcome mail's passcode left unused
// (say the user enrolled with a One Swipe code or a temporary passcode):
// it must not enrol another token later.
func TestEnrolmentSpendsTheInitialPasscode(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	tok := store.Token{Serial: "S1", SealedSeed: []byte{1}, Algorithm: "SHA1", Digits: 6, Period: 30}
	for name, complete := range map[string]func(int64) error{
		"token": func(id int64) error { return db.CompleteEnrolment(ctx, id, tok, false) },
		"sms":   func(id int64) error { return db.CompleteSMSEnrolment(ctx, id, "+447700900123", false) },
	} {
		u := mustUser(t, db, "u-"+name)
		if err := db.SetInitialPasscode(ctx, u.ID, store.InitialPasscode{Hash: "h", Expires: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := complete(u.ID); err != nil {
			t.Fatal(err)
		}
		if ip, _ := db.InitialPasscodeOf(ctx, u.ID); !ip.Used {
			t.Errorf("%s enrolment left the initial passcode usable", name)
		}
	}
}
