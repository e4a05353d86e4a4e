package web

import (
	"crypto/rand"
	"errors"
	"math/big"
	"net/http"
	"strconv"
	"strings"

	"github.com/softtoken/softtoken/server/auth"
	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/sms"
	"github.com/softtoken/softtoken/server/store"
)

// The self-help desk (guide, section 5): user ID, then password, then one
// of the user's two security questions; then a new SMS number and/or a
// temporary passcode. The answer is never enough without the password,
// which always comes first, and both count towards the lockout.

// The help desk's steps, for at and postAt.
func questionAsked(s *session) bool { return s.password && s.deskQuestion > 0 }
func answered(s *session) bool      { return s.deskVerified }

// maxAnswerTries wrong answers end a help desk session.
const maxAnswerTries = 3

func (h *Handler) deskStart(w http.ResponseWriter, r *http.Request) {
	s := h.session(w, r)
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h.render(w, http.StatusOK, "desk-userid", page{Title: "Self-help desk", CSRF: s.csrf, UserID: cleanUserID(r.URL.Query().Get("userid"))})
}

// deskUserID takes the user ID; whether it exists shows nowhere.
func (h *Handler) deskUserID(w http.ResponseWriter, r *http.Request) {
	s, ok := h.post(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	userID := cleanUserID(r.PostFormValue("userid"))
	if userID == "" {
		h.render(w, http.StatusBadRequest, "desk-userid", page{Title: "Self-help desk", CSRF: s.csrf, Error: "Type your user ID as in your welcome mail."})
		return
	}
	s.deskUserID, s.password, s.deskVerified, s.deskQuestion = userID, false, false, 0
	http.Redirect(w, r, h.prefix+"password", http.StatusSeeOther)
}

func (h *Handler) deskPasswordPage(w http.ResponseWriter, r *http.Request) {
	s := h.at(w, r, func(s *session) bool { return s.deskUserID != "" })
	if s == nil {
		return
	}
	defer s.mu.Unlock()
	h.render(w, http.StatusOK, "desk-password", page{Title: "Self-help desk", CSRF: s.csrf, UserID: s.deskUserID})
}

func (h *Handler) deskPassword(w http.ResponseWriter, r *http.Request) {
	s, ok := h.postAt(w, r, func(s *session) bool { return s.deskUserID != "" })
	if !ok {
		return
	}
	defer s.mu.Unlock()
	ctx, now := r.Context(), h.cfg.Now()
	again := page{Title: "Self-help desk", CSRF: s.csrf, UserID: s.deskUserID}
	if !h.byAddr.Allow(clientAddr(r), now) || !h.byUser.Allow(strings.ToLower(s.deskUserID), now) {
		h.audit(ctx, r, s.deskUserID, "helpdesk sign-in", "rate limited", "")
		again.Error = "Too many attempts: wait a minute, then try again."
		h.render(w, http.StatusTooManyRequests, "desk-password", again)
		return
	}
	u, err := h.cfg.Auth.CheckPassword(ctx, s.deskUserID, []byte(r.PostFormValue("password")))
	if err != nil {
		msg, known := userMessage(err)
		if !known {
			h.serverError(w, "helpdesk sign-in", err)
			return
		}
		h.audit(ctx, r, s.deskUserID, "helpdesk sign-in", err.Error(), "password")
		again.Error = msg
		h.render(w, http.StatusUnauthorized, "desk-password", again)
		return
	}
	answers, err := h.cfg.Store.SecurityAnswers(ctx, u.ID)
	if err != nil {
		h.serverError(w, "read security answers", err)
		return
	}
	if len(answers) == 0 {
		h.audit(ctx, r, u.UserID, "helpdesk sign-in", "no questions", "")
		h.message(w, http.StatusConflict, "No security questions",
			"You have not chosen your security questions yet, so the self-help desk cannot help: call your administrator.")
		return
	}
	n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(answers))))
	h.sessions.end(s)
	ns := h.sessions.start(now)
	ns.deskUserID, ns.user, ns.password, ns.deskQuestion = u.UserID, u, true, answers[n.Int64()].QuestionID
	h.setCookie(w, ns)
	http.Redirect(w, r, h.prefix+"question", http.StatusSeeOther)
}

func (h *Handler) deskQuestionPage(w http.ResponseWriter, r *http.Request) {
	s := h.at(w, r, questionAsked)
	if s == nil {
		return
	}
	defer s.mu.Unlock()
	h.render(w, http.StatusOK, "desk-question", page{Title: "Security question", CSRF: s.csrf, UserID: s.user.UserID, Question: auth.Questions[s.deskQuestion]})
}

func (h *Handler) deskAnswer(w http.ResponseWriter, r *http.Request) {
	s, ok := h.postAt(w, r, questionAsked)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	ctx := r.Context()
	if !h.byUser.Allow("answer:"+strings.ToLower(s.user.UserID), h.cfg.Now()) {
		h.render(w, http.StatusTooManyRequests, "desk-question", page{Title: "Security question", CSRF: s.csrf, UserID: s.user.UserID,
			Question: auth.Questions[s.deskQuestion], Error: "Too many attempts: wait a minute, then try again."})
		return
	}
	err := h.cfg.Auth.CheckAnswer(ctx, s.user, s.deskQuestion, r.PostFormValue("answer"))
	if err != nil {
		if !errors.Is(err, auth.ErrWrongAnswer) && !errors.Is(err, auth.ErrLocked) {
			h.serverError(w, "check answer", err)
			return
		}
		h.audit(ctx, r, s.user.UserID, "helpdesk answer", err.Error(), "question "+strconv.Itoa(s.deskQuestion))
		s.deskTries++
		msg := "The answer is wrong."
		if errors.Is(err, auth.ErrLocked) {
			msg, _ = userMessage(err)
		}
		if s.deskTries >= maxAnswerTries || errors.Is(err, auth.ErrLocked) {
			h.sessions.end(s)
			h.clearCookie(w)
			h.message(w, http.StatusUnauthorized, "Start again", msg+" Start again from your user ID.")
			return
		}
		h.render(w, http.StatusUnauthorized, "desk-question", page{Title: "Security question", CSRF: s.csrf, UserID: s.user.UserID,
			Question: auth.Questions[s.deskQuestion], Error: msg})
		return
	}
	h.audit(ctx, r, s.user.UserID, "helpdesk answer", "OK", "question "+strconv.Itoa(s.deskQuestion))
	s.deskVerified = true
	http.Redirect(w, r, h.prefix+"options", http.StatusSeeOther)
}

func (h *Handler) deskOptionsPage(w http.ResponseWriter, r *http.Request) {
	s := h.at(w, r, answered)
	if s == nil {
		return
	}
	defer s.mu.Unlock()
	h.render(w, http.StatusOK, "desk-options", h.optionsView(s, ""))
}

func (h *Handler) optionsView(s *session, problem string) page {
	days := make([]int, h.cfg.MaxTempDays)
	for i := range days {
		days[i] = i + 1
	}
	return page{Title: "Self-help desk", CSRF: s.csrf, UserID: s.user.UserID, Days: days, Error: problem, SMS: s.user.SMS, Phone: sms.Mask(s.user.Phone)}
}

// deskOptions sets a new SMS number and/or issues a temporary passcode,
// and tells the user by e-mail.
func (h *Handler) deskOptions(w http.ResponseWriter, r *http.Request) {
	s, ok := h.postAt(w, r, answered)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	ctx, now := r.Context(), h.cfg.Now()
	typed := strings.TrimSpace(r.PostFormValue("phone"))
	days, _ := strconv.Atoi(r.PostFormValue("days"))
	if typed == "" && days == 0 {
		h.render(w, http.StatusBadRequest, "desk-options", h.optionsView(s, "Choose a new number, a temporary passcode, or both."))
		return
	}
	var phone string
	if typed != "" {
		var err error
		if phone, err = sms.Normalize(typed); err != nil {
			h.render(w, http.StatusBadRequest, "desk-options", h.optionsView(s, "Type the mobile number in international form, e.g. +44 7700 900123."))
			return
		}
		if h.cfg.SMS == nil {
			h.render(w, http.StatusConflict, "desk-options", h.optionsView(s, "Passcodes by SMS are switched off on this server: choose a temporary passcode."))
			return
		}
	}
	done := page{Title: "Self-help desk", CSRF: s.csrf, UserID: s.user.UserID}
	if days != 0 {
		code, expires, err := h.cfg.Auth.IssueTempPasscode(ctx, s.user, days, h.cfg.MaxTempDays)
		switch {
		case errors.Is(err, auth.ErrTooSoon), errors.Is(err, auth.ErrBadDays):
			h.audit(ctx, r, s.user.UserID, "helpdesk temporary passcode", "refused", err.Error())
			msg := strings.ToUpper(err.Error()[:1]) + err.Error()[1:] + "."
			h.render(w, http.StatusConflict, "desk-options", h.optionsView(s, msg))
			return
		case err != nil:
			h.serverError(w, "temporary passcode", err)
			return
		}
		h.audit(ctx, r, s.user.UserID, "helpdesk temporary passcode", "OK", "valid until "+expires.UTC().Format("2006-01-02 15:04Z"))
		h.notify(r, s.user, mail.TempPasscodeNotice(h.cfg.MailFrom, s.user.Email, s.user.UserID, expires, now))
		done.TempPasscode, done.Expires = code, expires
	}
	if phone != "" {
		u := s.user
		u.Phone, u.SMS, u.Use2FA = phone, true, true
		switch err := h.cfg.Store.UpdateUser(ctx, u); {
		case err != nil && done.TempPasscode == "":
			h.serverError(w, "set phone", err)
			return
		case err != nil:
			// The temporary passcode is issued: show it whatever happens.
			h.cfg.Logger.Error("set phone", "userid", u.UserID, "err", err)
			done.Error = "The new number could not be saved: try again later. Your temporary passcode below works."
		default:
			s.user = u
			h.audit(ctx, r, u.UserID, "helpdesk phone", "OK", "passcodes by SMS to "+sms.Mask(phone))
			h.notify(r, u, mail.PhoneNotice(h.cfg.MailFrom, u.Email, u.UserID, sms.Mask(phone), now))
			if err := h.cfg.Auth.SendSMSCode(ctx, u, store.SMSLogin, phone, h.cfg.SMS, clientAddr(r)); err != nil {
				h.cfg.Logger.Error("send SMS passcode", "userid", u.UserID, "err", err)
			}
			done.Phone, done.SMS = sms.Mask(phone), true
		}
	}
	// One use of the desk per sign-in.
	h.sessions.end(s)
	h.clearCookie(w)
	h.render(w, http.StatusOK, "desk-done", done)
}

// notify mails a notice to the user, when there is an address and a
// mailer, and logs a failure: the change stands either way.
func (h *Handler) notify(r *http.Request, u store.User, m mail.Message) {
	if h.cfg.Mail == nil || u.Email == "" {
		return
	}
	if err := h.cfg.Mail.Send(r.Context(), m); err != nil {
		h.cfg.Logger.Error("mail notice", "userid", u.UserID, "err", err)
		h.audit(r.Context(), r, u.UserID, "mail notice", "failed", m.Subject)
	}
}
