package ws

import (
	"sync"
	"time"
)

// A handler's logged-in sockets are pinged, and their users' session
// leases kept fresh, by one sweeper for them all: an idle socket holds no
// timer of its own (docs/benchmarks.md, "Idle sockets"). Each ping or
// refresh that falls due runs on a goroutine of its own, as a timer's
// function would, so that a slow client or a slow store delays only its
// own socket; the next one is due a period after it ends.

// sweepEvery is how often the sweeper looks for what is due: pings and
// refreshes run up to this late.
const sweepEvery = 250 * time.Millisecond

// sweeper holds the logged-in sockets' schedules; its goroutine runs
// while there is at least one.
type sweeper struct {
	mu      sync.Mutex
	due     map[*conn]*schedule
	running bool
}

// schedule is when a socket's next ping and lease refresh are due; a
// zero time while one runs.
type schedule struct {
	keepEvery  time.Duration
	ping, keep time.Time
}

// add schedules c's pings every pingPeriod and its lease refresh every
// keepEvery.
func (s *sweeper) add(c *conn, keepEvery time.Duration) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.due == nil {
		s.due = make(map[*conn]*schedule)
	}
	s.due[c] = &schedule{keepEvery: keepEvery, ping: now.Add(pingPeriod), keep: now.Add(keepEvery)}
	if !s.running {
		s.running = true
		go s.run()
	}
}

// remove ends c's pings and refreshes (those running finish).
func (s *sweeper) remove(c *conn) {
	s.mu.Lock()
	delete(s.due, c)
	s.mu.Unlock()
}

// run sweeps until no socket is left.
func (s *sweeper) run() {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for now := range t.C {
		if !s.sweep(now) {
			return
		}
	}
}

// sweep starts what is due at now; it reports false, the sweeper
// stopped, once no socket is left.
func (s *sweeper) sweep(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.due) == 0 {
		s.running = false
		return false
	}
	for c, d := range s.due {
		if !d.ping.IsZero() && !now.Before(d.ping) {
			d.ping = time.Time{}
			go s.call(c, c.sendPing, func(d *schedule, end time.Time) { d.ping = end.Add(pingPeriod) })
		}
		if !d.keep.IsZero() && !now.Before(d.keep) {
			d.keep = time.Time{}
			go s.call(c, c.keepSession, func(d *schedule, end time.Time) { d.keep = end.Add(d.keepEvery) })
		}
	}
	return true
}

// call runs f for c, if c is still scheduled, and then schedules the
// next run with next, unless f says the socket is done.
func (s *sweeper) call(c *conn, f func() bool, next func(*schedule, time.Time)) {
	s.mu.Lock()
	_, ok := s.due[c]
	s.mu.Unlock()
	if !ok {
		return
	}
	goOn := f()
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.due[c]; ok {
		if !goOn {
			delete(s.due, c)
			return
		}
		next(d, time.Now())
	}
}
