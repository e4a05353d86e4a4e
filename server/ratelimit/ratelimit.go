// Package ratelimit is a token bucket per key (a client address, a user
// ID), for the websocket endpoint and the web pages alike. Buckets unused
// for an hour are dropped, so a flood of keys cannot grow it without bound
// for long.
package ratelimit

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter allows each key perMinute events a minute, in bursts of burst.
type Limiter struct {
	every rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim *rate.Limiter
}

// New returns a Limiter.
func New(perMinute, burst int) *Limiter {
	return &Limiter{every: rate.Limit(float64(perMinute) / 60), burst: burst, buckets: map[string]*bucket{}}
}

// PerHour returns a Limiter that allows each key perHour events an hour,
// in bursts of burst.
func PerHour(perHour, burst int) *Limiter {
	return &Limiter{every: rate.Limit(float64(perHour) / 3600), burst: burst, buckets: map[string]*bucket{}}
}

// MaxKeys bounds the keys a Limiter tracks at once: a flood of new keys
// (addresses) is refused once it is full, rather than grow the map
// without bound; buckets that have filled up again are forgotten every
// minute, as a new bucket would be the same.
const MaxKeys = 1 << 20

// Allow reports whether key may do one more thing now. A key that is an
// IP address counts for its network (Source): an IPv6 client has a whole
// /64.
func (l *Limiter) Allow(key string, now time.Time) bool {
	key = Source(key)
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.buckets {
			if b.lim.TokensAt(now) >= float64(l.burst) {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= MaxKeys {
			return false
		}
		b = &bucket{lim: rate.NewLimiter(l.every, l.burst)}
		l.buckets[key] = b
	}
	return b.lim.AllowN(now, 1)
}

// Rate is a per-key limit as an administrator sets it: PerMinute events a
// minute, in bursts of Burst. It is a flag.Value written "N" (N a minute,
// all at once if need be) or "N,B" (N a minute, B at once).
type Rate struct{ PerMinute, Burst int }

// String writes r as Set reads it.
func (r *Rate) String() string {
	if r.Burst == r.PerMinute {
		return strconv.Itoa(r.PerMinute)
	}
	return strconv.Itoa(r.PerMinute) + "," + strconv.Itoa(r.Burst)
}

// Set reads "N" or "N,B". A limit cannot be turned off: both numbers are
// at least 1 (a high number makes a limit loose).
func (r *Rate) Set(s string) error {
	n, b, hasBurst := strings.Cut(s, ",")
	per, err := strconv.Atoi(strings.TrimSpace(n))
	burst := per
	if err == nil && hasBurst {
		burst, err = strconv.Atoi(strings.TrimSpace(b))
	}
	if err != nil || per < 1 || burst < 1 {
		return fmt.Errorf("%q is not a rate: write N (a minute) or N,B (a minute, B at once), each at least 1", s)
	}
	*r = Rate{PerMinute: per, Burst: burst}
	return nil
}

// Or is r, or def where r is zero (not configured).
func (r Rate) Or(def Rate) Rate {
	if r.PerMinute <= 0 || r.Burst <= 0 {
		return def
	}
	return r
}

// Limiter is a Limiter at rate r.
func (r Rate) Limiter() *Limiter { return New(r.PerMinute, r.Burst) }

// Source is what limits and throttles count a client address as: an IPv4
// address itself, an IPv6 address's /64 network (one home line or host
// has a whole /64: counting its addresses one by one would give it 2^64
// fresh buckets). Anything that is not an IP address is returned as it is.
func Source(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil || ip.Is4() || ip.Is4In6() {
		if err == nil && ip.Is4In6() {
			return ip.Unmap().String()
		}
		return addr
	}
	p, _ := ip.WithZone("").Prefix(64) // an IPv6 address always has a /64
	return p.String()
}
