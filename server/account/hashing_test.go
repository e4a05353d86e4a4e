package account_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/password"
)

// TestHashingStaysWithinTheBudget: many concurrent password checks, with
// a budget of one hash, never run two argon2id computations at once, and
// every one is answered.
func TestHashingStaysWithinTheBudget(t *testing.T) {
	params := password.Params{Memory: 2 << 10, Time: 1, Threads: 1} // 2 MiB, a few ms
	budget := 2 * int64(params.Memory) << 10                        // one hash and the collector's slack
	f := newFixture(t, func(f *fixture) { f.hash, f.hashing = params, password.NewPool(budget, time.Minute) })
	password.Peak() // a new measurement
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			_, _, err := f.svc.CheckPassword(context.Background(), admin, "alice", []byte("correct horse"))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a check was not answered: %v", err)
		}
	}
	if peak := password.Peak(); peak > budget {
		t.Fatalf("argon2id held %d KiB at once, over the budget of %d KiB", peak>>10, budget>>10)
	}
}

// TestBusyHashingCountsNothing: while the hashing budget is full, wrong
// passwords, passcodes and answers are answered ErrBusy and counted
// nowhere: once the server has room, the right password is not throttled
// and the right passcode is not locked out, although more busy attempts
// came than the throttle's and the lockout's limits.
func TestBusyHashingCountsNothing(t *testing.T) {
	ctx := context.Background()
	pool := password.NewPool(int64(cheap.Memory)<<10, 10*time.Millisecond)
	f := newFixture(t, func(f *fixture) { f.hashing = pool })
	g := f.password(t)
	held, err := pool.Acquire(ctx, cheap)
	if err != nil {
		t.Fatal(err)
	}
	attempts := []struct {
		name string
		try  func() error
	}{
		{"wrong password", func() error {
			_, _, err := f.svc.CheckPassword(ctx, admin, "alice", []byte("wrong horse"))
			return err
		}},
		{"wrong passcode", func() error { _, err := f.svc.CheckPasscode(ctx, admin, g, "000000"); return err }},
		{"wrong enrol passcode", func() error { _, err := f.svc.CheckEnrolPasscode(ctx, admin, g, "000000"); return err }},
		{"wrong answer", func() error { _, err := f.svc.CheckAnswer(ctx, admin, g, 1, "wrong"); return err }},
	}
	for _, a := range attempts {
		for range 6 {
			if err := a.try(); !errors.Is(err, account.ErrBusy) {
				t.Fatalf("%s while busy: %v, want ErrBusy", a.name, err)
			}
		}
	}
	held.Release()
	g = f.password(t)
	if _, err := f.svc.CheckPasscode(ctx, admin, g, f.code(t, 0)); err != nil {
		t.Fatalf("the right passcode once the server has room: %v", err)
	}
}
