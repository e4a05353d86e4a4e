package console

import (
	"crypto/rand"
	"crypto/subtle"
	"net/http"
	"sync"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// IdleTimeout ends a console session that made no request for this long:
// an operator who walks away from a shared desk is signed out within a
// quarter of an hour. account.OperatorSessionMax bounds a session however
// active it is (docs/console.md).
const IdleTimeout = 15 * time.Minute

// maxSessions bounds the session table: the console is for a team of
// operators on a listener of its own, never for the public.
const maxSessions = 1000

// cookieName is the console's session cookie (Path /admin/).
const cookieName = "softtoken_console"

// session is one browser's visit to the console, held on the server; the
// cookie holds only its random ID. Before the sign-in it holds the grant
// of the password (pending) waiting for the passcode; after it, the
// operator's actor, which the rules check again on every request. It
// never holds a secret the console issued.
type session struct {
	mu      sync.Mutex
	id      string
	csrf    string
	created time.Time
	seen    time.Time
	// https says the browser came over HTTPS: the cookie is Secure.
	https bool
	// pending is the grant of the password, while the passcode page
	// waits; sentTo the masked number an SMS passcode went to.
	pending *account.Grant
	sentTo  string
	// actor is the operator signed in (nil before).
	actor *account.Actor
}

// expired reports whether s is over at now: idle too long, or older than
// an operator's sign-in may last.
func (s *session) expired(now time.Time) bool {
	return now.Sub(s.seen) > IdleTimeout || now.Sub(s.created) > account.OperatorSessionMax
}

// checkCSRF compares the form's token with the session's.
func (s *session) checkCSRF(r *http.Request) bool {
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}

// sessions is the console's in-memory session table; a restart signs
// every operator out.
type sessions struct {
	mu   sync.Mutex
	byID map[string]*session
}

// get returns the live session of the request's cookie, or nil; it
// counts the request as activity.
func (t *sessions) get(r *http.Request, now time.Time) *session {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.byID[c.Value]
	if s == nil {
		return nil
	}
	if s.expired(now) {
		delete(t.byID, s.id)
		return nil
	}
	s.seen = now
	return s
}

// start makes a new session, with a new ID and CSRF token. When the table
// is full, expired sessions go first, then the oldest that has not signed
// in; a table full of operators' sessions refuses (nil).
func (t *sessions) start(now time.Time, https bool) *session {
	s := &session{id: rand.Text() + rand.Text(), csrf: rand.Text(), created: now, seen: now, https: https}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.byID) >= maxSessions {
		var oldest *session
		for _, old := range t.byID {
			if old.expired(now) {
				delete(t.byID, old.id)
			} else if old.actor == nil && (oldest == nil || old.created.Before(oldest.created)) {
				oldest = old
			}
		}
		if len(t.byID) >= maxSessions && oldest != nil {
			delete(t.byID, oldest.id)
		}
		if len(t.byID) >= maxSessions {
			return nil
		}
	}
	t.byID[s.id] = s
	return s
}

// end forgets s.
func (t *sessions) end(s *session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.byID, s.id)
}

// setCookie gives the browser s's ID: HttpOnly, SameSite=Strict, Secure
// over HTTPS, for the console's pages only.
func setCookie(w http.ResponseWriter, s *session) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: s.id, Path: Prefix, HttpOnly: true, Secure: s.https,
		SameSite: http.SameSiteStrictMode, MaxAge: int(account.OperatorSessionMax.Seconds())})
}

// clearCookie removes the session cookie.
func clearCookie(w http.ResponseWriter, https bool) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: Prefix, HttpOnly: true, Secure: https,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
}
