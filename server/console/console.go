// Package console is the operators' console: server-rendered pages at
// /admin/ on the admin listener (serve --admin-listen), where help-desk
// operators, administrators and auditors find users and act on them
// through the rules service, each signed in with their password and
// their own second factor (docs/console.md).
//
// The pages are adapters, as the enrol site's are (server/web, whose
// security headers, language cookie, words and style they share): each
// parses a form, calls one method of account.Service with the operator's
// account.Actor, and renders the result. Every form carries a CSRF token;
// the session cookie is HttpOnly, SameSite=Strict, Secure over HTTPS and
// scoped to /admin/; a session ends after IdleTimeout without a request
// and account.OperatorSessionMax after the sign-in, and at once when the
// rules say the operator no longer holds (account.Service.Check on every
// request: a password changed, a role taken away, the account disabled).
// What the rules decide is never decided here: buttons a role may not use
// are hidden, and the rules refuse them anyway. Secrets the console
// issues (a temporary passcode, an initial passcode, a reset's password)
// are shown once in the answer to the form, never put in a URL, a log
// line or the session.
package console

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/request"
	"github.com/softtoken/softtoken/server/web"
)

// Prefix is where the console is served.
const Prefix = "/admin/"

// Config is what the console runs with.
type Config struct {
	Accounts *account.Service
	// MaxTempDays bounds temporary passcodes.
	MaxTempDays int
	Logger      *slog.Logger
	Now         func() time.Time
}

// maxForm bounds a form's body.
const maxForm = 64 << 10

// console serves the pages.
type console struct {
	cfg      Config
	mux      *http.ServeMux
	sessions *sessions
}

// New returns the console's handler.
func New(cfg Config) http.Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxTempDays <= 0 {
		cfg.MaxTempDays = web.DefaultMaxTempDays
	}
	c := &console{cfg: cfg, mux: http.NewServeMux(), sessions: &sessions{byID: map[string]*session{}}}
	c.routes()
	return c
}

func (c *console) routes() {
	c.mux.HandleFunc("GET "+Prefix+"{$}", c.visitor(c.home))
	c.mux.HandleFunc("POST "+Prefix+"{$}", c.visitorForm(c.password))
	c.mux.HandleFunc("POST "+Prefix+"passcode", c.visitorForm(c.passcode))
	c.mux.HandleFunc("POST "+Prefix+"signout", c.visitorForm(c.signOut))
	c.mux.HandleFunc("GET "+Prefix+"lang", c.switchLang)
	c.mux.Handle("GET "+Prefix+"static/", c.static())
	c.mux.HandleFunc("GET "+Prefix+"users", c.operator(c.users))
	c.mux.HandleFunc("GET "+Prefix+"user", c.operator(c.user))
	c.mux.HandleFunc("POST "+Prefix+"user/{action}", c.operatorForm(c.act))
	c.mux.HandleFunc("GET "+Prefix+"audit", c.operator(c.audit))
	c.mux.HandleFunc("GET "+Prefix+"sessions", c.operator(c.sessionList))
	c.mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		c.message(w, r, nil, http.StatusNotFound, "title.notfound", say("error.notfound"))
	})
}

// ServeHTTP sets the security headers every answer carries and routes.
func (c *console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	web.SetSecurityHeaders(w, r)
	c.mux.ServeHTTP(w, r)
}

// static serves the enrol site's style sheet and script, and the
// console's own style sheet.
func (c *console) static() http.Handler {
	shared := http.FileServerFS(web.Static())
	own := http.FileServerFS(ownStatic())
	return http.StripPrefix(Prefix+"static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		switch r.URL.Path {
		case "style.css", "time.js":
			shared.ServeHTTP(w, r)
		case "console.css":
			own.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
}

// origin is where a request comes from, for the rules and the audit.
func origin(r *http.Request) account.Origin {
	return account.Origin{Client: request.ClientAddr(r), Via: "console"}
}

// Wrappers: every handler runs inside one of these, which find the
// request's session and lock it for the handler's whole run.

type (
	visitorFunc  func(http.ResponseWriter, *http.Request, *session)
	operatorFunc func(http.ResponseWriter, *http.Request, *session, account.Actor)
)

// visitor serves a page to anyone: the request's session, or a new one
// (whose CSRF token the sign-in form carries).
func (c *console) visitor(fn visitorFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := c.sessions.get(r, c.cfg.Now())
		if s == nil {
			if s = c.sessions.start(c.cfg.Now(), request.HTTPS(r)); s == nil {
				c.message(w, r, nil, http.StatusServiceUnavailable, "title.busy", say("error.full"))
				return
			}
			setCookie(w, s)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		fn(w, r, s)
	}
}

// visitorForm serves a form post of the sign-in: a live session whose
// CSRF token the form carries.
func (c *console) visitorForm(fn visitorFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s := c.formSession(w, r); s != nil {
			s.mu.Lock()
			defer s.mu.Unlock()
			fn(w, r, s)
		}
	}
}

// formSession is the live session of a form post whose CSRF token the
// form carries, with a bounded body; or nil, answered.
func (c *console) formSession(w http.ResponseWriter, r *http.Request) *session {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	s := c.sessions.get(r, c.cfg.Now())
	if s == nil || !s.checkCSRF(r) {
		c.message(w, r, nil, http.StatusForbidden, "title.expired", say("error.expired"))
		return nil
	}
	return s
}

// operator serves a page to a signed-in operator whose actor the rules
// still hold; any other visitor goes to the sign-in.
func (c *console) operator(fn operatorFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := c.sessions.get(r, c.cfg.Now())
		if s == nil {
			http.Redirect(w, r, Prefix, http.StatusSeeOther)
			return
		}
		c.asOperator(w, r, s, fn)
	}
}

// operatorForm serves a form post of a signed-in operator: a live
// session whose CSRF token the form carries, and an actor that holds.
func (c *console) operatorForm(fn operatorFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s := c.formSession(w, r); s != nil {
			c.asOperator(w, r, s, fn)
		}
	}
}

// asOperator runs fn with s locked, if s is signed in and the rules say
// its operator still holds; a session whose operator no longer holds
// ends, and the browser is asked to sign in again.
func (c *console) asOperator(w http.ResponseWriter, r *http.Request, s *session, fn operatorFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.actor == nil {
		http.Redirect(w, r, Prefix, http.StatusSeeOther)
		return
	}
	if err := c.cfg.Accounts.Check(r.Context(), *s.actor); err != nil {
		c.failed(w, r, s, "check the operator", err, nil)
		return
	}
	fn(w, r, s, *s.actor)
}

// switchLang serves the language switch, GET /admin/lang?to=it&back=PATH,
// as the enrol site's: a cookie remembers the choice, and the browser
// goes back to the page (under /admin/ only).
func (c *console) switchLang(w http.ResponseWriter, r *http.Request) {
	if l, err := lang.Parse(r.URL.Query().Get("to")); err == nil {
		web.RememberLang(w, r, l)
	}
	back := r.URL.Query().Get("back")
	if !strings.HasPrefix(back, Prefix) || strings.ContainsAny(back, "\\#") || strings.Contains(back, "//") {
		back = Prefix
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
