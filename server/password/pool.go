package password

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// ErrBusy is the answer when the hashing memory budget stays full for
// longer than the pool waits: the server is busy, and the client may try
// again shortly.
var ErrBusy = errors.New("the server is busy hashing passwords")

// Pool bounds the memory that argon2id work takes at once: each hash or
// check holds twice its parameters' memory (2 × 19 MiB by default: see
// memoryOf) from a budget
// for as long as it runs, and waits for room, up to a deadline, when the
// budget is full. Without it, N concurrent logins take N times 19 MiB.
//
// It also runs no more argon2id computations at once than it has runs
// (the cores by default): the rest wait their turn, in order, holding
// their room. More at once than cores buy no throughput and cost CPU:
// eight checks at once on two cores cost 1.4-1.7 times the CPU of one
// after another, in page faults (the heap grows by eight times 19 MiB
// and shrinks back to the kernel) and in computations the scheduler
// swaps finding their 19 MiB gone from the caches (docs/benchmarks.md,
// verify-cpu).
type Pool struct {
	budget int64
	wait   time.Duration
	sem    *semaphore.Weighted
	runs   *semaphore.Weighted
	// held is the room taken now, waiting the callers waiting for room,
	// busy the ErrBusy answers given, queued the holders of room waiting
	// their turn to run, running the computations running: what Stats
	// reports.
	held, waiting, busy, queued, running atomic.Int64
	// dummies are hashes of nothing per Params, for CheckNothing.
	dummies sync.Map
}

// DefaultWait is how long a hash waits for room in the budget by default.
const DefaultWait = 5 * time.Second

// NewPool is a pool of budget bytes whose hashes wait at most wait
// (DefaultWait if not above zero) for room, and run at most
// DefaultRuns() at once. A hash that needs more than the whole budget
// runs alone.
func NewPool(budget int64, wait time.Duration) *Pool { return NewPoolOf(budget, wait, 0) }

// NewPoolOf is NewPool running at most runs argon2id computations at once
// (DefaultRuns() if not above zero).
func NewPoolOf(budget int64, wait time.Duration, runs int) *Pool {
	budget = max(budget, 1)
	if wait <= 0 {
		wait = DefaultWait
	}
	if runs <= 0 {
		runs = DefaultRuns()
	}
	return &Pool{budget: budget, wait: wait, sem: semaphore.NewWeighted(budget), runs: semaphore.NewWeighted(int64(runs))}
}

// DefaultRuns is how many argon2id computations a pool runs at once by
// default: one per core the Go scheduler uses (runtime.GOMAXPROCS).
func DefaultRuns() int { return runtime.GOMAXPROCS(0) }

// run runs f, one argon2id computation, once fewer than the pool's runs
// are running: it waits its turn while ctx lives. The wait is bounded
// without a deadline of its own: only the holders of room in the budget
// wait here, so at most budget/memoryOf(p) computations are ahead.
func (pl *Pool) run(ctx context.Context, f func()) error {
	pl.queued.Add(1)
	err := pl.runs.Acquire(ctx, 1)
	pl.queued.Add(-1)
	if err != nil {
		return fmt.Errorf("wait for password hashing: %w", err)
	}
	pl.running.Add(1)
	defer func() {
		pl.running.Add(-1)
		pl.runs.Release(1)
	}()
	f()
	return nil
}

// DefaultBudget is an eighth of the machine's memory (from /proc/meminfo
// on Linux; 4 GiB where it cannot be read, so 512 MiB), and at least one
// hash of Default: hashing must leave room for everything else.
func DefaultBudget() int64 {
	total := int64(4 << 30)
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		if kib, ok := memTotalKiB(string(raw)); ok {
			total = kib << 10
		}
	}
	return max(total/8, memoryOf(Default))
}

// memTotalKiB reads the MemTotal line of /proc/meminfo.
func memTotalKiB(meminfo string) (int64, bool) {
	for line := range strings.Lines(meminfo) {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n, err == nil && n > 0
		}
	}
	return 0, false
}

// memoryOf is the memory in bytes that one hash of p costs the process:
// its p.Memory while it runs, and as much again afterwards, until the
// garbage collector takes it back (it lets the heap grow to twice what is
// live before it collects). Counting both keeps the process's peak, not
// only its live hashing memory, within the budget (make stress checks it).
func memoryOf(p Params) int64 { return 2 * int64(p.Memory) << 10 }

// Slot is room in a pool for one hash or check at a time, taken by
// Acquire: a caller takes it before it counts an attempt, so that a busy
// server refuses before anything is counted. Release gives it back.
type Slot struct {
	pool   *Pool
	ctx    context.Context
	params Params
	held   int64
	once   sync.Once
}

// Acquire takes room for one hash or check of p, waiting at most the
// pool's wait (and while ctx lives): ErrBusy when there is none by then.
func (pl *Pool) Acquire(ctx context.Context, p Params) (*Slot, error) {
	n := min(memoryOf(p), pl.budget)
	wctx, cancel := context.WithTimeout(ctx, pl.wait)
	defer cancel()
	pl.waiting.Add(1)
	err := pl.sem.Acquire(wctx, n)
	pl.waiting.Add(-1)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("wait for password hashing: %w", ctx.Err())
		}
		pl.busy.Add(1)
		return nil, ErrBusy
	}
	pl.held.Add(n)
	return &Slot{pool: pl, ctx: ctx, params: p, held: n}, nil
}

// Release gives the slot's room back; later calls do nothing.
func (s *Slot) Release() {
	s.once.Do(func() {
		s.pool.held.Add(-s.held)
		s.pool.sem.Release(s.held)
	})
}

// Stats is what a pool holds at one moment, for the operators' metrics.
type Stats struct {
	// Budget and InUse are bytes: the pool's budget and the room its
	// slots hold now.
	Budget, InUse int64
	// Waiting counts the callers waiting for room now; Busy the ErrBusy
	// answers given since the pool was made.
	Waiting, Busy int64
	// Running counts the argon2id computations running now, Queued the
	// holders of room waiting for their turn (Pool.run).
	Running, Queued int64
}

// Stats reports the pool's budget, use, queue and busy answers.
func (pl *Pool) Stats() Stats {
	return Stats{Budget: pl.budget, InUse: pl.held.Load(), Waiting: pl.waiting.Load(), Busy: pl.busy.Load(),
		Running: pl.running.Load(), Queued: pl.queued.Load()}
}

// Hash is Hash with the slot's parameters, in its turn (Pool.run).
func (s *Slot) Hash(pw []byte) (h string, err error) {
	if rerr := s.pool.run(s.ctx, func() { h, err = Hash(pw, s.params) }); rerr != nil {
		return "", rerr
	}
	return h, err
}

// Check is Check in the slot, in its turn (Pool.run). A stored hash that
// needs more memory than the slot holds (made with other parameters)
// waits for the difference, while the slot's context lives, rather than
// go over the budget.
func (s *Slot) Check(hash string, pw []byte) (bool, error) {
	p, err := paramsOf(hash)
	if err != nil {
		return false, err
	}
	if extra := min(memoryOf(p), s.pool.budget) - s.held; extra > 0 {
		if err := s.pool.sem.Acquire(s.ctx, extra); err != nil {
			return false, fmt.Errorf("wait for password hashing: %w", err)
		}
		defer s.pool.sem.Release(extra)
	}
	var ok bool
	if rerr := s.pool.run(s.ctx, func() { ok, err = Check(hash, pw) }); rerr != nil {
		return false, rerr
	}
	return ok, err
}

// CheckNothing spends the time of one Check of the slot's parameters and
// returns false: the answer for a user who does not exist. It returns at
// once if the slot's context ends before its turn (no one is waiting for
// the answer).
func (s *Slot) CheckNothing() {
	d, ok := s.pool.dummies.Load(s.params)
	if !ok {
		h, err := s.Hash([]byte("no such user"))
		if err != nil {
			return
		}
		d, _ = s.pool.dummies.LoadOrStore(s.params, h)
	}
	_ = s.pool.run(s.ctx, func() { _, _ = Check(d.(string), []byte("x")) })
}

// Hash hashes pw with p in the pool.
func (pl *Pool) Hash(ctx context.Context, pw []byte, p Params) (string, error) {
	s, err := pl.Acquire(ctx, p)
	if err != nil {
		return "", err
	}
	defer s.Release()
	return s.Hash(pw)
}

// Work in progress, in bytes, across every pool and caller of this
// process: what Peak reports.
var inUse, peak atomic.Int64

// running counts n bytes of argon2id work for as long as it runs.
func running(n int64) (done func()) {
	now := inUse.Add(n)
	for {
		p := peak.Load()
		if now <= p || peak.CompareAndSwap(p, now) {
			break
		}
	}
	return func() { inUse.Add(-n) }
}

// Peak is the most memory, in bytes, that argon2id work held at once in
// this process since the last call of Peak (which starts a new
// measurement): what the tests and make stress compare with the budget.
func Peak() int64 { return peak.Swap(inUse.Load()) }
