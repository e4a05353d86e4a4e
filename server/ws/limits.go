package ws

import (
	"sync"
	"time"
)

// sessions enforces one access per user at a time, as the guide asks: a
// user's session holds a lease while its socket is open, and for a while
// after it closed without a logout.
type sessions struct {
	holdFor time.Duration

	mu     sync.Mutex
	leases map[string]lease
}

type lease struct {
	conn     uint64
	open     bool
	closedAt time.Time
}

// Users are keyed by their user ID in lower case, as the store compares
// them.
func newSessions(hold time.Duration) *sessions {
	return &sessions{holdFor: hold, leases: map[string]lease{}}
}

// acquire gives the user's lease to conn, unless another connection holds
// it: then it says until when (zero while the other socket is open).
func (s *sessions) acquire(user string, conn uint64, now time.Time) (ok bool, heldUntil time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, held := s.leases[user]; held && l.conn != conn && (l.open || now.Before(l.closedAt.Add(s.holdFor))) {
		if l.open {
			return false, time.Time{}
		}
		return false, l.closedAt.Add(s.holdFor)
	}
	s.leases[user] = lease{conn: conn, open: true}
	return true, time.Time{}
}

// hold holds the user for the hold time from now, as a session closed
// without logout would (a portal's verifylogin, when it holds users),
// unless another connection holds them.
func (s *sessions) hold(user string, conn uint64, now time.Time) (ok bool, heldUntil time.Time) {
	if ok, until := s.acquire(user, conn, now); !ok {
		return false, until
	}
	s.release(user, conn, false, now)
	return true, time.Time{}
}

// release ends conn's lease: at once after a logout, after the hold time
// when the socket just closed.
func (s *sessions) release(user string, conn uint64, loggedOut bool, now time.Time) {
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
