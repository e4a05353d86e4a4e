// Package ratelimit is a token bucket per key (a client address, a user
// ID), for the websocket endpoint and the web pages alike. Buckets unused
// for an hour are dropped, so a flood of keys cannot grow it without bound
// for long.
package ratelimit

import (
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
	lim  *rate.Limiter
	seen time.Time
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

// Allow reports whether key may do one more thing now.
func (l *Limiter) Allow(addr string, now time.Time) bool {
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
