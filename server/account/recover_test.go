package account_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// Unlock clears the lock and the count, and nothing else: the token, the
// temporary passcode and the sign-ins of before work at once.
func TestUnlock(t *testing.T) { onEach(t, testUnlock) }

func testUnlock(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	temp, err := f.svc.IssueTempPasscode(ctx, admin, account.ByAdmin("alice"), 2, 7)
	if err != nil {
		t.Fatal(err)
	}
	g := f.password(t)
	for range 3 {
		f.svc.CheckPasscode(ctx, admin, g, "000000")
	}
	was, err := f.svc.Unlock(ctx, admin, account.ByAdmin("alice"))
	if err != nil || was.Failures != 3 || !was.LockedUntil.After(f.now) {
		t.Fatalf("Unlock: %+v, %v", was, err)
	}
	if v, _ := f.svc.User(ctx, account.CommandLine, "alice"); v.Locked || v.Failures != 0 || v.TokenSerial == "" {
		t.Errorf("after Unlock: %+v", v)
	}
	if _, err := f.svc.CheckPasscode(ctx, admin, g, f.code(t, 0)); err != nil {
		t.Errorf("the token, on the grant of before the lock: %v", err)
	}
	if _, err := f.svc.CheckPasscode(ctx, admin, f.password(t), temp.Code); err != nil {
		t.Errorf("the temporary passcode: %v", err)
	}
	if was, err := f.svc.Unlock(ctx, admin, account.ByAdmin("alice")); err != nil || !was.LockedUntil.IsZero() || was.Failures != 0 {
		t.Errorf("Unlock of a user not locked: %+v, %v", was, err)
	}
	if _, err := f.svc.Unlock(ctx, admin, account.ByAdmin("bob")); !errors.Is(err, account.ErrNoSuchUser) {
		t.Errorf("Unlock of no one: %v", err)
	}
	events, _ := f.svc.AuditEvents(ctx, account.CommandLine, account.AuditFilter{UserID: "alice"})
	var details []string
	for _, e := range events {
		if e.Event == "user unlock" {
			details = append(details, e.Outcome+": "+e.Detail)
		}
	}
	if len(details) != 2 || !strings.HasPrefix(details[0], "ok: was locked until") || !strings.HasSuffix(details[0], "3 failures cleared") {
		t.Errorf("audit of the unlocks: %q", details)
	}
}

// The 30-day rule of temporary passcodes holds unless the admin command
// line overrides it with a reason, which the audit keeps (cut short);
// nobody else may override it.
func TestTempPasscodeOverride(t *testing.T) { onEach(t, testTempPasscodeOverride) }

func testTempPasscodeOverride(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	if _, err := f.svc.IssueTempPasscode(ctx, admin, account.ByAdmin("alice"), 2, 7); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(24 * time.Hour)
	if _, err := f.svc.IssueTempPasscode(ctx, admin, account.ByAdmin("alice"), 2, 7); !errors.Is(err, account.ErrTooSoon) {
		t.Fatalf("a second one the next day: %v", err)
	}
	if _, err := f.svc.CreateUser(ctx, admin, nil, account.NewUser{UserID: "root", Password: []byte("root password"), Admin: true}); err != nil {
		t.Fatal(err)
	}
	root, _, err := f.svc.CheckPassword(ctx, admin, "root", []byte("root password"))
	if err != nil {
		t.Fatal(err)
	}
	own, err := f.svc.CheckPasscode(ctx, admin, f.password(t), f.code(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]account.Target{"the user's own grant": own.Self(), "an administrator's socket": root.For("alice")} {
		if _, err := f.svc.IssueTempPasscodeOverride(ctx, admin, target, 2, 7, "checked"); !errors.Is(err, account.ErrNotAllowed) {
			t.Errorf("override by %s: %v", name, err)
		}
	}
	if _, err := f.svc.IssueTempPasscodeOverride(ctx, admin, account.ByAdmin("alice"), 2, 7, " \n"); !errors.Is(err, account.ErrNotAllowed) {
		t.Errorf("override without a reason: %v", err)
	}
	reason := "passport seen\n" + strings.Repeat("é", 300)
	temp, err := f.svc.IssueTempPasscodeOverride(ctx, admin, account.ByAdmin("alice"), 2, 7, reason)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CheckPasscode(ctx, admin, f.password(t), temp.Code); err != nil {
		t.Errorf("the overriding passcode: %v", err)
	}
	var last account.AuditEvent
	events, _ := f.svc.AuditEvents(ctx, account.CommandLine, account.AuditFilter{UserID: "alice"})
	for _, e := range events {
		if e.Event == "temporary passcode" {
			last = e
		}
	}
	want := "; 30-day rule overridden (the last was issued on 2027-01-15): passport seen\uFFFD" + strings.Repeat("é", account.MaxReason-14) + "…"
	if !strings.HasSuffix(last.Detail, want) {
		t.Errorf("audit of the override: %+v", last)
	}
	if _, err := f.svc.IssueTempPasscodeOverride(ctx, admin, account.ByAdmin("root"), 2, 7, "in person"); err != nil {
		t.Fatal(err)
	}
	events, _ = f.svc.AuditEvents(ctx, account.CommandLine, account.AuditFilter{UserID: "root"})
	if e := events[len(events)-1]; !strings.HasSuffix(e.Detail, "; an override was asked for but not needed: in person") {
		t.Errorf("audit of an override not needed: %+v", e)
	}
}
