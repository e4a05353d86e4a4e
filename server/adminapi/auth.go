package adminapi

import (
	"errors"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/request"
)

// authenticate is the actor of r's key (`Authorization: Bearer KEY`),
// counted against the key's rate. A missing or bad key is counted against
// the client address, which is refused for a while (limitedError) once it
// has sent too many: while refused, its keys are not even looked up.
func (a *api) authenticate(r *http.Request) (account.Actor, error) {
	addr, now := request.ClientAddr(r), a.cfg.Now()
	if wait := a.badKey.blocked(addr, now); wait > 0 {
		return account.Actor{}, &limitedError{wait: wait}
	}
	key, ok := bearer(r.Header.Get("Authorization"))
	var err error = errNoKey
	var by account.Actor
	if ok {
		by, err = a.cfg.Accounts.APIKeyActor(r.Context(), key)
	}
	if errors.Is(err, errNoKey) || errors.Is(err, account.ErrBadKey) {
		if wait := a.badKey.failed(addr, now); wait > 0 {
			return account.Actor{}, &limitedError{wait: wait}
		}
		return account.Actor{}, err
	}
	if err != nil {
		return account.Actor{}, err
	}
	if !a.perKey.Allow("key "+by.Name(), now) {
		return account.Actor{}, &limitedError{wait: oneEvent(a.cfg.KeyRate)}
	}
	return by, nil
}

// bearer reads the key of an Authorization header of the Bearer scheme
// (RFC 6750; the scheme's name in any case).
func bearer(h string) (string, bool) {
	scheme, key, ok := strings.Cut(strings.TrimSpace(h), " ")
	key = strings.TrimSpace(key)
	return key, ok && strings.EqualFold(scheme, "Bearer") && key != ""
}

// oneEvent is how long rate r takes to allow one more event: the wait a
// refused client is told (Retry-After).
func oneEvent(r ratelimit.Rate) time.Duration {
	return time.Duration(math.Ceil(60/float64(r.PerMinute))) * time.Second
}

// maxBlocked bounds the addresses a blocker remembers as refused: beyond
// it, an address is refused by its empty bucket alone.
const maxBlocked = 1 << 16

// blocker limits the bad keys of each client address: each counts against
// the address's bucket, and an address whose bucket is empty is refused,
// without its keys being looked up, until a new try is due.
type blocker struct {
	lim  *ratelimit.Limiter
	wait time.Duration

	mu    sync.Mutex
	until map[string]time.Time
}

func newBlocker(r ratelimit.Rate) *blocker {
	return &blocker{lim: r.Limiter(), wait: oneEvent(r), until: map[string]time.Time{}}
}

// blocked is how long addr is still refused (0: not).
func (b *blocker) blocked(addr string, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	until, ok := b.until[ratelimit.Source(addr)]
	if !ok || !now.Before(until) {
		return 0
	}
	return until.Sub(now)
}

// failed counts a bad key from addr and returns how long addr is now
// refused (0: this try was within its rate).
func (b *blocker) failed(addr string, now time.Time) time.Duration {
	if b.lim.Allow(addr, now) {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.until) >= maxBlocked {
		for k, t := range b.until {
			if !now.Before(t) {
				delete(b.until, k)
			}
		}
	}
	if len(b.until) < maxBlocked {
		b.until[ratelimit.Source(addr)] = now.Add(b.wait)
	}
	return b.wait
}
