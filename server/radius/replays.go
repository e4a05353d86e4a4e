package radius

import (
	"sync"
	"time"
)

// replays remembers the one-step requests answered, by client and
// request authenticator, for keepOneStep. A one-step request carries the
// password and the passcode together, and RADIUS carries no freshness of
// its own: one captured on the wire and sent again from the client's
// address after the retransmission window would be checked again, its
// passcode by then wrong, and ten such resends would lock the user out
// without anyone knowing their password. RFC 2865 (3) asks clients for
// request authenticators unique in time and space, so a second request
// with the same one is a replay, and is dropped.
//
// The table is bounded: when full, new one-step requests are dropped
// too (the client retransmits, or the user falls back on the challenge)
// rather than let a replay through.
type replays struct {
	mu    sync.Mutex
	seen  map[replayKey]time.Time
	order []replayKey // oldest first
	keep  time.Duration
	max   int
}

// replayKey names a one-step request: its client and its authenticator.
type replayKey struct {
	client string
	auth   [16]byte
}

func newReplays(keep time.Duration, max int) *replays {
	return &replays{seen: map[replayKey]time.Time{}, keep: keep, max: max}
}

// first reports whether k was not seen within keep (and remembers it): a
// false is a replay, or a full table.
func (r *replays) first(k replayKey, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.order) > 0 && !now.Before(r.seen[r.order[0]].Add(r.keep)) {
		delete(r.seen, r.order[0])
		r.order = r.order[1:]
	}
	if _, ok := r.seen[k]; ok || len(r.seen) >= r.max {
		return false
	}
	r.seen[k] = now
	r.order = append(r.order, k)
	return true
}

// forget drops k, a request that got no answer (the server was busy), so
// that its retransmission is checked.
func (r *replays) forget(k replayKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.seen, k) // its place in order goes with the sweep
}
