package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/request"
	"github.com/softtoken/softtoken/token/oneswipe"
)

// enrolState is an enrol-site session: anonymous until the password is
// right (grant of ProofPassword), signed in once a passcode is too.
type enrolState struct {
	grant account.Grant
	// sms says the user gets passcodes by SMS, to offer sending one.
	sms bool
	// codeTries counts wrong passcodes in this session.
	codeTries int
	// swipe is the One Swipe sign-in code read by the camera, waiting for
	// the password.
	swipe *oneswipe.SignIn
	// enrolCode is the One Swipe enrolment code issued, for the page that
	// shows it.
	enrolCode *oneswipe.Enrolment
	// app is the soft token app enrolment in progress: its seed is
	// stored only once the user typed a code of it.
	app *account.Enrolment
	// smsPhone is the masked number an SMS enrolment waits to confirm.
	smsPhone string
	// done says what the last change made, for the done page.
	done msg
}

// The enrol site's steps: the password, then a passcode, then (for a
// password an administrator set) the user's own password, then the rest.
func passwordDone(s *enrolState) bool   { return s.grant.Proof == account.ProofPassword }
func passcodeProved(s *enrolState) bool { return s.grant.HasPasscode() }
func signedIn(s *enrolState) bool       { return s.grant.HasPasscode() && !s.grant.MustChangePassword() }

// signedInPage is where a sign-in goes on to: the user's own password
// first when an administrator set theirs, else the choices.
func (h *EnrolSite) signedInPage(s *enrolState) string {
	if s.grant.MustChangePassword() {
		return h.prefix + "password"
	}
	return h.prefix + "home"
}

// maxCodeTries wrong passcodes end a session: the lockout counts them too.
const maxCodeTries = 3

// EnrolSite is the enrol site's handler.
type EnrolSite struct {
	*site[enrolState]
	// Camera frames: a few a second while the page scans, per session and
	// per client address.
	frames, framesByAddr *ratelimit.Limiter
	// decodes are the places of frames being decoded.
	decodes gate
}

// New returns the enrol site's handler; mount it at [Prefix].
func New(cfg Config) *EnrolSite {
	h := &EnrolSite{site: newSite[enrolState](cfg, "enrol", "enrol site", Prefix, "softtoken_session",
		"login", "passcode", "home", "oneswipe", "app", "sms", "smsconfirm", "questions", "done", "password"),
		frames: ratelimit.New(300, 20)}
	h.framesByAddr = h.cfg.Limits.Frames.Limiter()
	h.chose = h.keepLanguage
	h.decodes = make(gate, h.limits.FrameDecodes)
	h.entry("GET "+Prefix+"{$}", h.start)
	h.mux.HandleFunc("POST "+Prefix+"oneswipe/read", h.readSwipe)
	h.image("GET "+Prefix+"oneswipe/code.png", h.enrolCodePicture)
	h.steps([]step[enrolState]{
		{"POST {$}", anywhere[enrolState], h.signIn}, {"POST logout", anywhere[enrolState], h.logout},
		{"GET passcode", passwordDone, h.passcodePage}, {"POST passcode", passwordDone, h.passcode},
		{"POST passcode/sms", passwordDone, h.passcodeBySMS}, {"GET home", signedIn, h.home},
		{"POST oneswipe/issue", signedIn, h.issueEnrolCode}, {"GET oneswipe", signedIn, h.showEnrolCode},
	})
	h.setupRoutes()
	return h
}

// keepLanguage makes the language a signed-in user switches to theirs, for
// their mails and text messages too; before the passcode, the choice is
// the browser's only.
func (h *EnrolSite) keepLanguage(r *http.Request, s *session[enrolState], l lang.Lang) {
	if !passcodeProved(&s.v) {
		return
	}
	if err := h.cfg.Accounts.SetLanguage(r.Context(), h.origin(r), s.v.grant, l); err != nil {
		h.cfg.Logger.Warn("keep the user's language", "userid", s.v.grant.UserID, "err", err)
	}
}

// start is the sign-in page: user ID (pre-filled from ?userid=) and
// password, with One Swipe to fill them from the camera.
func (h *EnrolSite) start(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	switch {
	case passcodeProved(&s.v):
		http.Redirect(w, r, h.signedInPage(&s.v), http.StatusSeeOther)
	case passwordDone(&s.v):
		http.Redirect(w, r, h.prefix+"passcode", http.StatusSeeOther)
	default:
		h.render(w, r, http.StatusOK, "login", page{Title: "title.signin", CSRF: s.csrf, UserID: cleanUserID(r.URL.Query().Get("userid"))})
	}
}

// signIn checks the user ID and password; with a One Swipe code read
// before, its passcode signs the user in at once.
func (h *EnrolSite) signIn(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	ctx := r.Context()
	userID, pw := cleanUserID(r.PostFormValue("userid")), r.PostFormValue("password")
	again := func(status int, m msg) {
		h.render(w, r, status, "login", page{Title: "title.signin", CSRF: s.csrf, UserID: userID, Swipe: s.v.swipe != nil, Error: m})
	}
	if userID == "" || pw == "" {
		again(http.StatusBadRequest, say("error.signin.empty"))
		return
	}
	if !h.signInAllowed(r, userID) {
		h.signInOutcome("password", account.CodeRateLimited)
		h.cfg.Accounts.Record(ctx, h.origin(r), userID, "enrol site sign-in", account.CodeRateLimited, "")
		h.render(w, r, http.StatusTooManyRequests, "login", page{Title: "title.signin", CSRF: s.csrf, UserID: userID, Error: say("error.toomany")})
		return
	}
	g, u, err := h.cfg.Accounts.CheckPassword(ctx, h.origin(r), userID, []byte(pw))
	h.signInStep("password", err)
	if err != nil {
		h.failed(w, r, s, "enrol site sign-in", err, nil, again)
		return
	}
	swipe := s.v.swipe
	ns, ok := h.renew(w, r, s, g.UserID, enrolState{grant: g, sms: u.SMS})
	if !ok {
		return
	}
	if swipe != nil && strings.EqualFold(swipe.UserID, g.UserID) {
		h.swipeSignIn(w, r, ns, *swipe)
		return
	}
	http.Redirect(w, r, h.prefix+"passcode", http.StatusSeeOther)
}

// swipeSignIn completes a sign-in with the passcode of a One Swipe code.
func (h *EnrolSite) swipeSignIn(w http.ResponseWriter, r *http.Request, s *session[enrolState], si oneswipe.SignIn) {
	g, err := h.cfg.Accounts.CheckOneSwipeSignIn(r.Context(), h.origin(r), s.v.grant, si.Serial, si.Passcode)
	h.signInStep("passcode", err)
	if err != nil {
		h.codeFailed(w, r, s, err, map[account.Code]string{account.CodeInvalidCode: "error.swipe.code"})
		return
	}
	s.v.grant = g
	http.Redirect(w, r, h.signedInPage(&s.v), http.StatusSeeOther)
}

func (h *EnrolSite) passcodePage(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	h.render(w, r, http.StatusOK, "passcode", page{Title: "title.passcode", CSRF: s.csrf, UserID: s.v.grant.UserID, SMS: s.v.sms})
}

// passcode checks the second factor: the initial passcode of the welcome
// mail, a code of the user's token, a temporary or an SMS passcode.
func (h *EnrolSite) passcode(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	code := strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("passcode")), " ", "")
	if len(code) < 6 || len(code) > 10 || strings.Trim(code, "0123456789") != "" {
		h.render(w, r, http.StatusBadRequest, "passcode", page{Title: "title.passcode", CSRF: s.csrf, UserID: s.v.grant.UserID, SMS: s.v.sms,
			Error: say("error.passcode.format")})
		return
	}
	g, err := h.cfg.Accounts.CheckEnrolPasscode(r.Context(), h.origin(r), s.v.grant, code)
	h.signInStep("passcode", err)
	if err != nil {
		h.codeFailed(w, r, s, err, nil)
		return
	}
	s.v.grant = g
	http.Redirect(w, r, h.signedInPage(&s.v), http.StatusSeeOther)
}

// codeFailed answers a refused passcode; after maxCodeTries the session
// ends and the user starts again from the password.
func (h *EnrolSite) codeFailed(w http.ResponseWriter, r *http.Request, s *session[enrolState], err error, own map[account.Code]string) {
	h.failed(w, r, s, "check passcode", err, own, func(status int, m msg) {
		if s.v.codeTries++; s.v.codeTries >= maxCodeTries {
			h.endSession(w, s)
			h.message(w, r, status, "title.signinagain", say("error.then.signin", m))
			return
		}
		h.render(w, r, status, "passcode", page{Title: "title.passcode", CSRF: s.csrf, UserID: s.v.grant.UserID, SMS: s.v.sms, Error: m})
	})
}

// passcodeBySMS sends an SMS user a passcode for the sign-in.
func (h *EnrolSite) passcodeBySMS(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	p := page{Title: "title.passcode", CSRF: s.csrf, UserID: s.v.grant.UserID, SMS: true}
	to, err := h.cfg.Accounts.SendLoginCode(r.Context(), h.origin(r), s.v.grant)
	if err == nil {
		p.Notice = say("notice.sms.sent", to)
		h.render(w, r, http.StatusOK, "passcode", p)
		return
	}
	h.failed(w, r, s, "send SMS passcode", err, map[account.Code]string{
		account.CodeSMSOff: "error.sms.off.signin",
	}, func(status int, m msg) {
		p.Error = m
		h.render(w, r, status, "passcode", p)
	})
}

func (h *EnrolSite) home(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	h.render(w, r, http.StatusOK, "home", page{Title: "title.home", CSRF: s.csrf, UserID: s.v.grant.UserID})
}

func (h *EnrolSite) logout(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	h.endSession(w, s)
	http.Redirect(w, r, h.prefix, http.StatusSeeOther)
}

// readSwipe decodes one camera frame posted by the sign-in page. When it
// holds a One Swipe sign-in code, the code waits in the session for the
// password, and the page gets the user ID to fill in; the passcode never
// goes back to the page.
func (h *EnrolSite) readSwipe(w http.ResponseWriter, r *http.Request) {
	reply := func(a frameAnswer) {
		w.Header().Set("Content-Type", "application/json")
		if a.status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		w.WriteHeader(a.status)
		body := map[string]any{}
		for k, v := range a.body {
			body[k] = v
		}
		if key, ok := body["error"].(string); ok {
			body["error"] = text(langOf(r), key)
		}
		_ = json.NewEncoder(w).Encode(body)
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.limits.FrameMaxBytes)
	s := h.sessions.get(r, h.cookie, h.cfg.Now())
	if s == nil || !s.checkCSRF(r) {
		reply(frameError(http.StatusForbidden, "frame.expired"))
		return
	}
	if !h.frames.Allow(s.id, time.Now()) || !h.framesByAddr.Allow(request.ClientAddr(r), time.Now()) {
		reply(frameError(http.StatusTooManyRequests, "frame.toomany"))
		return
	}
	si, answer := h.readFrame(r)
	if si != nil {
		s.mu.Lock()
		s.v.swipe = si
		s.mu.Unlock()
	}
	reply(answer)
}

// issueEnrolCode gives the signed-in user a One Swipe enrolment code for
// the desktop app, replacing any earlier one.
func (h *EnrolSite) issueEnrolCode(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	e, err := h.cfg.Accounts.IssueEnrolCode(r.Context(), h.origin(r), s.v.grant.Self(), h.cfg.EnrolURL)
	if err != nil {
		h.failed(w, r, s, "issue One Swipe code", err, nil, func(status int, m msg) { h.message(w, r, status, "title.oneswipe.short", m) })
		return
	}
	s.v.enrolCode = &e
	http.Redirect(w, r, h.prefix+"oneswipe", http.StatusSeeOther)
}

func (h *EnrolSite) showEnrolCode(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	if _, ok := h.enrolCodePicture(&s.v); !ok {
		http.Redirect(w, r, h.prefix+"home", http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "oneswipe", page{Title: "title.oneswipe", CSRF: s.csrf, UserID: s.v.grant.UserID, Expires: s.v.enrolCode.Expires})
}

// enrolCodePicture is the One Swipe enrolment code to show, while it
// works.
func (h *EnrolSite) enrolCodePicture(s *enrolState) (string, bool) {
	if !signedIn(s) || s.enrolCode == nil || !h.cfg.Now().Before(s.enrolCode.Expires) {
		return "", false
	}
	return s.enrolCode.String(), true
}
