package account_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// MaxFailures consecutive wrong passcodes lock the user for LockFor: not
// one sooner, not a second shorter; the lock ends by itself, and a right
// passcode after it clears the count.
func TestLockoutLimitAndLength(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		max     int
		lockFor time.Duration
	}{
		{"one failure, half a minute", 1, 30 * time.Second},
		{"three failures, a minute", 3, time.Minute},
		{"five failures, ten minutes", 5, 10 * time.Minute},
		{"the default: ten failures, a quarter of an hour", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newService(t, func(c *account.Config) { c.MaxFailures, c.LockFor = tc.max, tc.lockFor })
			max, lockFor := cmpOr(tc.max, 10), cmpOr(tc.lockFor, 15*time.Minute)
			g := f.password(t)
			for i := range max - 1 {
				if _, err := f.svc.CheckPasscode(ctx, admin, g, "000000"); !errors.Is(err, account.ErrInvalidCode) {
					t.Fatalf("wrong passcode %d: %v", i+1, err)
				}
			}
			if got, want := stateOf(t, f, "alice"), (userState{failures: max - 1, active: true, twoFAs: true, serial: f.tok.Serial}); got != want {
				t.Fatalf("one short of the limit: %+v, want %+v", got, want)
			}
			if _, err := f.svc.CheckPasscode(ctx, admin, g, "000000"); !errors.Is(err, account.ErrInvalidCode) {
				t.Fatalf("the wrong passcode that reaches the limit is still checked: %v", err)
			}
			if s := stateOf(t, f, "alice"); !s.locked || s.failures != max {
				t.Fatalf("at the limit: %+v", s)
			}
			f.now = f.now.Add(lockFor - time.Second)
			if _, _, err := f.svc.CheckPassword(ctx, admin, "alice", []byte("correct horse")); !errors.Is(err, account.ErrLocked) {
				t.Errorf("a second before the lock ends: %v, want %v", err, account.ErrLocked)
			}
			f.now = f.now.Add(time.Second)
			g = f.password(t)
			if _, err := f.svc.CheckPasscode(ctx, admin, g, f.code(t, 0)); err != nil {
				t.Errorf("when the lock ends: %v", err)
			}
			if s := stateOf(t, f, "alice"); s.locked || s.failures != 0 {
				t.Errorf("after a right passcode: %+v", s)
			}
		})
	}
}

// cmpOr is v, or def when v is zero.
func cmpOr[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Only failures in a row count: a right passcode clears the count, even
// the one that comes when the count has reached the limit (it locks
// before it is checked, and the right passcode lifts that lock).
func TestLockoutCountsConsecutiveFailures(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		guesses  string // w: a wrong passcode, r: the right one
		locked   bool
		failures int
	}{
		{"two wrong", "ww", false, 2},
		{"two wrong, right, two wrong", "wwrww", false, 2},
		{"wrong, right, wrong, right, wrong", "wrwrw", false, 1},
		{"two wrong, then the right one at the limit", "wwr", false, 0},
		{"three wrong", "www", true, 3},
		{"right, three wrong", "rwww", true, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			g := f.password(t)
			for i, c := range tc.guesses {
				code := "000000"
				if c == 'r' {
					f.tick()
					code = f.code(t, 0)
				}
				if _, err := f.svc.CheckPasscode(ctx, admin, g, code); (err == nil) != (c == 'r') {
					t.Fatalf("guess %d (%c): %v", i+1, c, err)
				}
			}
			if s := stateOf(t, f, "alice"); s.locked != tc.locked || s.failures != tc.failures {
				t.Errorf("after %s: locked %v with %d failures, want %v with %d", tc.guesses, s.locked, s.failures, tc.locked, tc.failures)
			}
		})
	}
}

// When a lock ends by itself the count is still at the limit: the next
// wrong passcode locks again at once; only a right one starts afresh.
func TestLockoutEndedByTimeRelocksOnTheNextFailure(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	g := f.password(t)
	for range 3 {
		f.svc.CheckPasscode(ctx, admin, g, "000000")
	}
	f.now = f.now.Add(time.Minute)
	g = f.password(t)
	if _, err := f.svc.CheckPasscode(ctx, admin, g, "111111"); !errors.Is(err, account.ErrInvalidCode) {
		t.Fatalf("a wrong passcode after the lock: %v", err)
	}
	if _, err := f.svc.CheckPasscode(ctx, admin, g, f.code(t, 0)); !errors.Is(err, account.ErrLocked) {
		t.Errorf("the right passcode after one more failure: %v, want %v", err, account.ErrLocked)
	}
	if got := len(events(t, f, "alice", "lockout")); got != 2 {
		t.Errorf("lockouts audited: %d, want 2", got)
	}
}

// lockedAlice is a fixture where alice has security answers, a One Swipe
// code, and grants of her password (pw) and of a passcode (full) taken
// before three wrong passcodes locked her.
func lockedAlice(t *testing.T) (f *fixture, pw, full account.Grant, oneSwipe string) {
	t.Helper()
	ctx := context.Background()
	f = newFixture(t)
	full, err := f.svc.CheckPasscode(ctx, admin, f.password(t), f.code(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SaveAnswers(ctx, admin, full, map[int]string{1: "Springfield", 2: "Rex"}); err != nil {
		t.Fatal(err)
	}
	e, err := f.svc.IssueEnrolCode(ctx, admin, full.Self(), "https://x/secenrol/")
	if err != nil {
		t.Fatal(err)
	}
	pw = f.password(t)
	for range 3 {
		f.svc.CheckPasscode(ctx, admin, pw, "000000")
	}
	f.tick()
	return f, pw, full, e.Code
}

// While the user is locked nothing is checked, whatever the door and
// whatever was proved before the lock: every step answers ErrLocked and
// counts nothing.
func TestLockedUserIsRefusedOnEveryPath(t *testing.T) {
	ctx := context.Background()
	f, pw, full, oneSwipe := lockedAlice(t)
	for _, tc := range []struct {
		name string
		do   func() error
	}{
		{"the right password", func() error {
			_, _, err := f.svc.CheckPassword(ctx, admin, "alice", []byte("correct horse"))
			return err
		}},
		{"a wrong password", func() error { _, _, err := f.svc.CheckPassword(ctx, admin, "alice", []byte("wrong")); return err }},
		{"login with the right code", func() error {
			_, err := f.svc.Login(ctx, admin, "alice", []byte("correct horse"), f.code(t, 0))
			return err
		}},
		{"login, the code to come", func() error { _, err := f.svc.Login(ctx, admin, "alice", []byte("correct horse"), ""); return err }},
		{"the right passcode on a grant of before", func() error { _, err := f.svc.CheckPasscode(ctx, admin, pw, f.code(t, 0)); return err }},
		{"a wrong passcode on a grant of before", func() error { _, err := f.svc.CheckPasscode(ctx, admin, pw, "123456"); return err }},
		{"an enrolment passcode", func() error { _, err := f.svc.CheckEnrolPasscode(ctx, admin, pw, f.code(t, 0)); return err }},
		{"the One Swipe code", func() error { _, err := f.svc.UseEnrolCode(ctx, admin, "alice", oneSwipe); return err }},
		{"a new enrolment on a full grant", func() error { _, err := f.svc.NewEnrolment(ctx, full); return err }},
		{"a session", func() error { return f.svc.TakeSession(ctx, admin, full, account.NewHolder()) }},
		{"an SMS code", func() error { _, err := f.svc.SendPhoneCode(ctx, admin, full, "+447700900123"); return err }},
		{"the help desk's question", func() error { _, err := f.svc.QuestionFor(ctx, pw); return err }},
		{"the right security answer", func() error { _, err := f.svc.CheckAnswer(ctx, admin, pw, 1, "Springfield"); return err }},
	} {
		if err := tc.do(); !errors.Is(err, account.ErrLocked) {
			t.Errorf("%s: %v, want %v", tc.name, err, account.ErrLocked)
		}
	}
	if s := stateOf(t, f, "alice"); s.failures != 3 || !s.locked {
		t.Errorf("after the refused attempts: %+v (want the 3 failures that locked, no more)", s)
	}
}

// A lock is also what an administrator's unlock ends: the grants of
// before the lock work again, and the count starts afresh.
func TestUnlockRestoresGrantsOfBefore(t *testing.T) {
	ctx := context.Background()
	f, pw, full, _ := lockedAlice(t)
	if _, err := f.svc.Unlock(ctx, admin, account.ByAdmin("alice")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.NewEnrolment(ctx, full); err != nil {
		t.Errorf("a full grant of before the lock: %v", err)
	}
	for i := range 2 {
		if _, err := f.svc.CheckPasscode(ctx, admin, pw, "000000"); !errors.Is(err, account.ErrInvalidCode) {
			t.Errorf("wrong passcode %d after the unlock: %v", i+1, err)
		}
	}
	if s := stateOf(t, f, "alice"); s.locked || s.failures != 2 {
		t.Errorf("two failures after the unlock: %+v", s)
	}
}

// The lockout is audited once per lock, with the failures that made it,
// and the lock survives a restart.
func TestLockoutAuditedAndKept(t *testing.T) {
	onEach(t, func(t *testing.T, on func(*fixture)) {
		ctx := context.Background()
		f := newFixture(t, on)
		g := f.password(t)
		for range 5 {
			f.svc.CheckPasscode(ctx, admin, g, "000000")
		}
		if got := len(events(t, f, "alice", "lockout")); got != 1 {
			t.Errorf("lockouts audited: %d, want 1", got)
		}
		f.open(t)
		if s := stateOf(t, f, "alice"); !s.locked || s.failures != 3 {
			t.Errorf("after a restart: %+v", s)
		}
	})
}
