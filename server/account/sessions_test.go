package account_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// heldBy says how a session refusal should read: held by an open socket,
// or until a time.
func heldBy(t *testing.T, err error, open bool, until time.Time) {
	t.Helper()
	held, ok := errors.AsType[*account.HeldError](err)
	if !ok || !errors.Is(err, account.ErrHeld) {
		t.Errorf("got %v, want a *HeldError", err)
		return
	}
	if held.Open != open || !open && !held.Until.Equal(until) {
		t.Errorf("held %+v, want open %v until %v", held, open, until)
	}
}

// A session holds its user while its socket is open, and for SessionHold
// after it closed without a logout; a logout frees the user at once.
func TestSessionHold(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		hold time.Duration
	}{
		{"the default hold", 0},
		{"a hold of an hour", time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newService(t, func(c *account.Config) { c.SessionHold = tc.hold })
			hold := cmpOr(tc.hold, 5*time.Minute)
			if got := f.svc.SessionHold(); got != hold {
				t.Errorf("SessionHold %v, want %v", got, hold)
			}
			g := signedIn(t, f, f.svc)
			a, b := account.NewHolder(), account.NewHolder()
			if err := f.svc.TakeSession(ctx, admin, g, a); err != nil {
				t.Fatal(err)
			}
			if err := f.svc.TakeSession(ctx, admin, g, a); err != nil {
				t.Errorf("the holder again: %v", err)
			}
			heldBy(t, f.svc.TakeSession(ctx, admin, g, b), true, time.Time{})
			if err := f.svc.EndSession(ctx, "alice", a, false); err != nil {
				t.Fatal(err)
			}
			closed := f.now
			f.now = closed.Add(hold - time.Second)
			heldBy(t, f.svc.TakeSession(ctx, admin, g, b), false, closed.Add(hold))
			f.now = closed.Add(hold)
			if err := f.svc.TakeSession(ctx, admin, g, b); err != nil {
				t.Fatalf("when the hold ends: %v", err)
			}
			if err := f.svc.EndSession(ctx, "alice", b, true); err != nil {
				t.Fatal(err)
			}
			if err := f.svc.TakeSession(ctx, admin, g, a); err != nil {
				t.Errorf("after a logout: %v", err)
			}
		})
	}
}

// An open socket keeps its session fresh while its grant holds (a lease
// not kept lapses, as when its node dies); once the
// grant ends (the account changed) keeping it says why and frees the
// user, so the real user may sign in at once.
func TestKeepSession(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	g := signedIn(t, f, f.svc)
	a := account.NewHolder()
	if err := f.svc.TakeSession(ctx, admin, g, a); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(4 * time.Minute)
	if err := f.svc.KeepSession(ctx, g, a); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(4 * time.Minute) // past the first hold, within the kept one
	heldBy(t, f.svc.TakeSession(ctx, admin, g, account.NewHolder()), true, time.Time{})
	if _, err := f.svc.Reset(ctx, admin, account.ByAdmin("alice"), []byte("battery staple")); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.KeepSession(ctx, g, a); !errors.Is(err, account.ErrSignedOut) {
		t.Errorf("keeping the session of a reset user: %v, want %v", err, account.ErrSignedOut)
	}
	g2, _, err := f.svc.CheckPassword(ctx, admin, "alice", []byte("battery staple"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.TakeSession(ctx, admin, g2, account.NewHolder()); err != nil {
		t.Errorf("the real user after the reset: %v", err)
	}
}

// An administrator sees the sessions and ends one; nobody else may, and
// there must be one to end.
func TestLogout(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	g := signedIn(t, f, f.svc)
	if err := f.svc.Logout(ctx, admin, account.ByAdmin("alice")); !errors.Is(err, account.ErrNoSession) {
		t.Errorf("no session: %v, want %v", err, account.ErrNoSession)
	}
	if err := f.svc.TakeSession(ctx, admin, g, account.NewHolder()); err != nil {
		t.Fatal(err)
	}
	leases, err := f.svc.Sessions(ctx, account.CommandLine)
	if err != nil || len(leases) != 1 || leases[0].UserID != "alice" || !leases[0].Open {
		t.Errorf("sessions: %+v, %v", leases, err)
	}
	if err := f.svc.Logout(ctx, admin, g.Self()); !errors.Is(err, account.ErrNotAllowed) {
		t.Errorf("by the user's own grant: %v, want %v", err, account.ErrNotAllowed)
	}
	if err := f.svc.Logout(ctx, admin, account.ByAdmin("alice")); err != nil {
		t.Fatal(err)
	}
	if leases, _ := f.svc.Sessions(ctx, account.CommandLine); len(leases) != 0 {
		t.Errorf("sessions after the logout: %+v", leases)
	}
	if err := f.svc.TakeSession(ctx, admin, g, account.NewHolder()); err != nil {
		t.Errorf("a new session after the logout: %v", err)
	}
}

// A portal's verifylogin may hold the user as a closed session does.
func TestHoldUser(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	g := signedIn(t, f, f.svc)
	if err := f.svc.HoldUser(ctx, admin, g, account.NewHolder()); err != nil {
		t.Fatal(err)
	}
	held := f.now
	heldBy(t, f.svc.HoldUser(ctx, admin, g, account.NewHolder()), false, held.Add(5*time.Minute))
	f.now = held.Add(5 * time.Minute)
	if err := f.svc.HoldUser(ctx, admin, g, account.NewHolder()); err != nil {
		t.Errorf("when the hold ends: %v", err)
	}
}

// Of many sockets taking one user's session at once, on either store,
// one gets it; the rest are told it is held.
func TestSessionTakenOnce(t *testing.T) {
	onEach(t, func(t *testing.T, on func(*fixture)) {
		ctx := context.Background()
		f := newFixture(t, on)
		g := signedIn(t, f, f.svc)
		var mu sync.Mutex
		var wg sync.WaitGroup
		took, held := 0, 0
		for range 8 {
			wg.Go(func() {
				err := f.svc.TakeSession(ctx, admin, g, account.NewHolder())
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					took++
				case errors.Is(err, account.ErrHeld):
					held++
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if took != 1 || held != 7 {
			t.Errorf("8 at once: %d took the session, %d were told it is held; want 1 and 7", took, held)
		}
	})
}
