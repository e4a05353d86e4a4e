package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/softtoken/softtoken/server/auth"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/token/oneswipe"
	"github.com/softtoken/softtoken/token/qr"
)

// maxCodeTries wrong passcodes end a session: the lockout counts them too.
const maxCodeTries = 3

// start is the sign-in page: user ID (pre-filled from ?userid=) and
// password, with One Swipe to fill them from the camera.
func (h *Handler) start(w http.ResponseWriter, r *http.Request) {
	s := h.session(w, r)
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.signedIn:
		http.Redirect(w, r, h.prefix+"home", http.StatusSeeOther)
		return
	case s.password:
		http.Redirect(w, r, h.prefix+"passcode", http.StatusSeeOther)
		return
	}
	h.render(w, http.StatusOK, "login", page{Title: "Sign in", CSRF: s.csrf, UserID: cleanUserID(r.URL.Query().Get("userid"))})
}

// signIn checks the user ID and password; with a One Swipe code read
// before, its passcode signs the user in at once.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	s, ok := h.post(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	ctx := r.Context()
	userID, pw := cleanUserID(r.PostFormValue("userid")), r.PostFormValue("password")
	again := page{Title: "Sign in", CSRF: s.csrf, UserID: userID, Swipe: s.swipe != nil}
	if userID == "" || pw == "" {
		again.Error = "Type your user ID and password."
		h.render(w, http.StatusBadRequest, "login", again)
		return
	}
	now := h.cfg.Now()
	if !h.byAddr.Allow(clientAddr(r), now) || !h.byUser.Allow(strings.ToLower(userID), now) {
		h.audit(ctx, r, userID, "web sign-in", "rate limited", "")
		again.Error = "Too many attempts: wait a minute, then try again."
		h.render(w, http.StatusTooManyRequests, "login", again)
		return
	}
	u, err := h.cfg.Auth.CheckPassword(ctx, userID, []byte(pw))
	if err != nil {
		msg, known := userMessage(err)
		if !known {
			h.serverError(w, "web sign-in", err)
			return
		}
		h.audit(ctx, r, userID, "web sign-in", err.Error(), "password")
		again.Error = msg
		h.render(w, http.StatusUnauthorized, "login", again)
		return
	}
	// A new session from here on: an ID planted before is worth nothing.
	swipe := s.swipe
	h.sessions.end(s)
	ns := h.sessions.start(now)
	ns.user, ns.password = u, true
	h.setCookie(w, ns)
	if swipe != nil && strings.EqualFold(swipe.UserID, u.UserID) {
		ns.mu.Lock()
		defer ns.mu.Unlock()
		h.swipeSignIn(w, r, ns, *swipe)
		return
	}
	http.Redirect(w, r, h.prefix+"passcode", http.StatusSeeOther)
}

// swipeSignIn completes a sign-in with the passcode of a One Swipe code.
func (h *Handler) swipeSignIn(w http.ResponseWriter, r *http.Request, s *session, si oneswipe.SignIn) {
	ctx := r.Context()
	tok, err := h.cfg.Store.TokenOf(ctx, s.user.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, "One Swipe sign-in", err)
		return
	}
	retry := page{Title: "Passcode", CSRF: s.csrf, UserID: s.user.UserID}
	if err != nil || tok.Serial != si.Serial {
		h.audit(ctx, r, s.user.UserID, "one swipe sign-in", "invalid token", "the code is not from the user's current token")
		retry.Error = "This One Swipe code does not come from your current token: show the code of the token you enrolled last, or type a passcode."
		h.render(w, http.StatusUnauthorized, "passcode", retry)
		return
	}
	if err := h.cfg.Auth.CheckCode(ctx, s.user, si.Passcode); err != nil {
		if errors.Is(err, auth.ErrInvalidToken) {
			h.audit(ctx, r, s.user.UserID, "one swipe sign-in", err.Error(), "used already or expired")
			retry.Error = "This One Swipe code has been used already or has expired: each works once. Type the passcode your token shows now."
			h.render(w, http.StatusUnauthorized, "passcode", retry)
			return
		}
		h.codeFailed(w, r, s, err)
		return
	}
	h.audit(ctx, r, s.user.UserID, "one swipe sign-in", "OK", "token "+tok.Serial)
	s.signedIn, s.proof = true, auth.ProofToken
	http.Redirect(w, r, h.prefix+"home", http.StatusSeeOther)
}

func (h *Handler) passcodePage(w http.ResponseWriter, r *http.Request) {
	s := h.at(w, r, passwordDone)
	if s == nil {
		return
	}
	defer s.mu.Unlock()
	h.render(w, http.StatusOK, "passcode", page{Title: "Passcode", CSRF: s.csrf, UserID: s.user.UserID, SMS: s.user.SMS})
}

// passcode checks the second factor: the initial passcode of the welcome
// mail, a code of the user's token, or a temporary passcode.
func (h *Handler) passcode(w http.ResponseWriter, r *http.Request) {
	s, ok := h.postAt(w, r, passwordDone)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	ctx := r.Context()
	code := strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("passcode")), " ", "")
	if len(code) < 6 || len(code) > 10 || strings.Trim(code, "0123456789") != "" {
		h.render(w, http.StatusBadRequest, "passcode", page{Title: "Passcode", CSRF: s.csrf, UserID: s.user.UserID,
			Error: "Type the 6-digit passcode your token shows, the 8-digit temporary passcode, or the passcode from your welcome mail."})
		return
	}
	proof, err := h.cfg.Auth.CheckEnrolPasscode(ctx, s.user, code)
	if err != nil {
		h.codeFailed(w, r, s, err)
		return
	}
	h.audit(ctx, r, s.user.UserID, "web sign-in", "OK", map[auth.Proof]string{auth.ProofInitial: "initial passcode",
		auth.ProofToken: "token passcode", auth.ProofTemporary: "temporary passcode", auth.ProofSMS: "SMS passcode"}[proof])
	s.signedIn, s.proof = true, proof
	http.Redirect(w, r, h.prefix+"home", http.StatusSeeOther)
}

// codeFailed answers a refused passcode; after maxCodeTries the session
// ends and the user starts again from the password.
func (h *Handler) codeFailed(w http.ResponseWriter, r *http.Request, s *session, err error) {
	msg, known := userMessage(err)
	if !known {
		h.serverError(w, "check passcode", err)
		return
	}
	h.audit(r.Context(), r, s.user.UserID, "web sign-in", err.Error(), "passcode")
	s.codeTries++
	if s.codeTries >= maxCodeTries || errors.Is(err, auth.ErrLocked) {
		h.sessions.end(s)
		h.clearCookie(w)
		h.message(w, http.StatusUnauthorized, "Sign in again", msg+" Sign in again.")
		return
	}
	h.render(w, http.StatusUnauthorized, "passcode", page{Title: "Passcode", CSRF: s.csrf, UserID: s.user.UserID, SMS: s.user.SMS, Error: msg})
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	s := h.at(w, r, isSignedIn)
	if s == nil {
		return
	}
	defer s.mu.Unlock()
	h.render(w, http.StatusOK, "home", page{Title: "Enrolment", CSRF: s.csrf, UserID: s.user.UserID})
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	s, ok := h.post(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	h.sessions.end(s)
	h.clearCookie(w)
	http.Redirect(w, r, h.prefix, http.StatusSeeOther)
}

// readSwipe decodes one camera frame posted by the sign-in page. When it
// holds a One Swipe sign-in code, the code waits in the session for the
// password, and the page gets the user ID to fill in; the passcode never
// goes back to the page.
func (h *Handler) readSwipe(w http.ResponseWriter, r *http.Request) {
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<20)
	s := h.sessions.get(r, h.cookie, h.cfg.Now())
	if s == nil || !s.checkCSRF(r) {
		reply(http.StatusForbidden, map[string]string{"error": "This page has expired: reload it."})
		return
	}
	if !h.reads.Allow(s.id, h.cfg.Now()) || !h.readsByAddr.Allow(clientAddr(r), h.cfg.Now()) {
		reply(http.StatusTooManyRequests, map[string]string{"error": "Too many frames: slow down."})
		return
	}
	img, err := qr.ReadImage(r.Body)
	if err != nil {
		reply(http.StatusBadRequest, map[string]string{"error": "The camera picture could not be read."})
		return
	}
	text, err := qr.Decode(img)
	if err != nil {
		reply(http.StatusOK, map[string]any{"found": false})
		return
	}
	si, err := oneswipe.ParseSignIn(text)
	if err != nil {
		reply(http.StatusOK, map[string]any{"found": true, "error": "This QR code is not a One Swipe code: on your token, choose One Swipe and show its code."})
		return
	}
	s.mu.Lock()
	s.swipe = &si
	s.mu.Unlock()
	reply(http.StatusOK, map[string]any{"found": true, "userid": si.UserID})
}

// issueEnrolCode gives the signed-in user a One Swipe enrolment code for
// the desktop app, replacing any earlier one.
func (h *Handler) issueEnrolCode(w http.ResponseWriter, r *http.Request) {
	s, ok := h.postAt(w, r, isSignedIn)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	e, err := h.cfg.Auth.IssueEnrolCode(r.Context(), s.user, h.cfg.EnrolURL)
	if err != nil {
		h.serverError(w, "issue One Swipe code", err)
		return
	}
	h.audit(r.Context(), r, s.user.UserID, "one swipe code", "OK", "issued on the enrol page, valid until "+e.Expires.UTC().Format("15:04:05Z"))
	s.enrolCode = &e
	http.Redirect(w, r, h.prefix+"oneswipe", http.StatusSeeOther)
}

func (h *Handler) showEnrolCode(w http.ResponseWriter, r *http.Request) {
	s := h.at(w, r, isSignedIn)
	if s == nil {
		return
	}
	defer s.mu.Unlock()
	if s.enrolCode == nil || !h.cfg.Now().Before(s.enrolCode.Expires) {
		http.Redirect(w, r, h.prefix+"home", http.StatusSeeOther)
		return
	}
	h.render(w, http.StatusOK, "oneswipe", page{Title: "One Swipe for the desktop app", CSRF: s.csrf, UserID: s.user.UserID, Expires: s.enrolCode.Expires})
}

func (h *Handler) enrolCodePNG(w http.ResponseWriter, r *http.Request) {
	h.image(w, r, func(s *session) (string, bool) {
		if !s.signedIn || s.enrolCode == nil || !h.cfg.Now().Before(s.enrolCode.Expires) {
			return "", false
		}
		return s.enrolCode.String(), true
	})
}
