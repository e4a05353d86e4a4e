package account_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/pgtest"
	"github.com/softtoken/softtoken/server/postgres"
	"github.com/softtoken/softtoken/server/seal"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/sms"
	"github.com/softtoken/softtoken/server/sqlite"
	"github.com/softtoken/softtoken/token"
)

// fixture is the rules service on a real SQLite file (or a real
// PostgreSQL database: dsn), at a fake time, with at most 3 failures, and
// a user "alice" with a token.
type fixture struct {
	// dsn, when set, is the PostgreSQL database the service runs on.
	dsn    string
	svc    *account.Service
	faults *servertest.Faults
	now    time.Time
	tok    token.Token
	path   string
	outbox string
	// hash and hashing configure the service's hashing (cheap, and the
	// default pool, unless a test sets them).
	hash    password.Params
	hashing *password.Pool
	// tune, when set, changes the service's configuration before it
	// starts (a test's own limits, SMS switched off, …).
	tune func(*account.Config)
	// mails are the notices the service sent.
	mu    sync.Mutex
	mails []mail.Message
	// texts are the text messages sent, when the fixture is texting;
	// sendErr, when set, fails them.
	texts   []sms.Message
	sendErr error
}

// mailed is every notice sent so far.
func (f *fixture) mailed() []mail.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]mail.Message(nil), f.mails...)
}

var (
	cheap = password.Params{Memory: 64, Time: 1, Threads: 1}
	admin = account.Admin
)

// onEach runs test on SQLite and on PostgreSQL, each as a subtest named
// after it: its fixtures take on, which picks the database.
func onEach(t *testing.T, test func(t *testing.T, on func(*fixture))) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { test(t, func(*fixture) {}) })
	t.Run("postgres", func(t *testing.T) {
		if testing.Short() {
			// Skipped here, not in pgtest.Start: test calls on from its
			// own subtests, where this t may not be skipped.
			t.Skip("PostgreSQL: slow, skipped with -short")
		}
		test(t, func(f *fixture) { f.dsn = pgtest.Start(t) })
	})
}

func newFixture(t *testing.T, opts ...func(*fixture)) *fixture {
	t.Helper()
	f := &fixture{path: filepath.Join(t.TempDir(), "db"), now: time.Unix(1_800_000_000, 0), outbox: t.TempDir(), hash: cheap}
	for _, o := range opts {
		o(f)
	}
	f.open(t)
	c, err := f.svc.CreateUser(context.Background(), admin, nil, account.NewUser{UserID: "alice", Password: []byte("correct horse"),
		Use2FA: true, Seed: true, InitialPasscode: true})
	if err != nil {
		t.Fatal(err)
	}
	f.tok = *c.Token
	return f
}

// open (re)opens the database and the service, as a server restart does.
func (f *fixture) open(t *testing.T) {
	t.Helper()
	open := sqlite.Open
	where := f.path
	if f.dsn != "" {
		open, where = postgres.Open, f.dsn
	}
	db, err := open(context.Background(), where)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sealer, _ := seal.New(make([]byte, 32))
	f.faults = &servertest.Faults{Store: db}
	cfg := account.Config{MaxFailures: 3, LockFor: time.Minute, Hash: f.hash, Hashing: f.hashing,
		SMS: sms.Outbox{Dir: f.outbox}, Now: func() time.Time { return f.now }, DeskURL: "https://desk.example/sechelpdesk/",
		MailFrom: "no-reply@example.com", Mail: mail.MailerFunc(func(_ context.Context, m mail.Message) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.mails = append(f.mails, m)
			return nil
		})}
	if f.tune != nil {
		f.tune(&cfg)
	}
	f.svc = account.New(f.faults, sealer, cfg)
}

func (f *fixture) code(t *testing.T, offset time.Duration) string {
	t.Helper()
	c, err := f.tok.Code(f.now.Add(offset))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// password signs alice in with her password.
func (f *fixture) password(t *testing.T) account.Grant {
	t.Helper()
	g, _, err := f.svc.CheckPassword(context.Background(), admin, "alice", []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestCheckPassword(t *testing.T) { onEach(t, testCheckPassword) }

func testCheckPassword(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	tests := []struct {
		user, pw string
		want     error
	}{
		{"alice", "correct horse", nil},
		{"ALICE", "correct horse", nil},
		{"alice", "wrong", account.ErrInvalidLogin},
		{"mallory", "correct horse", account.ErrInvalidLogin},
	}
	for _, tc := range tests {
		if _, _, err := f.svc.CheckPassword(ctx, admin, tc.user, []byte(tc.pw)); !errors.Is(err, tc.want) {
			t.Errorf("%s/%s: got %v, want %v", tc.user, tc.pw, err, tc.want)
		}
	}
	if err := f.svc.SetActive(ctx, admin, account.ByAdmin("alice"), false); err != nil {
		t.Fatal(err)
	}
	if _, u, err := f.svc.CheckPassword(ctx, admin, "alice", []byte("correct horse")); !errors.Is(err, account.ErrDisabled) || u.UserID != "alice" {
		t.Errorf("disabled: got %v", err)
	}
}

func TestPasscodeWindowAndReplay(t *testing.T) { onEach(t, testPasscodeWindowAndReplay) }

func testPasscodeWindowAndReplay(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	g := f.password(t)
	steps := []struct {
		name   string
		offset time.Duration
		want   error
	}{
		{"previous step", -30 * time.Second, nil},
		{"same code again", -30 * time.Second, account.ErrInvalidCode},
		{"current step", 0, nil},
		{"current step replayed", 0, account.ErrInvalidCode},
		{"next step", 30 * time.Second, nil},
		{"three steps ahead is outside the window (centred one step ahead now)", 90 * time.Second, account.ErrInvalidCode},
	}
	for _, st := range steps {
		if _, err := f.svc.CheckPasscode(ctx, admin, g, f.code(t, st.offset)); !errors.Is(err, st.want) {
			t.Errorf("%s: got %v, want %v", st.name, err, st.want)
		}
	}
}

// A token whose clock runs one step ahead: its code is accepted at the
// window's edge, and the drift is recorded so the window follows it.
func TestDriftIsFollowed(t *testing.T) { onEach(t, testDriftIsFollowed) }

func testDriftIsFollowed(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	g := f.password(t)
	if _, err := f.svc.CheckPasscode(ctx, admin, g, f.code(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(5 * time.Minute)
	if _, err := f.svc.CheckPasscode(ctx, admin, g, f.code(t, 60*time.Second)); err != nil {
		t.Errorf("two steps ahead after a recorded drift of 1: %v", err)
	}
}

func TestLockout(t *testing.T) { onEach(t, testLockout) }

func testLockout(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	g := f.password(t)
	for range 3 {
		if _, err := f.svc.CheckPasscode(ctx, admin, g, "000000"); !errors.Is(err, account.ErrInvalidCode) {
			t.Fatal(err)
		}
	}
	good := f.code(t, 0)
	if _, err := f.svc.CheckPasscode(ctx, admin, g, good); !errors.Is(err, account.ErrLocked) {
		t.Fatalf("locked user with a good code: got %v", err)
	}
	events, _ := f.svc.AuditEvents(ctx, account.CommandLine, account.AuditFilter{UserID: "alice"})
	found := false
	for _, e := range events {
		found = found || e.Event == "lockout"
	}
	if !found {
		t.Errorf("no audit of the lockout: %+v", events)
	}
	for _, pw := range []string{"correct horse", "wrong"} {
		if _, _, err := f.svc.CheckPassword(ctx, admin, "alice", []byte(pw)); !errors.Is(err, account.ErrLocked) {
			t.Errorf("locked user, password %q: got %v (the answer must not depend on the password)", pw, err)
		}
	}
	f.open(t) // the lock survives a restart
	if _, _, err := f.svc.CheckPassword(ctx, admin, "alice", []byte("correct horse")); !errors.Is(err, account.ErrLocked) {
		t.Fatalf("after restart: got %v", err)
	}
	f.now = f.now.Add(2 * time.Minute)
	if _, err := f.svc.CheckPasscode(ctx, admin, f.password(t), f.code(t, 0)); err != nil {
		t.Errorf("after the lock ended: %v", err)
	}
}

// N concurrent wrong guesses of any kind: never more than the limit are
// evaluated, and each evaluated one is counted.
func TestConcurrentGuessesOfEveryKind(t *testing.T) { onEach(t, testConcurrentGuessesOfEveryKind) }

func testConcurrentGuessesOfEveryKind(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	kinds := guessKinds()
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			f := newFixture(t, on)
			g := f.password(t)
			if k.setup != nil {
				g = k.setup(t, f, g)
			}
			results := map[error]int{}
			var mu sync.Mutex
			var wg sync.WaitGroup
			for i := range 24 {
				wg.Go(func() {
					err := k.guess(f, g, i)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case errors.Is(err, k.wrong):
						results[k.wrong]++
					case errors.Is(err, account.ErrLocked):
						results[account.ErrLocked]++
					default:
						t.Errorf("guess %d: %v", i, err)
					}
				})
			}
			wg.Wait()
			if results[k.wrong] != 3 || results[account.ErrLocked] != 21 {
				t.Errorf("24 concurrent wrong guesses: %d evaluated, %d refused; want 3 and 21", results[k.wrong], results[account.ErrLocked])
			}
			if v, _ := f.svc.User(ctx, account.CommandLine, "alice"); v.Failures != 3 || !v.Locked {
				t.Errorf("after them: %d failures, locked %v", v.Failures, v.Locked)
			}
		})
	}
}

// guessKind is one kind of secret to guess: how to set it up for the grant
// of alice's password, and one wrong guess.
type guessKind struct {
	name  string
	setup func(t *testing.T, f *fixture, g account.Grant) account.Grant
	guess func(f *fixture, g account.Grant, i int) error
	wrong error
}

// guessKinds are the secrets a second-factor check compares.
func guessKinds() []guessKind {
	ctx := context.Background()
	return []guessKind{
		{"token passcode", nil, func(f *fixture, g account.Grant, i int) error {
			_, err := f.svc.CheckPasscode(ctx, admin, g, fmt.Sprintf("%06d", i))
			return err
		}, account.ErrInvalidCode},
		{"temporary passcode", func(t *testing.T, f *fixture, g account.Grant) account.Grant {
			if _, err := f.svc.IssueTempPasscode(ctx, admin, account.ByAdmin("alice"), 2, 7); err != nil {
				t.Fatal(err)
			}
			return g
		}, func(f *fixture, g account.Grant, i int) error {
			_, err := f.svc.CheckPasscode(ctx, admin, g, fmt.Sprintf("%08d", 10_000_000+i))
			return err
		}, account.ErrInvalidCode},
		{"initial passcode", nil, func(f *fixture, g account.Grant, i int) error {
			_, err := f.svc.CheckEnrolPasscode(ctx, admin, g, fmt.Sprintf("%06d", i))
			return err
		}, account.ErrInvalidCode},
		{"SMS number code", func(t *testing.T, f *fixture, g account.Grant) account.Grant {
			g, err := f.svc.CheckPasscode(ctx, admin, g, f.code(t, 0))
			if err == nil {
				_, err = f.svc.SendPhoneCode(ctx, admin, g, "+447700900123")
			}
			if err != nil {
				t.Fatal(err)
			}
			return g
		}, func(f *fixture, g account.Grant, i int) error {
			_, _, err := f.svc.CompleteSMSEnrolment(ctx, admin, g, fmt.Sprintf("%06d", i))
			return err
		}, account.ErrInvalidCode},
		{"security answer", func(t *testing.T, f *fixture, g account.Grant) account.Grant {
			g2, err := f.svc.CheckPasscode(ctx, admin, g, f.code(t, 0))
			if err == nil {
				err = f.svc.SaveAnswers(ctx, admin, g2, map[int]string{1: "Springfield", 2: "Rex"})
			}
			if err != nil {
				t.Fatal(err)
			}
			return f.password(t)
		}, func(f *fixture, g account.Grant, i int) error {
			_, err := f.svc.CheckAnswer(ctx, admin, g, 1, fmt.Sprintf("guess %d", i))
			return err
		}, account.ErrWrongAnswer},
	}
}

// Wrong passwords are throttled per user ID and source, with growing
// delays, and never lock the account.
func TestPasswordThrottle(t *testing.T) { onEach(t, testPasswordThrottle) }

func testPasswordThrottle(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	from := func(ip string) account.Origin { return account.Origin{Client: ip, Via: "test"} }
	for i := range 5 {
		if _, _, err := f.svc.CheckPassword(ctx, from("10.0.0.1"), "alice", []byte("wrong")); !errors.Is(err, account.ErrInvalidLogin) {
			t.Fatalf("wrong password %d: %v", i+1, err)
		}
	}
	// The 6th is checked, then the source waits 1 s, 2 s, 4 s…
	for _, step := range []struct {
		after time.Duration
		want  error
	}{{0, account.ErrInvalidLogin}, {0, account.ErrThrottled}, {time.Second, account.ErrInvalidLogin},
		{time.Second, account.ErrThrottled}, {2 * time.Second, account.ErrInvalidLogin}} {
		f.now = f.now.Add(step.after)
		if _, _, err := f.svc.CheckPassword(ctx, from("10.0.0.1"), "alice", []byte("wrong")); !errors.Is(err, step.want) {
			t.Errorf("after %v: %v, want %v", step.after, err, step.want)
		}
	}
	if _, _, err := f.svc.CheckPassword(ctx, from("10.0.0.1"), "alice", []byte("correct horse")); !errors.Is(err, account.ErrThrottled) {
		t.Errorf("the right password from a throttled source: %v", err)
	}
	if _, _, err := f.svc.CheckPassword(ctx, from("10.0.0.2"), "alice", []byte("correct horse")); err != nil {
		t.Errorf("the right password from another source: %v", err)
	}
	if v, _ := f.svc.User(ctx, account.CommandLine, "alice"); v.Failures != 0 || v.Locked {
		t.Errorf("wrong passwords counted against the account: %+v", v)
	}
	// Unknown user IDs are throttled alike: the throttle tells nothing.
	for range 6 {
		f.svc.CheckPassword(ctx, from("10.0.0.3"), "nobody", []byte("x"))
	}
	if _, _, err := f.svc.CheckPassword(ctx, from("10.0.0.3"), "nobody", []byte("x")); !errors.Is(err, account.ErrThrottled) {
		t.Errorf("an unknown user ID: %v", err)
	}
}

// A grant holds only while the account is as it was: every change of its
// credentials, or a disable, ends it, and the next step says so.
func TestGrantsEndWhenTheAccountChanges(t *testing.T) { onEach(t, testGrantsEndWhenTheAccountChanges) }

func testGrantsEndWhenTheAccountChanges(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	changes := map[string]func(f *fixture) error{
		"reset": func(f *fixture) error {
			_, err := f.svc.Reset(ctx, admin, account.ByAdmin("alice"), []byte("new password"))
			return err
		},
		"disable":      func(f *fixture) error { return f.svc.SetActive(ctx, admin, account.ByAdmin("alice"), false) },
		"delete":       func(f *fixture) error { return f.svc.DeleteUser(ctx, admin, account.ByAdmin("alice")) },
		"token revoke": func(f *fixture) error { return f.svc.RevokeToken(ctx, admin, account.ByAdmin("alice")) },
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, on)
			g, err := f.svc.CheckPasscode(ctx, admin, f.password(t), f.code(t, 0))
			if err != nil {
				t.Fatal(err)
			}
			e, err := f.svc.NewEnrolment(ctx, g)
			if err != nil {
				t.Fatal(err)
			}
			if err := change(f); err != nil {
				t.Fatal(err)
			}
			next, _ := e.Token.Code(f.now)
			if _, err := f.svc.CompleteEnrolment(ctx, admin, e, next); !errors.Is(err, account.ErrSignedOut) && !errors.Is(err, account.ErrDisabled) {
				t.Errorf("an enrolment begun before: %v", err)
			}
			if _, err := f.svc.IssueEnrolCode(ctx, admin, g.Self(), "https://x/secenrol/"); !errors.Is(err, account.ErrSignedOut) && !errors.Is(err, account.ErrDisabled) {
				t.Errorf("a One Swipe code for the old grant: %v", err)
			}
		})
	}
}

// Reset is one transaction: whichever of its writes fails, the account is
// as it was (old password, token, temporary passcode).
func TestResetIsAllOrNothing(t *testing.T) { onEach(t, testResetIsAllOrNothing) }

func testResetIsAllOrNothing(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	temp, err := f.svc.IssueTempPasscode(ctx, admin, account.ByAdmin("alice"), 2, 7)
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; ; n++ {
		f.faults.Arm(n)
		_, err := f.svc.Reset(ctx, admin, account.ByAdmin("alice"), []byte("new password"))
		f.faults.Arm(0)
		if err == nil {
			if n < 8 {
				t.Errorf("Reset made only %d writes", n-1)
			}
			break
		}
		if !errors.Is(err, servertest.ErrInjected) {
			t.Fatalf("write %d: %v", n, err)
		}
		f.now = f.now.Add(30 * time.Second)
		g := f.password(t) // the old password still works
		if _, err := f.svc.CheckPasscode(ctx, admin, g, f.code(t, 0)); err != nil {
			t.Errorf("after %s failed: the token: %v", f.faults.Failed(), err)
		}
		if _, err := f.svc.CheckPasscode(ctx, admin, g, temp.Code); err != nil {
			t.Errorf("after %s failed: the temporary passcode: %v", f.faults.Failed(), err)
		}
	}
	g, _, err := f.svc.CheckPassword(ctx, admin, "alice", []byte("new password"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CheckPasscode(ctx, admin, g, temp.Code); !errors.Is(err, account.ErrInvalidCode) {
		t.Errorf("the temporary passcode after a reset: %v", err)
	}
}

// What only an administrator does is refused to a user's own grant, even
// if an adapter passed one: the rules, not the adapters, keep it away.
func TestOwnGrantCannotDoAdministratorsWork(t *testing.T) {
	onEach(t, testOwnGrantCannotDoAdministratorsWork)
}

func testOwnGrantCannotDoAdministratorsWork(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	g, err := f.svc.CheckPasscode(ctx, admin, f.password(t), f.code(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	off := false
	for name, try := range map[string]func() error{
		"profile": func() error {
			_, err := f.svc.UpdateProfile(ctx, admin, g.Self(), account.Profile{Use2FA: &off})
			return err
		},
		"disable":      func() error { return f.svc.SetActive(ctx, admin, g.Self(), false) },
		"delete":       func() error { return f.svc.DeleteUser(ctx, admin, g.Self()) },
		"token revoke": func() error { return f.svc.RevokeToken(ctx, admin, g.Self()) },
		"reset": func() error {
			_, err := f.svc.Reset(ctx, admin, g.Self(), []byte("new password"))
			return err
		},
		"password reset": func() error {
			_, err := f.svc.SetPassword(ctx, admin, g.Self(), []byte("new password"), account.Profile{})
			return err
		},
		"unlock": func() error {
			_, err := f.svc.Unlock(ctx, admin, g.Self())
			return err
		},
	} {
		if err := try(); !errors.Is(err, account.ErrNotAllowed) {
			t.Errorf("%s with the user's own grant: %v", name, err)
		}
	}
	if v, _ := f.svc.User(ctx, account.CommandLine, "alice"); !v.Use2FA || v.TokenSerial == "" || !v.Active {
		t.Errorf("alice changed: %+v", v)
	}
}
