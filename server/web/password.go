package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/softtoken/softtoken/server/auth"
)

// The user's own password change (guide, section 6.1): the current
// password again, then the new one twice. It needs no re-enrolment: the
// token, SMS and temporary passcode keep working.

func (h *Handler) passwordPage(w http.ResponseWriter, r *http.Request) {
	s := h.at(w, r, isSignedIn)
	if s == nil {
		return
	}
	defer s.mu.Unlock()
	h.render(w, http.StatusOK, "password", page{Title: "Change your password", CSRF: s.csrf, UserID: s.user.UserID})
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) {
	s, ok := h.postAt(w, r, isSignedIn)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	ctx := r.Context()
	again := page{Title: "Change your password", CSRF: s.csrf, UserID: s.user.UserID}
	current, next, repeat := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("repeat")
	if next != repeat {
		again.Error = "The new password and its repetition differ."
		h.render(w, http.StatusBadRequest, "password", again)
		return
	}
	if next == current {
		again.Error = "Choose a new password different from the current one."
		h.render(w, http.StatusBadRequest, "password", again)
		return
	}
	hash, err := h.cfg.Auth.HashPassword([]byte(next))
	if errors.Is(err, auth.ErrWeakPassword) {
		again.Error = fmt.Sprintf("The new password must be %d to %d characters.", auth.MinPasswordLen, auth.MaxPasswordBytes)
		h.render(w, http.StatusBadRequest, "password", again)
		return
	}
	if err != nil {
		h.serverError(w, "hash password", err)
		return
	}
	if !h.byUser.Allow(s.user.UserID, h.cfg.Now()) {
		again.Error = "Too many attempts: wait a minute, then try again."
		h.render(w, http.StatusTooManyRequests, "password", again)
		return
	}
	if _, err := h.cfg.Auth.CheckPassword(ctx, s.user.UserID, []byte(current)); err != nil {
		msg, known := userMessage(err)
		if !known {
			h.serverError(w, "check password", err)
			return
		}
		h.audit(ctx, r, s.user.UserID, "web password change", err.Error(), "")
		if errors.Is(err, auth.ErrInvalidLogin) {
			msg = "The current password is wrong."
		}
		again.Error = msg
		h.render(w, http.StatusUnauthorized, "password", again)
		return
	}
	if err := h.cfg.Store.SetPassword(ctx, s.user.ID, hash, false); err != nil {
		h.serverError(w, "set password", err)
		return
	}
	h.audit(ctx, r, s.user.UserID, "web password change", "OK", "by the user: no re-enrolment")
	s.done = "Your password is changed. Your token or SMS passcodes keep working: no need to enrol again."
	http.Redirect(w, r, h.prefix+"done", http.StatusSeeOther)
}
