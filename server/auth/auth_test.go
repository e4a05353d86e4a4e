package auth_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/auth"
	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/seal"
	"github.com/softtoken/softtoken/server/sqlite"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/token"
)

type fixture struct {
	svc  *auth.Service
	db   *sqlite.DB
	path string
	now  time.Time
	user store.User
	tok  token.Token
}

var cheap = password.Params{Memory: 64, Time: 1, Threads: 1}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{path: filepath.Join(t.TempDir(), "db"), now: time.Unix(1_800_000_000, 0)}
	f.open(t)
	hash, _ := password.Hash([]byte("correct horse"), cheap)
	u, err := f.db.CreateUser(ctx, store.User{UserID: "alice", PassHash: hash, Active: true, Use2FA: true})
	if err != nil {
		t.Fatal(err)
	}
	f.user = u
	if f.tok, err = f.svc.NewSeed(ctx, u); err != nil {
		t.Fatal(err)
	}
	return f
}

var key = make([]byte, 32)

func (f *fixture) open(t *testing.T) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), f.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sealer, _ := seal.New(key)
	f.db = db
	f.svc = auth.New(db, sealer, auth.Config{MaxFailures: 3, LockFor: time.Minute, Hash: cheap, Now: func() time.Time { return f.now }})
}

func (f *fixture) code(t *testing.T, offset time.Duration) string {
	t.Helper()
	c, err := f.tok.Code(f.now.Add(offset))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCheckPassword(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	tests := []struct {
		user, pw string
		want     error
	}{
		{"alice", "correct horse", nil},
		{"ALICE", "correct horse", nil},
		{"alice", "wrong", auth.ErrInvalidLogin},
		{"mallory", "correct horse", auth.ErrInvalidLogin},
	}
	for _, tc := range tests {
		if _, err := f.svc.CheckPassword(ctx, tc.user, []byte(tc.pw)); !errors.Is(err, tc.want) {
			t.Errorf("%s/%s: got %v, want %v", tc.user, tc.pw, err, tc.want)
		}
	}
	u := f.user
	u.Active = false
	if err := f.db.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if got, err := f.svc.CheckPassword(ctx, "alice", []byte("correct horse")); !errors.Is(err, auth.ErrDisabled) || got.UserID != "alice" {
		t.Errorf("disabled: got %v", err)
	}
}

func TestCheckCodeWindowAndReplay(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	steps := []struct {
		name   string
		offset time.Duration
		want   error
	}{
		{"previous step", -30 * time.Second, nil},
		{"same code again", -30 * time.Second, auth.ErrInvalidToken},
		{"current step", 0, nil},
		{"current step replayed", 0, auth.ErrInvalidToken},
		{"next step", 30 * time.Second, nil},
		{"three steps ahead is outside the window (centred one step ahead now)", 90 * time.Second, auth.ErrInvalidToken},
	}
	for _, st := range steps {
		if err := f.svc.CheckCode(ctx, f.user, f.code(t, st.offset)); !errors.Is(err, st.want) {
			t.Errorf("%s: got %v, want %v", st.name, err, st.want)
		}
	}
	for _, bad := range []string{"", "12345", "abcdef", "1234567"} {
		if err := f.svc.CheckCode(ctx, f.user, bad); !errors.Is(err, auth.ErrInvalidToken) && !errors.Is(err, auth.ErrLocked) {
			t.Errorf("code %q: got %v", bad, err)
		}
	}
}

// A token whose clock runs one step ahead: its code is accepted at the
// window's edge, and the drift is recorded so the window follows it.
func TestDriftIsFollowed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if err := f.svc.CheckCode(ctx, f.user, f.code(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	tok, _ := f.db.TokenOf(ctx, f.user.ID)
	if tok.Drift != 1 {
		t.Fatalf("drift %d, want 1", tok.Drift)
	}
	// Later, the token is now two steps ahead of the server: still accepted.
	f.now = f.now.Add(5 * time.Minute)
	if err := f.svc.CheckCode(ctx, f.user, f.code(t, 60*time.Second)); err != nil {
		t.Errorf("two steps ahead after a recorded drift of 1: %v", err)
	}
}

func TestLockout(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for range 3 {
		if err := f.svc.CheckCode(ctx, f.user, "000000"); !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatal(err)
		}
	}
	good := f.code(t, 0)
	if err := f.svc.CheckCode(ctx, f.user, good); !errors.Is(err, auth.ErrLocked) {
		t.Fatalf("locked user with a good code: got %v", err)
	}
	events, _ := f.db.AuditEvents(ctx, store.AuditFilter{UserID: "alice"})
	if len(events) != 1 || events[0].Event != "lockout" || !strings.Contains(events[0].Detail, "after 3 consecutive failures") {
		t.Errorf("audit of the lockout: %+v", events)
	}
	if _, err := f.svc.CheckPassword(ctx, "alice", []byte("correct horse")); !errors.Is(err, auth.ErrLocked) {
		t.Errorf("locked user's password: got %v", err)
	}
	if _, err := f.svc.CheckPassword(ctx, "alice", []byte("wrong")); !errors.Is(err, auth.ErrInvalidLogin) {
		t.Errorf("locked user, wrong password: got %v (must not reveal the lock)", err)
	}
	// The lock survives a restart of the server.
	f.open(t)
	if err := f.svc.CheckCode(ctx, f.user, good); !errors.Is(err, auth.ErrLocked) {
		t.Fatalf("after restart: got %v", err)
	}
	f.now = f.now.Add(2 * time.Minute)
	if err := f.svc.CheckCode(ctx, f.user, f.code(t, 0)); err != nil {
		t.Errorf("after the lock ended: %v", err)
	}
}

func TestReplayRace(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	code := f.code(t, 0)
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if f.svc.CheckCode(ctx, f.user, code) == nil {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Errorf("%d of 8 concurrent uses of one code accepted, want 1", ok.Load())
	}
}

func TestNewSeedRevokesOld(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	old := f.code(t, 0)
	if _, err := f.svc.NewSeed(ctx, f.user); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.CheckCode(ctx, f.user, old); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("old token's code after a new seed: got %v", err)
	}
}

func TestTempPasscode(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if _, _, err := f.svc.IssueTempPasscode(ctx, f.user, 9, 7); !errors.Is(err, auth.ErrBadDays) {
		t.Errorf("9 days of at most 7: %v", err)
	}
	code, expires, err := f.svc.IssueTempPasscode(ctx, f.user, 2, 7)
	if err != nil || len(code) != 8 || !expires.Equal(f.now.Add(48*time.Hour)) {
		t.Fatalf("issue: %q %v %v", code, expires, err)
	}
	if _, _, err := f.svc.IssueTempPasscode(ctx, f.user, 1, 7); !errors.Is(err, auth.ErrTooSoon) {
		t.Errorf("a second one at once: %v", err)
	}
	// It works as a passcode, more than once, until it expires.
	for range 2 {
		if err := f.svc.CheckCode(ctx, f.user, code); err != nil {
			t.Fatalf("temporary passcode: %v", err)
		}
	}
	f.now = f.now.Add(49 * time.Hour)
	if err := f.svc.CheckCode(ctx, f.user, code); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("expired temporary passcode: %v", err)
	}
	f.now = f.now.Add(30 * 24 * time.Hour)
	code2, _, err := f.svc.IssueTempPasscode(ctx, f.user, 1, 7)
	if err != nil {
		t.Fatalf("30 days later: %v", err)
	}
	// A completed enrolment supersedes it.
	_, sealed, _ := f.svc.PendingSeed(f.user)
	if err := f.db.CompleteEnrolment(ctx, f.user.ID, sealed, false); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.CheckCode(ctx, f.user, code2); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("temporary passcode after re-enrolment: %v", err)
	}
}

func TestSMSCodes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if err := f.db.CompleteSMSEnrolment(ctx, f.user.ID, "+447700900123", false); err != nil {
		t.Fatal(err)
	}
	u, _ := f.db.UserByUserID(ctx, "alice")
	code, err := f.svc.NewSMSCode(ctx, u, store.SMSLogin, u.Phone)
	if err != nil || len(code) != auth.SMSCodeDigits {
		t.Fatalf("NewSMSCode = %q, %v", code, err)
	}
	// The login code works as the SMS user's passcode, once.
	if err := f.svc.CheckCode(ctx, u, code); err != nil {
		t.Fatalf("the SMS code: %v", err)
	}
	if err := f.svc.CheckCode(ctx, u, code); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("the SMS code again: %v", err)
	}
	// Expired after 5 minutes.
	code, _ = f.svc.NewSMSCode(ctx, u, store.SMSLogin, u.Phone)
	f.now = f.now.Add(auth.DefaultSMSCodeTTL)
	if err := f.svc.CheckCode(ctx, u, code); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("an expired SMS code: %v", err)
	}
	// A phone code proves the phone, not a login.
	code, _ = f.svc.NewSMSCode(ctx, u, store.SMSPhone, "+393331234567")
	if err := f.svc.CheckCode(ctx, u, code); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("a phone code as a login passcode: %v", err)
	}
	// Three failures locked alice for a minute; after it, the phone code
	// proves the new number.
	f.now = f.now.Add(time.Minute)
	code, _ = f.svc.NewSMSCode(ctx, u, store.SMSPhone, "+393331234567")
	u, _ = f.db.UserByUserID(ctx, "alice")
	if phone, err := f.svc.CheckSMSCode(ctx, u, store.SMSPhone, code); err != nil || phone != "+393331234567" {
		t.Errorf("the phone code: %q, %v", phone, err)
	}
	if _, err := f.svc.CheckSMSCode(ctx, u, store.SMSPhone, code); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("the phone code again: %v", err)
	}
}

func TestCheckAnswer(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	hashed, err := f.svc.HashAnswers(map[int]string{1: "Springfield Elementary", 5: "Rex"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.SetSecurityAnswers(ctx, f.user.ID, hashed); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		qid    int
		answer string
		err    error
	}{
		{1, "  springfield   ELEMENTARY ", nil},
		{5, "rex", nil},
		{5, "Springfield Elementary", auth.ErrWrongAnswer}, // the other question's answer
		{2, "Rex", auth.ErrWrongAnswer},                    // a question not chosen
		{1, "Shelbyville", auth.ErrWrongAnswer},
		{1, "Springfield Elementary", auth.ErrLocked}, // three failures in a row lock
	}
	for _, tt := range tests {
		u, _ := f.db.UserByUserID(ctx, "alice")
		if err := f.svc.CheckAnswer(ctx, u, tt.qid, tt.answer); !errors.Is(err, tt.err) {
			t.Errorf("question %d, %q: %v, want %v", tt.qid, tt.answer, err, tt.err)
		}
	}
}
