package account_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/directory"
	"github.com/softtoken/softtoken/server/ldaptest"
	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/token"
)

// withDirectory is a fixture whose rules use d.
func withDirectory(t *testing.T, d directory.Directory) *fixture {
	t.Helper()
	return newService(t, func(c *account.Config) { c.Directory = d; c.EnrolURL = "https://enrol.example/" })
}

// syncDir runs the directory sync and fails on any failed change.
func syncDir(t *testing.T, f *fixture, dryRun bool) map[string]account.SyncChange {
	t.Helper()
	plan, err := f.svc.SyncDirectory(context.Background(), dryRun)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	out := map[string]account.SyncChange{}
	for _, c := range plan {
		if c.Err != nil {
			t.Errorf("sync %s %s: %v", c.Action, c.UserID, c.Err)
		}
		out[c.UserID] = c
	}
	return out
}

// seed gives userID a token, as an administrator does.
func seed(t *testing.T, f *fixture, userID string) token.Token {
	t.Helper()
	tok, err := f.svc.UpdateProfile(context.Background(), admin, account.ByAdmin(userID), account.Profile{NewSeed: true})
	if err != nil {
		t.Fatal(err)
	}
	return *tok
}

// Against a real slapd: the sync makes users of the group's members, a
// directory password and a passcode verify, a password changed in the
// directory works at once and the old one stops, none is in the database,
// and a member taken out of the group is disabled by the next sync.
func TestDirectoryUsers(t *testing.T) {
	ctx := context.Background()
	srv := ldaptest.Start(t,
		ldaptest.User{UID: "dana", Password: "dana-dir-pass-1", Mail: "dana@bank.test", Mobile: "+39 333 1234567", Lang: "it", Member: true},
		ldaptest.User{UID: "erin", Password: "erin-dir-pass-1", Mail: "erin@bank.test", Member: true},
		ldaptest.User{UID: "frank", Password: "frank-dir-pass-1"},
		ldaptest.User{UID: "alice", Password: "alice-dir-pass-1", Member: true},
	)
	d, err := directory.New(directory.Config{URL: srv.URL, BindDN: ldaptest.BindDN, BindPassword: ldaptest.BindPW, Base: ldaptest.Base, Group: ldaptest.Group})
	if err != nil {
		t.Fatal(err)
	}
	f := withDirectory(t, d)

	plan := syncDir(t, f, true)
	if plan["dana"].Action != "add" || plan["erin"].Action != "add" || plan["alice"].Action != "skip" || len(plan) != 3 {
		t.Fatalf("dry run %+v", plan)
	}
	if _, err := f.svc.User(ctx, account.CommandLine, "dana"); !errors.Is(err, account.ErrNoSuchUser) {
		t.Fatalf("a dry run made dana: %v", err)
	}
	syncDir(t, f, false)
	v, err := f.svc.User(ctx, account.CommandLine, "dana")
	if err != nil || v.Email != "dana@bank.test" || v.Phone != "+393331234567" || v.Lang != "it" || !v.Active || v.MustChangePassword {
		t.Fatalf("dana after the sync: %+v, %v", v, err)
	}
	if n := len(events(t, f, "dana", "user add")); n != 1 {
		t.Errorf("%d user add records of dana", n)
	}
	welcomed := false
	for _, m := range f.mailed() {
		welcomed = welcomed || m.To == "dana@bank.test" && smsCode.MatchString(m.Body)
	}
	if !welcomed {
		t.Error("dana was sent no welcome mail with an initial passcode")
	}
	if again := syncDir(t, f, false); len(again) != 1 || again["alice"].Action != "skip" {
		t.Errorf("a second sync: %+v, want only the local alice skipped", again)
	}

	tok := seed(t, f, "dana")
	code := func() string { c, _ := tok.Code(f.now); return c }
	addUser(t, f, account.NewUser{UserID: "web", Admin: true, Service: true})
	backEnd := account.Origin{Client: "127.0.0.1", Via: "websocket"}
	webGrant, _, err := f.svc.CheckPassword(ctx, backEnd, "web", []byte("web password"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := f.svc.Verify(ctx, backEnd, webGrant, "dana", []byte("dana-dir-pass-1"), code())
	if err != nil || in.NeedPasscode || in.User.UserID != "dana" {
		t.Fatalf("verifylogin with the directory password and a passcode: %+v, %v", in, err)
	}
	srv.SetPassword(t, "dana", "dana-dir-pass-2")
	f.tick()
	if _, err := f.svc.Login(ctx, admin, "dana", []byte("dana-dir-pass-1"), code()); !errors.Is(err, account.ErrInvalidLogin) {
		t.Errorf("the old directory password: %v, want ErrInvalidLogin", err)
	}
	if _, err := f.svc.Login(ctx, admin, "dana", []byte("dana-dir-pass-2"), code()); err != nil {
		t.Errorf("the new directory password: %v", err)
	}
	if _, _, err := f.svc.CheckPassword(ctx, admin, "alice", []byte("alice-dir-pass-1")); !errors.Is(err, account.ErrInvalidLogin) {
		t.Errorf("the local alice with the directory's alice password: %v, want ErrInvalidLogin", err)
	}

	srv.Set(t, "erin", "mail", "erin.new@bank.test")
	srv.RemoveMember(t, "dana")
	plan = syncDir(t, f, false)
	if plan["dana"].Action != "disable" || plan["erin"].Action != "update" {
		t.Errorf("sync after changes: %+v", plan)
	}
	if stateOf(t, f, "dana").active {
		t.Error("dana, out of the group, is still active")
	}
	if v, _ := f.svc.User(ctx, account.CommandLine, "erin"); v.Email != "erin.new@bank.test" {
		t.Errorf("erin's mail %q", v.Email)
	}
	if recs := events(t, f, "dana", "user disable"); len(recs) != 1 || !strings.Contains(recs[0].Detail, "by the directory; via directory sync") {
		t.Errorf("dana's disable records %+v", recs)
	}
	noPasswordIn(t, filepath.Dir(f.path), "dana-dir-pass-1", "dana-dir-pass-2", "erin-dir-pass-1")
}

// noPasswordIn fails if any file in dir holds one of pws.
func noPasswordIn(t *testing.T, dir string, pws ...string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		for _, pw := range pws {
			if bytes.Contains(b, []byte(pw)) {
				t.Errorf("%s holds a directory password", name)
			}
		}
	}
}

// fakeDirectory answers err to every password, and counts the checks;
// its members are people (gina when nil).
type fakeDirectory struct {
	err    error
	checks int
	people []directory.Person
}

func (d *fakeDirectory) CheckPassword(context.Context, string, string, []byte) error {
	d.checks++
	return d.err
}

func (d *fakeDirectory) Members(context.Context) ([]directory.Person, error) {
	if d.people != nil {
		return d.people, nil
	}
	return []directory.Person{{UserID: "gina", Email: "gina@bank.test"}}, nil
}

// The throttle comes before the directory: a source hammering wrong
// passwords stops reaching it. A directory that does not answer is busy,
// counts nothing and is audited; the right password then works.
func TestDirectoryThrottleFirstAndOutage(t *testing.T) {
	ctx := context.Background()
	dir := &fakeDirectory{err: directory.ErrWrongPassword}
	f := withDirectory(t, dir)
	syncDir(t, f, false)
	for range 20 {
		f.svc.Login(ctx, admin, "gina", []byte("wrong-1"), "")
	}
	if dir.checks != account.DefaultFreeFailures+1 {
		t.Errorf("the directory was asked %d times for 20 wrong passwords, want %d", dir.checks, account.DefaultFreeFailures+1)
	}

	g := newService(t, func(c *account.Config) { c.Directory = dir; c.Logger = slog.New(slog.DiscardHandler) })
	syncDir(t, g, false)
	dir.err, dir.checks = directory.ErrUnavailable, 0
	for range 20 {
		_, err := g.svc.Login(ctx, admin, "gina", []byte("right-1"), "")
		if !errors.Is(err, account.ErrDirectoryUnavailable) || errors.Is(err, account.ErrInvalidLogin) {
			t.Fatalf("an outage answered %v", err)
		}
		if c, _ := account.CodeOf(err); c != account.CodeBusy {
			t.Fatalf("an outage's code %q", c)
		}
	}
	if dir.checks != 20 {
		t.Errorf("%d checks of 20 during the outage: one was throttled", dir.checks)
	}
	if recs := events(t, g, "gina", "password"); len(recs) != 20 || recs[0].Code != account.CodeBusy || !strings.Contains(recs[0].Detail, "directory") {
		t.Errorf("the outage's audit: %d records, first %+v", len(recs), recs[0])
	}
	dir.err = nil
	if _, _, err := g.svc.CheckPassword(ctx, admin, "gina", []byte("right-1")); err != nil {
		t.Errorf("after the outage: %v", err)
	}
	if _, err := g.svc.Reset(ctx, admin, account.ByAdmin("gina"), []byte("local-pass-1")); !errors.Is(err, account.ErrNotAllowed) {
		t.Errorf("a local password for a directory user: %v, want ErrNotAllowed", err)
	}
}

// slowDirectory holds each password check until release is closed.
type slowDirectory struct {
	fakeDirectory
	entered, release chan struct{}
}

func (d *slowDirectory) CheckPassword(ctx context.Context, userID, key string, pw []byte) error {
	d.entered <- struct{}{}
	<-d.release
	return nil
}

// A directory slow to answer holds no room of the hashing pool: while a
// directory user's password waits for it, a local administrator signs
// in, on a pool with room for one check; the directory user's login with
// a passcode then completes.
func TestSlowDirectoryHoldsNoHashingSlot(t *testing.T) {
	ctx := context.Background()
	dir := &slowDirectory{entered: make(chan struct{}), release: make(chan struct{})}
	pool := password.NewPool(int64(cheap.Memory)<<10, 10*time.Millisecond)
	f := newService(t, func(c *account.Config) { c.Directory = dir }, func(f *fixture) { f.hashing = pool })
	syncDir(t, f, false)
	tok := seed(t, f, "gina")
	code, _ := tok.Code(f.now)
	done := make(chan error, 1)
	go func() { _, err := f.svc.Login(ctx, admin, "gina", []byte("right-1"), code); done <- err }()
	<-dir.entered
	f.password(t) // alice, local: not busy
	close(dir.release)
	if err := <-done; err != nil {
		t.Errorf("gina's login once the directory answered: %v", err)
	}
}

// A new number in the directory for an SMS user is a change of
// credentials, as user update has it: the sync ends their sign-ins and
// the new number gets the passcode for the next logon.
func TestDirectorySyncNewNumberOfSMSUser(t *testing.T) {
	ctx := context.Background()
	dir := &fakeDirectory{people: []directory.Person{{UserID: "gina", Email: "gina@bank.test", Phone: "+447700900111"}}}
	f := newService(t, func(c *account.Config) { c.Directory = dir }, texting)
	syncDir(t, f, false)
	if _, err := f.svc.UpdateProfile(ctx, admin, account.ByAdmin("gina"), account.Profile{SMS: true}); err != nil {
		t.Fatal(err)
	}
	g, _, err := f.svc.CheckPassword(ctx, admin, "gina", []byte("right-1"))
	if err != nil {
		t.Fatal(err)
	}
	dir.people[0].Phone = "+447700900222"
	if plan := syncDir(t, f, false); plan["gina"].Action != "update" || plan["gina"].Detail != "phone" {
		t.Fatalf("sync of a new number: %+v", plan)
	}
	f.lastText(t, "+447700900222")
	if _, err := f.svc.CheckPasscode(ctx, admin, g, "000000"); !errors.Is(err, account.ErrSignedOut) {
		t.Errorf("a sign-in from before the new number: %v, want ErrSignedOut", err)
	}
	if recs := events(t, f, "gina", "profile"); len(recs) == 0 || !strings.Contains(recs[len(recs)-1].Detail, "via directory sync") {
		t.Errorf("the new number's audit: %+v", recs)
	}
}

// A user disabled in the directory is disabled by the sync; a group that
// lists nobody disables nobody (a wrong group must not disable everyone).
func TestDirectorySyncDisabledAndEmptyGroup(t *testing.T) {
	ctx := context.Background()
	dir := &fakeDirectory{}
	f := newService(t, func(c *account.Config) { c.Directory = dir })
	syncDir(t, f, false)
	dir.people = []directory.Person{}
	if _, err := f.svc.SyncDirectory(ctx, false); err == nil || !stateOf(t, f, "gina").active {
		t.Errorf("an empty group: %v, gina active %v; want refused, gina active", err, stateOf(t, f, "gina").active)
	}
	dir.people = []directory.Person{{UserID: "gina", Email: "gina@bank.test", Disabled: true}, {UserID: "hal", Disabled: true}}
	plan := syncDir(t, f, false)
	if plan["gina"].Action != "disable" || len(plan) != 1 || stateOf(t, f, "gina").active {
		t.Errorf("gina disabled in the directory: %+v", plan)
	}
}
