package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/softtoken/softtoken/server/auth"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/oneswipe"
)

// Session lifetimes: the pages are for a few minutes of work, and a
// session left open on a shared PC must not last.
const (
	sessionIdle = 10 * time.Minute
	sessionMax  = 30 * time.Minute
)

// session is one browser's visit, held on the server; the cookie holds
// only its random ID. A session is anonymous until the password is right
// (user set), and signed in after the passcode too.
type session struct {
	// mu guards the fields below id and csrf: requests of one browser may
	// overlap.
	mu      sync.Mutex
	id      string
	csrf    string
	created time.Time
	seen    time.Time

	user     store.User
	password bool // the password was right: the passcode comes next
	signedIn bool
	// codeTries counts wrong passcodes in this session.
	codeTries int
	// swipe is the One Swipe sign-in code read by the camera, waiting for
	// the password.
	swipe *oneswipe.SignIn
	// enrolCode is the One Swipe enrolment code issued to this signed-in
	// user, for the page that shows it.
	enrolCode *oneswipe.Enrolment
	// proof is how the passcode of the sign-in was proved: an enrolment
	// made with the initial passcode uses it up.
	proof auth.Proof
	// app is the soft token app enrolment in progress: its seed is
	// stored only once the user typed a code of it.
	app *pendingApp
	// smsPhone is the number an SMS enrolment waits to confirm.
	smsPhone string
	// done says what the last enrolment made, for the done page.
	done string

	// The self-help desk: the user ID typed, the question asked once the
	// password was right, and whether its answer was right.
	deskUserID   string
	deskQuestion int
	deskVerified bool
	deskTries    int
}

// pendingApp is a new seed shown to the user, not yet stored.
type pendingApp struct {
	tok    token.Token
	sealed store.Token
}

// sessions is the in-memory session table. A server restart signs
// everyone out, which for pages used minutes at a time is fine.
type sessions struct {
	mu    sync.Mutex
	byID  map[string]*session
	swept time.Time
}

func newID() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// get returns the live session of the request's cookie, or nil.
func (t *sessions) get(r *http.Request, cookie string, now time.Time) *session {
	c, err := r.Cookie(cookie)
	if err != nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.byID[c.Value]
	if s == nil || now.Sub(s.seen) > sessionIdle || now.Sub(s.created) > sessionMax {
		delete(t.byID, c.Value)
		return nil
	}
	s.seen = now
	return s
}

// start makes a new anonymous session. Signing in starts a new one too, so
// an ID planted before the sign-in is worth nothing after it.
func (t *sessions) start(now time.Time) *session {
	s := &session{id: newID(), csrf: newID(), created: now, seen: now}
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Sub(t.swept) > time.Minute {
		for id, old := range t.byID {
			if now.Sub(old.seen) > sessionIdle || now.Sub(old.created) > sessionMax {
				delete(t.byID, id)
			}
		}
		t.swept = now
	}
	t.byID[s.id] = s
	return s
}

// maxSessions bounds the table: beyond it no session starts until some
// expire, whatever the addresses they come from.
const maxSessions = 100_000

// full reports whether the table holds maxSessions.
func (t *sessions) full() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.byID) >= maxSessions
}

// end forgets s.
func (t *sessions) end(s *session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.byID, s.id)
}

// checkCSRF compares the form's or header's token with the session's.
func (s *session) checkCSRF(r *http.Request) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return s != nil && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}
