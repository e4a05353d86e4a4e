package ws

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a token bucket per client address. Buckets unused for an hour
// are dropped, so a flood of addresses cannot grow it without bound for long.
type limiter struct {
	every rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(perMinute, burst int) *limiter {
	return &limiter{every: rate.Limit(float64(perMinute) / 60), burst: burst, buckets: map[string]*bucket{}}
}

// allow reports whether addr may do one more thing now.
func (l *limiter) allow(addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Hour {
		for a, b := range l.buckets {
			if now.Sub(b.seen) > time.Hour {
				delete(l.buckets, a)
			}
		}
		l.swept = now
	}
	b := l.buckets[addr]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.every, l.burst)}
		l.buckets[addr] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}

// sessions enforces one access per user at a time, as the guide asks: a
// user's session holds a lease while its socket is open, and for a while
// after it closed without a logout.
type sessions struct {
	hold time.Duration

	mu     sync.Mutex
	leases map[int64]lease
}

type lease struct {
	conn     uint64
	open     bool
	closedAt time.Time
}

func newSessions(hold time.Duration) *sessions {
	return &sessions{hold: hold, leases: map[int64]lease{}}
}

// acquire gives the user's lease to conn, unless another connection holds it.
func (s *sessions) acquire(user int64, conn uint64, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.leases[user]; ok && l.conn != conn && (l.open || now.Before(l.closedAt.Add(s.hold))) {
		return false
	}
	s.leases[user] = lease{conn: conn, open: true}
	return true
}

// release ends conn's lease: at once after a logout, after the hold time
// when the socket just closed.
func (s *sessions) release(user int64, conn uint64, loggedOut bool, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.leases[user]
	if !ok || l.conn != conn {
		return
	}
	if loggedOut {
		delete(s.leases, user)
		return
	}
	s.leases[user] = lease{conn: conn, closedAt: now}
}
