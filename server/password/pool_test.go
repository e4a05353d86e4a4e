package password

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var cheapParams = Params{Memory: 64, Time: 1, Threads: 1}

// TestPoolWaitsThenIsBusy: with the budget full, Acquire waits the pool's
// wait and answers ErrBusy; a caller that goes away meanwhile gets its
// context's error instead; once room is given back, hashes and checks run.
func TestPoolWaitsThenIsBusy(t *testing.T) {
	pool := NewPool(memoryOf(cheapParams), 10*time.Millisecond)
	held, err := pool.Acquire(context.Background(), cheapParams)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Hash(context.Background(), []byte("pw"), cheapParams); !errors.Is(err, ErrBusy) {
		t.Fatalf("a full pool: %v, want ErrBusy", err)
	}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := pool.Acquire(gone, cheapParams); err == nil || errors.Is(err, ErrBusy) {
		t.Fatalf("a caller gone: %v, want its context's error", err)
	}
	held.Release()
	held.Release() // a second release gives nothing back twice
	h, err := pool.Hash(context.Background(), []byte("pw"), cheapParams)
	if err != nil {
		t.Fatal(err)
	}
	s, err := pool.Acquire(context.Background(), cheapParams)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	if ok, err := s.Check(h, []byte("pw")); !ok || err != nil {
		t.Fatalf("check in the pool: %v, %v", ok, err)
	}
	if _, err := pool.Acquire(context.Background(), cheapParams); !errors.Is(err, ErrBusy) {
		t.Fatalf("after a double release, the pool has room for two: %v", err)
	}
}

func TestDefaultBudget(t *testing.T) {
	if kib, ok := memTotalKiB("MemFree:  1000 kB\nMemTotal:       16318412 kB\n"); !ok || kib != 16318412 {
		t.Errorf("MemTotal read as %d, %v", kib, ok)
	}
	if _, ok := memTotalKiB("nothing here"); ok {
		t.Error("MemTotal read from nothing")
	}
	if b := DefaultBudget(); b < memoryOf(Default) {
		t.Errorf("the default budget %d is less than one hash", b)
	}
}

// TestPoolRunsAtMostItsLimit: of many callers at once, the pool runs no
// more argon2id computations than its runs (the cores by default); the
// others wait their turn, and every one runs in the end. The computation
// is a fake that stays until the test lets it go, so that what runs at
// once is counted, not timed.
func TestPoolRunsAtMostItsLimit(t *testing.T) {
	for _, tt := range []struct {
		name          string
		runs, callers int
		want          int // running at once
	}{
		{"one at a time", 1, 5, 1},
		{"two cores, eight back-ends", 2, 8, 2},
		{"fewer callers than runs", 8, 3, 3},
		{"the default: one per core", 0, DefaultRuns() + 3, DefaultRuns()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pool := NewPoolOf(1<<30, time.Minute, tt.runs)
			var now, most, done atomic.Int64
			release := make(chan struct{})
			var wg sync.WaitGroup
			for range tt.callers {
				wg.Go(func() {
					err := pool.run(context.Background(), func() {
						n := now.Add(1)
						for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
						}
						<-release
						now.Add(-1)
					})
					if err != nil {
						t.Error(err)
					}
					done.Add(1)
				})
			}
			waitUntil(t, func() bool { return now.Load()+pool.Stats().Queued == int64(tt.callers) })
			if got, st := now.Load(), pool.Stats(); got != int64(tt.want) || st.Running != got || st.Queued != int64(tt.callers-tt.want) {
				t.Errorf("%d running (Stats: %d running, %d queued), want %d running and %d queued", got, st.Running, st.Queued, tt.want, tt.callers-tt.want)
			}
			close(release)
			wg.Wait()
			if most.Load() != int64(tt.want) || done.Load() != int64(tt.callers) {
				t.Errorf("%d ran at most at once, %d of %d ran: want %d at once", most.Load(), done.Load(), tt.callers, tt.want)
			}
		})
	}
}

// TestPoolTurnEndsWithTheCaller: a check waiting for its turn ends with
// its caller's context, with the context's error, and runs nothing.
func TestPoolTurnEndsWithTheCaller(t *testing.T) {
	pool := NewPoolOf(1<<30, time.Minute, 1)
	h, err := Hash([]byte("pw"), cheapParams)
	if err != nil {
		t.Fatal(err)
	}
	release, running := make(chan struct{}), make(chan struct{})
	go func() { _ = pool.run(context.Background(), func() { close(running); <-release }) }()
	<-running
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := pool.Acquire(ctx, cheapParams)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	cancel()
	if ok, err := s.Check(h, []byte("pw")); ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("a check whose caller went away: %v, %v; want context.Canceled", ok, err)
	}
}

// waitUntil waits for cond, polling; the test's own timeout bounds it.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		time.Sleep(time.Millisecond)
	}
}
