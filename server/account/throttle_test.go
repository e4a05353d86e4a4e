package account_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// from is an origin at the client address ip.
func from(ip string) account.Origin { return account.Origin{Client: ip, Via: "test"} }

// After FreeFailures wrong passwords in a row from one source for one
// user ID, the source waits 1 s, then 2 s, 4 s, … up to MaxDelay before
// its next try is checked; a try while it waits is refused unchecked.
func TestThrottleDelaysGrowToTheMaximum(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		free   int
		max    time.Duration
		delays []time.Duration // the waits after each wrong password past the free ones
	}{
		{"the defaults", 0, 0, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}},
		{"two free, at most 4 s", 2, 4 * time.Second, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second}},
		{"one free, at most 1 s", 1, time.Second, []time.Duration{time.Second, time.Second, time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newService(t, func(c *account.Config) { c.FreeFailures, c.MaxDelay = tc.free, tc.max })
			wrong := func() error {
				_, _, err := f.svc.CheckPassword(ctx, from("10.0.0.1"), "alice", []byte("wrong"))
				return err
			}
			for i := range cmpOr(tc.free, 5) {
				if err := wrong(); !errors.Is(err, account.ErrInvalidLogin) {
					t.Fatalf("free wrong password %d: %v", i+1, err)
				}
			}
			for i, d := range tc.delays {
				if err := wrong(); !errors.Is(err, account.ErrInvalidLogin) {
					t.Fatalf("wrong password %d past the free ones, after the wait: %v", i+1, err)
				}
				f.now = f.now.Add(d - time.Millisecond)
				if err := wrong(); !errors.Is(err, account.ErrThrottled) {
					t.Errorf("just before the wait of %v ends: %v, want %v", d, err, account.ErrThrottled)
				}
				f.now = f.now.Add(time.Millisecond)
			}
		})
	}
}

// The throttle is per user ID (in any case or spacing) and source: one
// pair throttled keeps no other pair out, and counts nothing against the
// account.
func TestThrottleIsPerUserIDAndSource(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	addUser(t, f, account.NewUser{UserID: "bob"})
	for range 6 {
		f.svc.CheckPassword(ctx, from("10.0.0.1"), "alice", []byte("wrong"))
	}
	for _, tc := range []struct {
		name, ip, userID, pw string
		want                 error
	}{
		{"the throttled pair", "10.0.0.1", "alice", "correct horse", account.ErrThrottled},
		{"the user ID in capitals", "10.0.0.1", "ALICE", "correct horse", account.ErrThrottled},
		{"the user ID with spaces", "10.0.0.1", " alice ", "correct horse", account.ErrThrottled},
		{"another user from the source", "10.0.0.1", "bob", "bob password", nil},
		{"the user from another source", "10.0.0.2", "alice", "correct horse", nil},
	} {
		if _, _, err := f.svc.CheckPassword(ctx, from(tc.ip), tc.userID, []byte(tc.pw)); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if s := stateOf(t, f, "alice"); s.failures != 0 || s.locked {
		t.Errorf("the throttle counted against the account: %+v", s)
	}
}

// A right password clears its source's count for that user ID: the next
// wrong ones are free again.
func TestRightPasswordClearsTheThrottle(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for range 4 {
		f.svc.CheckPassword(ctx, from("10.0.0.1"), "alice", []byte("wrong"))
	}
	if _, _, err := f.svc.CheckPassword(ctx, from("10.0.0.1"), "alice", []byte("correct horse")); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, _, err := f.svc.CheckPassword(ctx, from("10.0.0.1"), "alice", []byte("wrong")); !errors.Is(err, account.ErrInvalidLogin) {
			t.Errorf("wrong password %d after a right one: %v", i+1, err)
		}
	}
	if _, _, err := f.svc.CheckPassword(ctx, from("10.0.0.1"), "alice", []byte("wrong")); !errors.Is(err, account.ErrInvalidLogin) {
		t.Errorf("the 6th is checked: %v", err)
	}
	if _, _, err := f.svc.CheckPassword(ctx, from("10.0.0.1"), "alice", []byte("wrong")); !errors.Is(err, account.ErrThrottled) {
		t.Errorf("the 7th at once: %v", err)
	}
}

// Wrong One Swipe codes are first factors too: throttled with the
// passwords of that user ID and source, never locking the account.
func TestWrongOneSwipeCodesAreThrottled(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for i := range 5 {
		if _, err := f.svc.UseEnrolCode(ctx, from("10.0.0.1"), "alice", "not-a-code"); !errors.Is(err, account.ErrInvalidCode) {
			t.Fatalf("wrong code %d: %v", i+1, err)
		}
	}
	f.svc.UseEnrolCode(ctx, from("10.0.0.1"), "alice", "not-a-code")
	if _, err := f.svc.UseEnrolCode(ctx, from("10.0.0.1"), "alice", "not-a-code"); !errors.Is(err, account.ErrThrottled) {
		t.Errorf("the 7th wrong code at once: %v", err)
	}
	if _, _, err := f.svc.CheckPassword(ctx, from("10.0.0.1"), "alice", []byte("correct horse")); !errors.Is(err, account.ErrThrottled) {
		t.Errorf("the password after wrong codes from the source: %v", err)
	}
	if s := stateOf(t, f, "alice"); s.failures != 0 || s.locked {
		t.Errorf("wrong One Swipe codes counted against the account: %+v", s)
	}
}

// The throttle answers a user ID that does not exist exactly as one that
// does: it tells nothing of who has an account.
func TestThrottleAnswersUnknownUsersAlike(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	answers := map[string][]error{}
	for _, userID := range []string{"alice", "nobody"} {
		for range 8 {
			_, _, err := f.svc.CheckPassword(ctx, from("10.0.0.9"), userID, []byte("wrong"))
			answers[userID] = append(answers[userID], err)
		}
	}
	for i := range answers["alice"] {
		if a, b := answers["alice"][i], answers["nobody"][i]; !errors.Is(b, a) {
			t.Errorf("try %d: %v for alice, %v for nobody", i+1, a, b)
		}
	}
	if last := answers["nobody"][7]; !errors.Is(last, account.ErrThrottled) {
		t.Errorf("the 8th try for nobody: %v", last)
	}
}
