package password

import (
	"context"
	"errors"
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
