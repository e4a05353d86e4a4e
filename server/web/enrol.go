package web

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/softtoken/softtoken/server/auth"
	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/sms"
	"github.com/softtoken/softtoken/server/store"
)

// passcodeBySMS sends an SMS user a passcode for the sign-in.
func (h *Handler) passcodeBySMS(w http.ResponseWriter, r *http.Request) {
	s, ok := h.postAt(w, r, func(s *session) bool { return s.password && s.user.SMS })
	if !ok {
		return
	}
	defer s.mu.Unlock()
	p := page{Title: "Passcode", CSRF: s.csrf, UserID: s.user.UserID, SMS: true}
	switch err := h.cfg.Auth.SendSMSCode(r.Context(), s.user, store.SMSLogin, s.user.Phone, h.cfg.SMS, clientAddr(r)); {
	case err == nil:
		p.Notice = "A passcode was sent by SMS to " + sms.Mask(s.user.Phone) + ". It works for a few minutes."
	case errors.Is(err, auth.ErrSMSOff):
		p.Error = "Passcodes by SMS are switched off: use a temporary passcode from the self-help desk."
	case errors.Is(err, auth.ErrSMSTooMany):
		p.Error = "Too many text messages: wait a few minutes, then ask again."
	default:
		h.cfg.Logger.Error("send SMS passcode", "userid", s.user.UserID, "err", err)
		p.Error = "The SMS could not be sent: try again in a minute."
	}
	h.render(w, http.StatusOK, "passcode", p)
}

// startApp makes a new seed for the soft token app (guide, section
// 4.2.2) and shows it; nothing is stored until the user types a code.
func (h *Handler) startApp(w http.ResponseWriter, r *http.Request) {
	s, ok := h.postAt(w, r, isSignedIn)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	tok, sealed, err := h.cfg.Auth.PendingSeed(s.user)
	if err != nil {
		h.serverError(w, "new seed", err)
		return
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	tok.Issuer = host
	tok.Label = fmt.Sprintf("%s (%s)", s.user.UserID, host)
	s.app = &pendingApp{tok: tok, sealed: sealed}
	http.Redirect(w, r, h.prefix+"app", http.StatusSeeOther)
}

func (h *Handler) appPage(w http.ResponseWriter, r *http.Request) {
	s := h.at(w, r, isSignedIn)
	if s == nil {
		return
	}
	defer s.mu.Unlock()
	if s.app == nil {
		http.Redirect(w, r, h.prefix+"home", http.StatusSeeOther)
		return
	}
	h.render(w, http.StatusOK, "app", h.appView(s, ""))
}

func (h *Handler) appView(s *session, problem string) page {
	secret := s.app.tok.Secret.Base32()
	var groups []string
	for i := 0; i < len(secret); i += 4 {
		groups = append(groups, secret[i:min(i+4, len(secret))])
	}
	return page{Title: "Set up your soft token app", CSRF: s.csrf, UserID: s.user.UserID, Error: problem, Secret: strings.Join(groups, " ")}
}

func (h *Handler) appCodePNG(w http.ResponseWriter, r *http.Request) {
	h.image(w, r, func(s *session) (string, bool) {
		if !s.signedIn || s.app == nil {
			return "", false
		}
		return s.app.tok.URI(), true
	})
}

// confirmApp activates the app's seed once the user typed a code of it:
// in one transaction it replaces the user's previous token (or SMS).
func (h *Handler) confirmApp(w http.ResponseWriter, r *http.Request) {
	s, ok := h.postAt(w, r, isSignedIn)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	if s.app == nil {
		http.Redirect(w, r, h.prefix+"home", http.StatusSeeOther)
		return
	}
	ctx := r.Context()
	step, err := h.cfg.Auth.ConfirmSeed(s.app.tok, r.PostFormValue("code"))
	if err != nil {
		h.audit(ctx, r, s.user.UserID, "web enrol app", err.Error(), "the confirmation code did not match")
		h.render(w, http.StatusUnauthorized, "app", h.appView(s, "That is not the code the app shows for this token: check the app, and that its clock is right, then type its code again."))
		return
	}
	s.app.sealed.LastStep = step
	err = h.cfg.Store.CompleteEnrolment(ctx, s.user.ID, s.app.sealed, s.proof == auth.ProofInitial)
	if errors.Is(err, store.ErrAlreadyUsed) {
		h.message(w, http.StatusConflict, "Sign in again", "The passcode of your welcome mail has been used meanwhile. Sign in again with your current passcode.")
		return
	}
	if err != nil {
		h.serverError(w, "enrol app", err)
		return
	}
	h.audit(ctx, r, s.user.UserID, "web enrol app", "OK", "token "+s.app.sealed.Serial)
	s.app, s.proof = nil, auth.ProofToken
	s.done = "Your soft token app is set up: use its passcodes from now on. Any token you had before no longer works."
	h.afterEnrolment(w, r, s)
}

// afterEnrolment asks for the security questions when the user has none.
func (h *Handler) afterEnrolment(w http.ResponseWriter, r *http.Request, s *session) {
	have, err := h.cfg.Store.SecurityAnswers(r.Context(), s.user.ID)
	if err != nil {
		h.serverError(w, "read security answers", err)
		return
	}
	if len(have) < auth.RequiredAnswers {
		http.Redirect(w, r, h.prefix+"questions", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, h.prefix+"done", http.StatusSeeOther)
}

func (h *Handler) smsPage(w http.ResponseWriter, r *http.Request) {
	s := h.at(w, r, isSignedIn)
	if s == nil {
		return
	}
	defer s.mu.Unlock()
	h.render(w, http.StatusOK, "sms", page{Title: "Passcodes by SMS", CSRF: s.csrf, UserID: s.user.UserID, Phone: s.user.Phone})
}

// sendPhoneCode sends a code to the number typed, to prove it is the
// user's (guide, section 4.2.3).
func (h *Handler) sendPhoneCode(w http.ResponseWriter, r *http.Request) {
	s, ok := h.postAt(w, r, isSignedIn)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	typed := r.PostFormValue("phone")
	again := page{Title: "Passcodes by SMS", CSRF: s.csrf, UserID: s.user.UserID, Phone: typed}
	phone, err := sms.Normalize(typed)
	if err != nil {
		again.Error = "Type your mobile number in international form, e.g. +44 7700 900123."
		h.render(w, http.StatusBadRequest, "sms", again)
		return
	}
	if !h.byUser.Allow("sms:"+strings.ToLower(s.user.UserID), h.cfg.Now()) {
		again.Error = "Too many text messages: wait a minute, then try again."
		h.render(w, http.StatusTooManyRequests, "sms", again)
		return
	}
	switch err := h.cfg.Auth.SendSMSCode(r.Context(), s.user, store.SMSPhone, phone, h.cfg.SMS, clientAddr(r)); {
	case errors.Is(err, auth.ErrSMSOff):
		again.Error = "Passcodes by SMS are switched off on this server: set up the soft token app instead."
		h.render(w, http.StatusConflict, "sms", again)
		return
	case errors.Is(err, auth.ErrSMSTooMany):
		again.Error = "Too many text messages: wait a few minutes, then try again."
		h.render(w, http.StatusTooManyRequests, "sms", again)
		return
	case err != nil:
		h.cfg.Logger.Error("send SMS", "userid", s.user.UserID, "err", err)
		again.Error = "The SMS could not be sent: check the number, or try again in a minute."
		h.render(w, http.StatusBadGateway, "sms", again)
		return
	}
	s.smsPhone = phone
	h.render(w, http.StatusOK, "smsconfirm", page{Title: "Passcodes by SMS", CSRF: s.csrf, UserID: s.user.UserID, Phone: sms.Mask(phone)})
}

// confirmPhone checks the code sent to the new number and makes the user
// an SMS user with it, replacing their token.
func (h *Handler) confirmPhone(w http.ResponseWriter, r *http.Request) {
	s, ok := h.postAt(w, r, isSignedIn)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	if s.smsPhone == "" {
		http.Redirect(w, r, h.prefix+"sms", http.StatusSeeOther)
		return
	}
	ctx := r.Context()
	phone, err := h.cfg.Auth.CheckSMSCode(ctx, s.user, store.SMSPhone, r.PostFormValue("code"))
	if err != nil {
		msg, known := userMessage(err)
		if !known {
			h.serverError(w, "check SMS code", err)
			return
		}
		h.audit(ctx, r, s.user.UserID, "web enrol sms", err.Error(), "")
		if errors.Is(err, auth.ErrInvalidToken) {
			msg = "That is not the code we sent, or it has expired: type the code in the SMS, or go back and send a new one."
		}
		h.render(w, http.StatusUnauthorized, "smsconfirm", page{Title: "Passcodes by SMS", CSRF: s.csrf, UserID: s.user.UserID, Phone: sms.Mask(s.smsPhone), Error: msg})
		return
	}
	err = h.cfg.Store.CompleteSMSEnrolment(ctx, s.user.ID, phone, s.proof == auth.ProofInitial)
	if errors.Is(err, store.ErrAlreadyUsed) {
		h.message(w, http.StatusConflict, "Sign in again", "The passcode of your welcome mail has been used meanwhile. Sign in again with your current passcode.")
		return
	}
	if err != nil {
		h.serverError(w, "enrol SMS", err)
		return
	}
	h.audit(ctx, r, s.user.UserID, "web enrol sms", "OK", "passcodes by SMS to "+sms.Mask(phone))
	h.notify(r, s.user, mail.PhoneNotice(h.cfg.MailFrom, s.user.Email, s.user.UserID, sms.Mask(phone), h.cfg.Now()))
	s.user.Phone, s.user.SMS, s.smsPhone, s.proof = phone, true, "", auth.ProofSMS
	s.done = "Your passcodes will come by SMS to " + sms.Mask(phone) + ": when you sign in without one, one is sent. Any token you had before no longer works."
	h.afterEnrolment(w, r, s)
}

func (h *Handler) questionsPage(w http.ResponseWriter, r *http.Request) {
	s := h.at(w, r, isSignedIn)
	if s == nil {
		return
	}
	defer s.mu.Unlock()
	h.render(w, http.StatusOK, "questions", page{Title: "Security questions", CSRF: s.csrf, UserID: s.user.UserID, Questions: questionList()})
}

// setQuestions stores the two security answers, hashed.
func (h *Handler) setQuestions(w http.ResponseWriter, r *http.Request) {
	s, ok := h.postAt(w, r, isSignedIn)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	again := page{Title: "Security questions", CSRF: s.csrf, UserID: s.user.UserID, Questions: questionList()}
	q1, _ := strconv.Atoi(r.PostFormValue("q1"))
	q2, _ := strconv.Atoi(r.PostFormValue("q2"))
	if q1 == q2 {
		again.Error = "Choose two different questions."
		h.render(w, http.StatusBadRequest, "questions", again)
		return
	}
	hashed, err := h.cfg.Auth.HashAnswers(map[int]string{q1: r.PostFormValue("a1"), q2: r.PostFormValue("a2")})
	if errors.Is(err, auth.ErrBadAnswers) {
		again.Error = "The answers were not accepted: " + strings.TrimPrefix(err.Error(), auth.ErrBadAnswers.Error()+": ") + "."
		h.render(w, http.StatusBadRequest, "questions", again)
		return
	}
	if err == nil {
		err = h.cfg.Store.SetSecurityAnswers(r.Context(), s.user.ID, hashed)
	}
	if err != nil {
		h.serverError(w, "set security answers", err)
		return
	}
	h.audit(r.Context(), r, s.user.UserID, "security questions", "OK", "")
	http.Redirect(w, r, h.prefix+"done", http.StatusSeeOther)
}

func (h *Handler) donePage(w http.ResponseWriter, r *http.Request) {
	s := h.at(w, r, isSignedIn)
	if s == nil {
		return
	}
	defer s.mu.Unlock()
	notice := s.done
	if notice == "" {
		notice = "Your security questions are set."
	}
	h.render(w, http.StatusOK, "done", page{Title: "Done", CSRF: s.csrf, UserID: s.user.UserID, Notice: notice})
}

// question is one security question for a form.
type question struct {
	ID   int
	Text string
}

func questionList() []question {
	var qs []question
	for id, text := range auth.Questions {
		if text != "" {
			qs = append(qs, question{ID: id, Text: text})
		}
	}
	return qs
}
