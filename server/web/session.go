package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/softtoken/softtoken/server/fair"
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
	// place is the session's place in its table's share of its client
	// address.
	place *fair.Entry[*session[V]]
	v     V
}

// sessions is a site's in-memory session table. A server restart signs
// everyone out, which for pages used minutes at a time is fine.
//
// The table is bounded (Limits.MaxSessions), and so is each client
// address's share of it (Limits.MaxSessionsPerAddr), so that no address,
// nor a few hundred of them, can fill it and keep everyone else out
// (package fair): a new session whose address already holds its share,
// or one that finds the table full, takes the place of the oldest
// session of the busiest address (its own, if none is busier), sessions
// that have not signed in first; only when there is none to take is the
// visitor refused. A session whose user has proved a password (signed
// in) goes only when no session that has not is left.
type sessions[V any] struct {
	max    int
	mu     sync.Mutex
	byID   map[string]*session[V]
	places *fair.Table[*session[V]]
	swept  time.Time
}

// maxSignedInPerUser bounds the signed-in sessions of one user: a person
// uses one or two browser windows; a stranger who knows the password must
// not fill the table with sessions that are evicted last.
const maxSignedInPerUser = 3

// newSessions is a table of at most max sessions, perAddr from one
// client address.
func newSessions[V any](max, perAddr int) *sessions[V] {
	return &sessions[V]{max: max, byID: map[string]*session[V]{},
		places: fair.New[*session[V]](fair.Limits{Max: max, PerAddr: perAddr, PerKey: maxSignedInPerUser, OwnFirst: true})}
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
	if s == nil {
		return nil
	}
	if expired(s.created, s.seen, now) {
		t.forget(s)
		return nil
	}
	s.seen = now
	return s
}

// start makes a new session holding v for a visitor from addr, signed in
// as userID ("" for none); it returns the session, and the session it
// took the place of (nil if none), or fair.ErrAddrFull or fair.ErrFull
// when there is no place to take. A user holds at most
// maxSignedInPerUser sessions: a newer one ends their oldest.
func (t *sessions[V]) start(now time.Time, addr, userID string, v V) (s, evicted *session[V], err error) {
	s = &session[V]{id: newID(), csrf: newID(), created: now, seen: now, v: v}
	class := fair.Anonymous
	if userID != "" {
		class = fair.Proved
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	// Expired sessions are swept every minute, and before one is
	// evicted, but at most once a second: a sweep reads the whole table.
	if d := now.Sub(t.swept); d > time.Minute || d >= time.Second && len(t.byID) >= t.max {
		for _, old := range t.byID {
			if expired(old.created, old.seen, now) {
				t.forget(old)
			}
		}
		t.swept = now
	}
	place, victim, err := t.places.Admit(addr, s, class, false)
	if err != nil {
		return nil, nil, err
	}
	if userID != "" {
		if older := t.places.Claim(place, userID); older != nil {
			delete(t.byID, older.Value.id) // the user's oldest sign-in
		}
	}
	if victim != nil {
		evicted = victim.Value
		delete(t.byID, evicted.id)
	}
	s.place = place
	t.byID[s.id] = s
	return s, evicted, nil
}

// forget takes s out of the table (t.mu held).
func (t *sessions[V]) forget(s *session[V]) {
	delete(t.byID, s.id)
	t.places.Leave(s.place)
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
	t.forget(s)
}

// checkCSRF compares the form's or header's token with the session's.
func (s *session[V]) checkCSRF(r *http.Request) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}
