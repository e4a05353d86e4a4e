package radius

import (
	"crypto/rand"
	"net/netip"
	"sync"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// stateLen is the length of a State: random, so that nobody guesses one.
const stateLen = 18

// pending is a login that owes a passcode: the grant of the password,
// whom and which client it is for, and until when it waits.
type pending struct {
	grant   account.Grant
	userID  string // as the request named them
	client  string
	addr    netip.Addr
	expires time.Time
}

// states are the pending logins by their State, bounded: a full table
// refuses new ones (the password is answered with a Reject) rather than
// grow, after dropping those that expired.
type states struct {
	mu  sync.Mutex
	m   map[string]pending
	max int
}

func newStates(max int) *states { return &states{m: map[string]pending{}, max: max} }

// add keeps p under a new State, which it returns; false when the table
// is full.
func (s *states) add(p pending, now time.Time) (string, bool) {
	b := make([]byte, stateLen)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	key := string(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= s.max {
		for k, v := range s.m {
			if !now.Before(v.expires) {
				delete(s.m, k)
			}
		}
		if len(s.m) >= s.max {
			return "", false
		}
	}
	s.m[key] = p
	return key, true
}

// take removes the login of State key and returns it, if it is there and
// has not expired: each State works once.
func (s *states) take(key string, now time.Time) (pending, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.m[key]
	delete(s.m, key)
	return p, ok && now.Before(p.expires)
}

// restore puts back a login taken for a request that got no answer (the
// server was busy): the client's retransmission finds it again.
func (s *states) restore(key string, p pending) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = p
}
