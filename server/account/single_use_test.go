package account_test

import (
	"context"
	"sync"
	"testing"

	"github.com/softtoken/softtoken/server/account"
)

// passwords are 8 grants of userID's password.
func passwords(t *testing.T, f *fixture, userID, pw string) []account.Grant {
	t.Helper()
	out := make([]account.Grant, 8)
	for i := range out {
		g, _, err := f.svc.CheckPassword(context.Background(), admin, userID, []byte(pw))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = g
	}
	return out
}

// A code that works once works once however many present it at the same
// moment, on either store: the store's conditional statement decides, not
// a check in one process's memory.
func TestOneTimeCodesAcceptedOnceAtOnce(t *testing.T) { onEach(t, testOneTimeCodesAcceptedOnceAtOnce) }

func testOneTimeCodesAcceptedOnceAtOnce(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	kinds := []struct {
		name string
		// setup makes the code and returns the i-th of 8 tries of it.
		setup func(t *testing.T, f *fixture) func(i int) error
	}{
		{"a token passcode", func(t *testing.T, f *fixture) func(int) error {
			code, grants := f.code(t, 0), passwords(t, f, "alice", "correct horse")
			return func(i int) error { _, err := f.svc.CheckPasscode(ctx, admin, grants[i], code); return err }
		}},
		{"an SMS passcode", func(t *testing.T, f *fixture) func(int) error {
			smsUser(t, f, carolsPhone)
			grants := passwords(t, f, "carol", "carol password")
			if _, err := f.svc.SendLoginCode(ctx, admin, grants[0]); err != nil {
				t.Fatal(err)
			}
			code := f.lastText(t, carolsPhone)
			return func(i int) error { _, err := f.svc.CheckPasscode(ctx, admin, grants[i], code); return err }
		}},
		{"a One Swipe code", func(t *testing.T, f *fixture) func(int) error {
			e, err := f.svc.IssueEnrolCode(ctx, admin, account.ByAdmin("alice"), "https://x/secenrol/")
			if err != nil {
				t.Fatal(err)
			}
			return func(int) error { _, err := f.svc.UseEnrolCode(ctx, admin, "alice", e.Code); return err }
		}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			f := newFixture(t, on, texting)
			try := k.setup(t, f)
			var mu sync.Mutex
			var wg sync.WaitGroup
			start := make(chan struct{})
			accepted := 0
			for i := range 8 {
				wg.Go(func() {
					<-start
					err := try(i)
					mu.Lock()
					defer mu.Unlock()
					if err == nil {
						accepted++
					}
				})
			}
			close(start)
			wg.Wait()
			if got, want := accepted, 1; got != want {
				t.Errorf("8 at once: %d accepted, want %d", got, want)
			}
		})
	}
}
