package ws

import (
	"sync"
	"time"
)

// sessions enforces one access per user at a time, as the guide asks: a
// user's session holds a lease while its socket is open, and for a while
// after it closed without a logout.
type sessions struct {
	hold time.Duration

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
	return &sessions{hold: hold, leases: map[string]lease{}}
}

// acquire gives the user's lease to conn, unless another connection holds it.
func (s *sessions) acquire(user string, conn uint64, now time.Time) bool {
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
