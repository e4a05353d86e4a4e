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
// The pages are server-rendered html/template files embedded in the
// binary, with no script or style from elsewhere. Every form carries a
// CSRF token; the session cookie is HttpOnly, SameSite=Strict and Secure
// (unless served over plain HTTP on loopback); sessions are short; a strict
// Content-Security-Policy applies; sign-ins are rate-limited per client
// address and per user ID, on top of the lockout of the verification
// rules; and a wrong user ID gets the same answer as a wrong password.
package web

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/auth"
	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/sms"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/token/qr"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what the pages need.
type Config struct {
	Auth  *auth.Service
	Store store.Store
	// EnrolURL is the public address of the enrol page (what welcome mails
	// give), carried by One Swipe enrolment codes.
	EnrolURL string
	// SecureCookies marks the session cookie Secure. Only a server on
	// plain HTTP on loopback (make run, tests) turns it off.
	SecureCookies bool
	// SMS sends passcodes by text message; nil switches SMS off.
	SMS sms.Sender
	// Mail tells users when a temporary passcode is issued or their phone
	// number changes (nil: no notices); MailFrom is the sender.
	Mail     mail.Mailer
	MailFrom string
	// MaxTempDays is the longest validity of a temporary passcode from
	// the self-help desk (default 7 days).
	MaxTempDays int
	// SignInsPerMinute bounds password attempts per client address and per
	// user ID (default 10, in bursts of 10).
	SignInsPerMinute int
	Logger           *slog.Logger
	Now              func() time.Time
}

// Handler serves the enrol site or the self-help desk.
type Handler struct {
	cfg      Config
	prefix   string // where the pages live
	cookie   string // the session cookie's name
	mux      *http.ServeMux
	sessions sessions
	pages    map[string]*template.Template
	byAddr   *ratelimit.Limiter
	byUser   *ratelimit.Limiter
	reads    *ratelimit.Limiter
	// starts limits new sessions, and readsByAddr camera frames, per
	// client address.
	starts      *ratelimit.Limiter
	readsByAddr *ratelimit.Limiter
}

// Where the sites live.
const (
	Prefix         = "/secenrol/"
	HelpdeskPrefix = "/sechelpdesk/"
)

// New returns the enrol site's handler; mount it at [Prefix].
func New(cfg Config) *Handler {
	h := newHandler(cfg, Prefix, "softtoken_session")
	h.mux.HandleFunc("GET "+Prefix+"{$}", h.start)
	h.mux.HandleFunc("POST "+Prefix+"{$}", h.signIn)
	h.mux.HandleFunc("GET "+Prefix+"passcode", h.passcodePage)
	h.mux.HandleFunc("POST "+Prefix+"passcode", h.passcode)
	h.mux.HandleFunc("POST "+Prefix+"passcode/sms", h.passcodeBySMS)
	h.mux.HandleFunc("GET "+Prefix+"home", h.home)
	h.mux.HandleFunc("POST "+Prefix+"logout", h.logout)
	h.mux.HandleFunc("POST "+Prefix+"oneswipe/read", h.readSwipe)
	h.mux.HandleFunc("POST "+Prefix+"oneswipe/issue", h.issueEnrolCode)
	h.mux.HandleFunc("GET "+Prefix+"oneswipe", h.showEnrolCode)
	h.mux.HandleFunc("GET "+Prefix+"oneswipe/code.png", h.enrolCodePNG)
	h.mux.HandleFunc("POST "+Prefix+"app", h.startApp)
	h.mux.HandleFunc("GET "+Prefix+"app", h.appPage)
	h.mux.HandleFunc("GET "+Prefix+"app/code.png", h.appCodePNG)
	h.mux.HandleFunc("POST "+Prefix+"app/confirm", h.confirmApp)
	h.mux.HandleFunc("GET "+Prefix+"sms", h.smsPage)
	h.mux.HandleFunc("POST "+Prefix+"sms", h.sendPhoneCode)
	h.mux.HandleFunc("POST "+Prefix+"sms/confirm", h.confirmPhone)
	h.mux.HandleFunc("GET "+Prefix+"questions", h.questionsPage)
	h.mux.HandleFunc("POST "+Prefix+"questions", h.setQuestions)
	h.mux.HandleFunc("GET "+Prefix+"done", h.donePage)
	h.mux.HandleFunc("GET "+Prefix+"password", h.passwordPage)
	h.mux.HandleFunc("POST "+Prefix+"password", h.changePassword)
	return h
}

// NewHelpdesk returns the self-help desk's handler; mount it at
// [HelpdeskPrefix].
func NewHelpdesk(cfg Config) *Handler {
	h := newHandler(cfg, HelpdeskPrefix, "softtoken_helpdesk")
	h.mux.HandleFunc("GET "+HelpdeskPrefix+"{$}", h.deskStart)
	h.mux.HandleFunc("POST "+HelpdeskPrefix+"{$}", h.deskUserID)
	h.mux.HandleFunc("GET "+HelpdeskPrefix+"password", h.deskPasswordPage)
	h.mux.HandleFunc("POST "+HelpdeskPrefix+"password", h.deskPassword)
	h.mux.HandleFunc("GET "+HelpdeskPrefix+"question", h.deskQuestionPage)
	h.mux.HandleFunc("POST "+HelpdeskPrefix+"question", h.deskAnswer)
	h.mux.HandleFunc("GET "+HelpdeskPrefix+"options", h.deskOptionsPage)
	h.mux.HandleFunc("POST "+HelpdeskPrefix+"options", h.deskOptions)
	h.mux.HandleFunc("POST "+HelpdeskPrefix+"logout", h.logout)
	return h
}

func newHandler(cfg Config, prefix, cookie string) *Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SignInsPerMinute <= 0 {
		cfg.SignInsPerMinute = 10
	}
	if cfg.MaxTempDays <= 0 {
		cfg.MaxTempDays = 7
	}
	h := &Handler{cfg: cfg, prefix: prefix, cookie: cookie, mux: http.NewServeMux(), sessions: sessions{byID: map[string]*session{}},
		pages:  map[string]*template.Template{},
		byAddr: ratelimit.New(cfg.SignInsPerMinute, 10), byUser: ratelimit.New(cfg.SignInsPerMinute, 10),
		// Camera frames: a few a second while the page scans.
		reads: ratelimit.New(300, 20), readsByAddr: ratelimit.New(600, 40),
		starts: ratelimit.New(60, 30)}
	for _, name := range []string{"login", "passcode", "home", "oneswipe", "message", "app", "sms", "smsconfirm", "questions", "done", "password",
		"desk-userid", "desk-password", "desk-question", "desk-options", "desk-done"} {
		h.pages[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	static, _ := fs.Sub(staticFS, "static")
	h.mux.Handle("GET "+prefix+"static/", http.StripPrefix(prefix+"static/", cacheFor(time.Hour, http.FileServerFS(static))))
	return h
}

var funcs = template.FuncMap{
	"clock": func(t time.Time) string { return t.UTC().Format("15:04 UTC") },
}

// csp allows the page's own scripts, styles and images (the QR code is an
// image of the page's origin), the camera's stream, and nothing else.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self' blob: mediastream:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// ServeHTTP sets the security headers every answer carries and routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
	hd.Set("Cache-Control", "no-store")
	if h.cfg.SecureCookies {
		hd.Set("Strict-Transport-Security", "max-age=31536000")
	}
	h.mux.ServeHTTP(w, r)
}

func cacheFor(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(d.Seconds())))
		next.ServeHTTP(w, r)
	})
}

// page is what every template sees.
type page struct {
	Title  string
	CSRF   string
	UserID string
	Error  string
	Notice string
	// Swipe says a One Swipe code was read and waits for the password.
	Swipe bool
	// Expires is when the shown One Swipe enrolment code stops working.
	Expires time.Time
	Prefix  string
	Site    string
	// Secret is a new app seed in base32, in groups of four.
	Secret string
	// Phone is a mobile number (typed, or masked once sent to).
	Phone string
	// SMS says the user gets passcodes by SMS.
	SMS bool
	// Questions to choose from, or the one asked (Question).
	Questions []question
	Question  string
	// Days are the validities a temporary passcode may have.
	Days []int
	// TempPasscode is a temporary passcode just issued, shown once.
	TempPasscode string
}

func (h *Handler) render(w http.ResponseWriter, status int, name string, p page) {
	p.Prefix, p.Site = h.prefix, "Enrolment"
	if h.prefix == HelpdeskPrefix {
		p.Site = "Self-help desk"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := h.pages[name].Execute(w, p); err != nil {
		h.cfg.Logger.Error("render page", "page", name, "err", err)
	}
}

// message shows a page with one sentence and a way back to the start.
func (h *Handler) message(w http.ResponseWriter, status int, title, text string) {
	h.render(w, status, "message", page{Title: title, Error: text})
}

func (h *Handler) serverError(w http.ResponseWriter, what string, err error) {
	h.cfg.Logger.Error(what, "err", err)
	h.message(w, http.StatusInternalServerError, "Something went wrong", "Something went wrong on the server: try again in a minute.")
}

func (h *Handler) setCookie(w http.ResponseWriter, s *session) {
	http.SetCookie(w, &http.Cookie{Name: h.cookie, Value: s.id, Path: h.prefix, HttpOnly: true, Secure: h.cfg.SecureCookies,
		SameSite: http.SameSiteStrictMode, MaxAge: int(sessionMax.Seconds())})
}

func (h *Handler) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: h.cookie, Value: "", Path: h.prefix, HttpOnly: true, Secure: h.cfg.SecureCookies,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// session returns the request's session, starting an anonymous one (and
// setting its cookie) when there is none. Anonymous sessions cost memory
// until they expire, so a client address may start only so many: beyond
// that it answers the request itself and returns nil.
func (h *Handler) session(w http.ResponseWriter, r *http.Request) *session {
	now := h.cfg.Now()
	if s := h.sessions.get(r, h.cookie, now); s != nil {
		return s
	}
	if !h.starts.Allow(clientAddr(r), now) || h.sessions.full() {
		h.message(w, http.StatusTooManyRequests, "Busy", "Too many visits from this computer: wait a minute, then open the page again.")
		return nil
	}
	s := h.sessions.start(now)
	h.setCookie(w, s)
	return s
}

// post checks what every form post needs: a live session whose CSRF token
// the form carries, and returns it locked (the caller unlocks it). It
// answers the request itself when not.
func (h *Handler) post(w http.ResponseWriter, r *http.Request) (*session, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	s := h.sessions.get(r, h.cookie, h.cfg.Now())
	if s == nil || !s.checkCSRF(r) {
		h.message(w, http.StatusForbidden, "Page expired",
			"This page has expired, or the form was not sent from the enrol site. Open the enrol page again.")
		return nil, false
	}
	s.mu.Lock()
	return s, true
}

// Steps a session reaches, for at and postAt.
func passwordDone(s *session) bool { return s.password }
func isSignedIn(s *session) bool   { return s.signedIn }

// at returns the request's session, locked (the caller unlocks it), when
// ready says it has reached the step a page needs; otherwise it sends the
// browser back to the start and returns nil.
func (h *Handler) at(w http.ResponseWriter, r *http.Request, ready func(*session) bool) *session {
	if s := h.sessions.get(r, h.cookie, h.cfg.Now()); s != nil {
		s.mu.Lock()
		if ready(s) {
			return s
		}
		s.mu.Unlock()
	}
	http.Redirect(w, r, h.prefix, http.StatusSeeOther)
	return nil
}

// postAt is post for the form of a step: the session must also have
// reached it, or the browser goes back to the start.
func (h *Handler) postAt(w http.ResponseWriter, r *http.Request, ready func(*session) bool) (*session, bool) {
	s, ok := h.post(w, r)
	if !ok {
		return nil, false
	}
	if !ready(s) {
		s.mu.Unlock()
		http.Redirect(w, r, h.prefix, http.StatusSeeOther)
		return nil, false
	}
	return s, true
}

// image answers a picture of a session at a step, or 404.
func (h *Handler) image(w http.ResponseWriter, r *http.Request, picture func(*session) (string, bool)) {
	s := h.sessions.get(r, h.cookie, h.cfg.Now())
	if s == nil {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	text, ok := picture(s)
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	img, err := qr.PNG(text, 320)
	if err != nil {
		h.serverError(w, "draw a QR code", err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(img)
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (h *Handler) audit(ctx context.Context, r *http.Request, userID, event, outcome, detail string) {
	h.cfg.Logger.Info(event, "userid", userID, "client", clientAddr(r), "result", outcome)
	if err := h.cfg.Store.Audit(ctx, store.AuditEvent{At: h.cfg.Now(), UserID: userID, Client: clientAddr(r),
		Event: event, Outcome: outcome, Detail: detail}); err != nil {
		h.cfg.Logger.Error("audit failed", "event", event, "err", err)
	}
}

// userMessage is what a user reads for a failed check; unknown errors are
// the caller's to log.
func userMessage(err error) (string, bool) {
	switch {
	case errors.Is(err, auth.ErrInvalidLogin):
		return "The user ID or password is wrong.", true
	case errors.Is(err, auth.ErrLocked):
		return "Your account is locked after too many failed attempts: try again in 15 minutes, or call the help desk.", true
	case errors.Is(err, auth.ErrDisabled):
		return "Your account is disabled: contact your administrator.", true
	case errors.Is(err, auth.ErrPasscodeExpired):
		return "The passcode from your welcome mail has expired: ask your administrator to reset your account.", true
	case errors.Is(err, auth.ErrInvalidToken):
		return "The passcode is wrong or was used already: type the passcode your token shows now, a temporary passcode, or the one from your welcome mail.", true
	}
	return "", false
}

// cleanUserID trims a typed user ID; "" for one that cannot be one.
func cleanUserID(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 128 || strings.ContainsAny(s, "\x00\r\n") {
		return ""
	}
	return s
}
