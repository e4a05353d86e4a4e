// Package web serves the companion server's pages for users (docs/web.md):
//
//   - the enrol site /secenrol/ (guide, section 4.2): sign in with user ID,
//     password and a passcode (or fill the user ID and passcode by showing
//     a One Swipe code to the webcam), then set up a soft token app, SMS
//     passcodes, the security questions, or get a One Swipe enrolment code
//     for the desktop app;
//   - the self-help desk /sechelpdesk/ (guide, section 5): user ID,
//     password, a security question, then a new SMS number and/or a
//     temporary passcode.
//
// The pages are adapters: each parses a form, calls one method of the
// rules service (server/account) and renders the result. A session keeps
// the service's grant, never a copy of the user. The pages are
// server-rendered html/template files embedded in the binary, with no
// script or style from elsewhere. Every form carries a CSRF token; the
// session cookie is HttpOnly, SameSite=Strict and, when the browser's side
// is HTTPS (server/request), Secure; sessions are short; a strict
// Content-Security-Policy applies; sign-ins are rate-limited per client
// address and per user ID, on top of the rules' throttling and lockout;
// and a wrong user ID gets the same answer as a wrong password.
//
// The pages speak English and Italian (server/lang): the browser's
// Accept-Language picks one, a switch on every page changes it, and a
// cookie remembers the choice; on the enrol site a signed-in user's
// choice becomes theirs, for the mails and text messages too. Every word
// a page shows comes from the catalogues in messages/ (i18n.go).
package web

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/fair"
	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/metrics"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/request"
	"github.com/softtoken/softtoken/token/qr"
)

//go:embed static
var staticFS embed.FS

// Config is what the pages need.
type Config struct {
	Accounts *account.Service
	// EnrolURL is the public address of the enrol page (what welcome mails
	// give), carried by One Swipe enrolment codes.
	EnrolURL string
	// Issuer names the server in the app tokens it enrols (the enrol URL's
	// host: never a request's Host header, which a client chooses).
	Issuer string
	// MaxTempDays is the longest validity of a temporary passcode from
	// the self-help desk (default 7 days).
	MaxTempDays int
	// Limits bound what strangers' requests cost: per-address rates, camera
	// frames, sessions (zero fields take DefaultLimits').
	Limits Limits
	Logger *slog.Logger
	// Metrics counts the sign-ins' outcomes (nil: nothing is counted).
	Metrics *metrics.Metrics
	// Now is the clock of sessions and codes shown; rate limits, which
	// are about traffic, use the real clock.
	Now func() time.Time
}

// Where the sites live.
const (
	Prefix         = "/secenrol/"
	HelpdeskPrefix = "/sechelpdesk/"
)

// site is what the enrol site and the self-help desk share: templates,
// sessions of their own kind V, rate limits, security headers and the
// step wrappers.
type site[V any] struct {
	cfg Config
	// key names the site in the catalogues: site.KEY.name is its name in
	// page titles, site.KEY.start the link to its start.
	key      string
	called   string // the site in the audit (English): "enrol site"
	prefix   string // where the pages live
	cookie   string // the session cookie's name
	limits   Limits
	mux      *http.ServeMux
	sessions *sessions[V]
	pages    map[lang.Lang]map[string]*template.Template
	// chose, when set, is told of a reader's choice of language (with the
	// session locked).
	chose func(r *http.Request, s *session[V], l lang.Lang)
	// byAddr and byUser limit sign-ins; starts limits new sessions per
	// client address.
	byAddr, byUser, starts *ratelimit.Limiter
}

func newSite[V any](cfg Config, key, called, prefix, cookie string, pages ...string) *site[V] {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Limits = cfg.Limits.withDefaults()
	if cfg.MaxTempDays <= 0 {
		cfg.MaxTempDays = DefaultMaxTempDays
	}
	h := &site[V]{cfg: cfg, key: key, called: called, prefix: prefix, cookie: cookie, limits: cfg.Limits, mux: http.NewServeMux(),
		pages: map[lang.Lang]map[string]*template.Template{}, byAddr: cfg.Limits.SignIns.Limiter(), byUser: cfg.Limits.SignIns.Limiter(),
		starts: cfg.Limits.Sessions.Limiter()}
	h.sessions = newSessions[V](h.limits.MaxSessions, h.limits.MaxSessionsPerAddr)
	for _, l := range lang.All {
		h.pages[l] = map[string]*template.Template{}
		for _, name := range append(pages, "message") {
			h.pages[l][name] = template.Must(template.New("layout.html").Funcs(funcsFor(l)).ParseFS(templateFS,
				"templates/layout.html", "templates/codeform.html", "templates/"+name+".html"))
		}
	}
	h.mux.HandleFunc("GET "+prefix+"lang", h.switchLang)
	// Any other address under the site, or a form's address opened as a
	// page, gets a sentence and the way to the start, not Go's "404 page
	// not found".
	notFound := func(w http.ResponseWriter, r *http.Request) {
		h.message(w, r, http.StatusNotFound, "title.notfound", say("error.notfound"))
	}
	h.mux.HandleFunc(prefix, notFound)
	// The site's own files, and no listing of their folder.
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix(prefix+"static/", cacheFor(time.Hour, http.FileServerFS(static)))
	h.mux.HandleFunc("GET "+prefix+"static/", func(w http.ResponseWriter, r *http.Request) {
		if info, err := fs.Stat(static, strings.TrimPrefix(r.URL.Path, prefix+"static/")); err != nil || info.IsDir() {
			notFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
	return h
}

// Sessions is how many sessions the site holds in memory, for the
// metrics.
func (h *site[V]) Sessions() int { return h.sessions.count() }

// Evicted is how many sessions made room for newer ones, for the
// metrics.
func (h *site[V]) Evicted() uint64 { return h.sessions.places.Evicted() }

// csp allows the page's own scripts, styles and images (the QR code is an
// image of the page's origin), the camera's stream, and nothing else.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self' blob: mediastream:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// ServeHTTP sets the security headers every answer carries and routes.
func (h *site[V]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	SetSecurityHeaders(w, r)
	h.mux.ServeHTTP(w, r)
}

func cacheFor(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(d.Seconds())))
		next.ServeHTTP(w, r)
	})
}

func (h *site[V]) setCookie(w http.ResponseWriter, s *session[V]) {
	http.SetCookie(w, &http.Cookie{Name: h.cookie, Value: s.id, Path: h.prefix, HttpOnly: true, Secure: s.https,
		SameSite: http.SameSiteStrictMode, MaxAge: int(sessionMax.Seconds())})
}

// endSession forgets s and clears its cookie.
func (h *site[V]) endSession(w http.ResponseWriter, s *session[V]) {
	h.sessions.end(s)
	http.SetCookie(w, &http.Cookie{Name: h.cookie, Value: "", Path: h.prefix, HttpOnly: true, Secure: s.https,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// renew replaces s by a new session holding v, signed in as userID, with
// a new ID and CSRF token: a sign-in does this, so that an ID planted
// before is worth nothing after it. Only this request knows the new
// session yet.
func (h *site[V]) renew(w http.ResponseWriter, r *http.Request, s *session[V], userID string, v V) (*session[V], bool) {
	h.sessions.end(s)
	ns, ok := h.startSession(w, r, userID, v)
	if ok {
		ns.https = s.https
		h.setCookie(w, ns)
	}
	return ns, ok
}

// startSession starts a session holding v for the request's client, or
// answers that there is no room for it; a session evicted to make room
// is logged.
func (h *site[V]) startSession(w http.ResponseWriter, r *http.Request, userID string, v V) (*session[V], bool) {
	addr := request.ClientAddr(r)
	s, evicted, err := h.sessions.start(h.cfg.Now(), addr, userID, v)
	switch {
	case errors.Is(err, fair.ErrAddrFull):
		h.busy(w, r)
		return nil, false
	case err != nil:
		h.full(w, r)
		return nil, false
	case evicted != nil:
		h.cfg.Logger.Info("ended a session to make room for a newer one", "site", h.called, "client", addr,
			"age", h.cfg.Now().Sub(evicted.created).Round(time.Second))
	}
	return s, true
}

// Steps: every handler runs inside one of these wrappers, which find the
// request's session, lock it for the handler's whole run, and unlock it.

// entry serves a site's first page: the request's session, or a new one.
// Anonymous sessions cost memory until they expire, so a client address
// may start only so many.
func (h *site[V]) entry(pattern string, fn func(http.ResponseWriter, *http.Request, *session[V])) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s := h.sessions.get(r, h.cookie, h.cfg.Now())
		if s == nil {
			var zero V
			if !h.starts.Allow(request.ClientAddr(r), time.Now()) {
				h.busy(w, r)
				return
			}
			var ok bool
			if s, ok = h.startSession(w, r, "", zero); !ok {
				return
			}
			s.https = request.HTTPS(r)
			h.setCookie(w, s)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		fn(w, r, s)
	})
}

// page serves a page of a step: the session must have reached it (ready),
// or the browser goes back to the start.
func (h *site[V]) page(pattern string, ready func(*V) bool, fn func(http.ResponseWriter, *http.Request, *session[V])) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s := h.sessions.get(r, h.cookie, h.cfg.Now())
		if s == nil {
			http.Redirect(w, r, h.prefix, http.StatusSeeOther)
			return
		}
		h.atStep(w, r, s, ready, fn)
	})
}

// form serves a form post of a step: a live session whose CSRF token the
// form carries, at the step (ready), with a bounded body.
func (h *site[V]) form(pattern string, ready func(*V) bool, fn func(http.ResponseWriter, *http.Request, *session[V])) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		s := h.sessions.get(r, h.cookie, h.cfg.Now())
		if s == nil || !s.checkCSRF(r) {
			h.message(w, r, http.StatusForbidden, "title.expired", say("error.expired"))
			return
		}
		h.atStep(w, r, s, ready, fn)
	})
}

// atStep runs fn with s locked, if s has reached the step (ready);
// otherwise the browser goes back to the start.
func (h *site[V]) atStep(w http.ResponseWriter, r *http.Request, s *session[V], ready func(*V) bool, fn func(http.ResponseWriter, *http.Request, *session[V])) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ready(&s.v) {
		http.Redirect(w, r, h.prefix, http.StatusSeeOther)
		return
	}
	fn(w, r, s)
}

// step is one route of a site: "GET path" serves a page (see page),
// "POST path" a form (see form), when the session is at the step ready
// says; path is under the site's prefix.
type step[V any] struct {
	route string
	ready func(*V) bool
	fn    func(http.ResponseWriter, *http.Request, *session[V])
}

// steps registers a site's routes.
func (h *site[V]) steps(list []step[V]) {
	for _, st := range list {
		method, path, _ := strings.Cut(st.route, " ")
		if method == http.MethodPost {
			h.form("POST "+h.prefix+path, st.ready, st.fn)
		} else {
			h.page("GET "+h.prefix+path, st.ready, st.fn)
		}
	}
}

// anywhere is the step test of pages every session may see.
func anywhere[V any](*V) bool { return true }

// image answers a picture of a session at a step as a QR code, or 404.
func (h *site[V]) image(pattern string, picture func(*V) (string, bool)) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s := h.sessions.get(r, h.cookie, h.cfg.Now())
		if s == nil {
			http.NotFound(w, r)
			return
		}
		s.mu.Lock()
		text, ok := picture(&s.v)
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		img, err := qr.PNG(text, 320)
		if err != nil {
			h.serverError(w, r, "draw a QR code", err)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(img)
	})
}

// signInAllowed applies the sign-in rate limits of the client address,
// and of the user ID from that address: never of the user ID alone, which
// would let a stranger keep the user out (docs/protocol.md, "Lockout").
func (h *site[V]) signInAllowed(r *http.Request, userID string) bool {
	now, addr := time.Now(), request.ClientAddr(r)
	return h.byAddr.Allow(addr, now) && h.byUser.Allow(strings.ToLower(userID)+"\x00"+addr, now)
}

// origin is where a request comes from, for the rules.
func (h *site[V]) origin(r *http.Request) account.Origin {
	return account.Origin{Client: request.ClientAddr(r), Via: h.called}
}

// cleanUserID trims a typed user ID; "" for one that cannot be one.
func cleanUserID(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 128 || strings.ContainsAny(s, "\x00\r\n") {
		return ""
	}
	return s
}
