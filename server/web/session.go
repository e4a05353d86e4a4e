package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// Session lifetimes: the pages are for a few minutes of work, and a
// session left open on a shared PC must not last.
const (
	sessionIdle = 10 * time.Minute
	sessionMax  = 30 * time.Minute
)

// session is one browser's visit, held on the server; the cookie holds
// only its random ID. V is the site's own state (enrolState, deskState).
// Its lock is taken and released only by the step wrappers (site.page,
// site.form), so that no handler unlocks what another locked.
type session[V any] struct {
	mu      sync.Mutex
	id      string
	csrf    string
	created time.Time
	seen    time.Time
	// https says the browser came over HTTPS when the session began
	// (request.HTTPS): its cookie is Secure. Set before anyone but the
	// request that made it knows the session.
	https bool
	v     V
}

// sessions is a site's in-memory session table. A server restart signs
// everyone out, which for pages used minutes at a time is fine.
type sessions[V any] struct {
	// max bounds the table (Limits.MaxSessions): beyond it no session
	// starts until some end or expire, whatever the addresses they come
	// from.
	max   int
	mu    sync.Mutex
	byID  map[string]*session[V]
	swept time.Time
}

func newID() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func expired(created, seen, now time.Time) bool {
	return now.Sub(seen) > sessionIdle || now.Sub(created) > sessionMax
}

// get returns the live session of the request's cookie, or nil.
func (t *sessions[V]) get(r *http.Request, cookie string, now time.Time) *session[V] {
	c, err := r.Cookie(cookie)
	if err != nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.byID[c.Value]
	if s == nil || expired(s.created, s.seen, now) {
		delete(t.byID, c.Value)
		return nil
	}
	s.seen = now
	return s
}

// start makes a new session holding v, or returns nil when the table is
// full.
func (t *sessions[V]) start(now time.Time, v V) *session[V] {
	s := &session[V]{id: newID(), csrf: newID(), created: now, seen: now, v: v}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byID == nil {
		t.byID = map[string]*session[V]{}
	}
	if now.Sub(t.swept) > time.Minute || len(t.byID) >= t.max {
		for id, old := range t.byID {
			if expired(old.created, old.seen, now) {
				delete(t.byID, id)
			}
		}
		t.swept = now
	}
	if len(t.byID) >= t.max {
		return nil
	}
	t.byID[s.id] = s
	return s
}

// count is how many sessions the table holds (expired ones not swept
// yet included).
func (t *sessions[V]) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.byID)
}

// end forgets s.
func (t *sessions[V]) end(s *session[V]) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.byID, s.id)
}

// checkCSRF compares the form's or header's token with the session's.
func (s *session[V]) checkCSRF(r *http.Request) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}
