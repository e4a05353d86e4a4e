package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// What a signed-in user sets up on the enrol site: the soft token app
// (guide, section 4.2.2), passcodes by SMS (section 4.2.3), the security
// questions, and a new password (section 6.1).

func (h *EnrolSite) setupRoutes() {
	h.image("GET "+Prefix+"app/code.png", func(s *enrolState) (string, bool) {
		if !signedIn(s) || s.app == nil {
			return "", false
		}
		return s.app.Token.URI(), true
	})
	h.steps([]step[enrolState]{
		{"POST app", signedIn, h.startApp}, {"GET app", signedIn, h.appPage}, {"POST app/confirm", signedIn, h.confirmApp},
		{"GET sms", signedIn, h.smsPage}, {"POST sms", signedIn, h.sendPhoneCode}, {"POST sms/confirm", signedIn, h.confirmPhone},
		{"GET questions", signedIn, h.questionsPage}, {"POST questions", signedIn, h.setQuestions},
		{"GET done", signedIn, h.donePage}, {"GET password", passcodeProved, h.passwordPage}, {"POST password", passcodeProved, h.changePassword},
	})
}

// startApp makes a new seed for the soft token app and shows it; nothing
// is stored until the user types a code of it.
func (h *EnrolSite) startApp(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	e, err := h.cfg.Accounts.NewEnrolment(r.Context(), s.v.grant)
	if err != nil {
		h.failed(w, s, "new seed", err, nil, func(status int, msg string) { h.message(w, status, "Soft token app", msg) })
		return
	}
	e.Token.Issuer = h.cfg.Issuer
	e.Token.Label = fmt.Sprintf("%s (%s)", s.v.grant.UserID, h.cfg.Issuer)
	s.v.app = e
	http.Redirect(w, r, h.prefix+"app", http.StatusSeeOther)
}

func (h *EnrolSite) appPage(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	if s.v.app == nil {
		http.Redirect(w, r, h.prefix+"home", http.StatusSeeOther)
		return
	}
	h.render(w, http.StatusOK, "app", h.appView(s, ""))
}

func (h *EnrolSite) appView(s *session[enrolState], problem string) page {
	secret := s.v.app.Token.Secret.Base32()
	var groups []string
	for i := 0; i < len(secret); i += 4 {
		groups = append(groups, secret[i:min(i+4, len(secret))])
	}
	return page{Title: "Set up your soft token app", CSRF: s.csrf, UserID: s.v.grant.UserID, Error: problem, Secret: strings.Join(groups, " "),
		Code: appCodeForm}
}

// confirmApp activates the app's seed once the user typed a code of it.
func (h *EnrolSite) confirmApp(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	if s.v.app == nil {
		http.Redirect(w, r, h.prefix+"home", http.StatusSeeOther)
		return
	}
	g, err := h.cfg.Accounts.CompleteEnrolment(r.Context(), h.origin(r), s.v.app, r.PostFormValue("code"))
	if err != nil {
		h.failed(w, s, "enrol app", err, map[error]string{account.ErrInvalidCode: "That is not the code the app shows for this token: " +
			"check the app, and that its clock is right, then type its code again."}, func(status int, msg string) {
			h.render(w, status, "app", h.appView(s, msg))
		})
		return
	}
	s.v.grant, s.v.app, s.v.sms = g, nil, false
	s.v.done = "Your soft token app is set up: use its passcodes from now on. Any token you had before no longer works."
	h.afterEnrolment(w, r, s)
}

// afterEnrolment asks for the security questions when the user has none.
func (h *EnrolSite) afterEnrolment(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	need, err := h.cfg.Accounts.NeedsAnswers(r.Context(), s.v.grant)
	if err != nil {
		h.serverError(w, "read security answers", err)
		return
	}
	next := map[bool]string{true: "questions", false: "done"}[need]
	http.Redirect(w, r, h.prefix+next, http.StatusSeeOther)
}

func (h *EnrolSite) smsPage(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	h.render(w, http.StatusOK, "sms", page{Title: "Passcodes by SMS", CSRF: s.csrf, UserID: s.v.grant.UserID})
}

// sendPhoneCode sends a code to the number typed, to prove it is the
// user's (guide, section 4.2.3).
func (h *EnrolSite) sendPhoneCode(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	typed := r.PostFormValue("phone")
	to, err := h.cfg.Accounts.SendPhoneCode(r.Context(), h.origin(r), s.v.grant, typed)
	if err != nil {
		h.failed(w, s, "send SMS", err, map[error]string{
			account.ErrSMSOff: "Passcodes by SMS are switched off on this server: set up the soft token app instead.",
		}, func(status int, msg string) {
			h.render(w, status, "sms", page{Title: "Passcodes by SMS", CSRF: s.csrf, UserID: s.v.grant.UserID, Phone: typed, Error: msg})
		})
		return
	}
	s.v.smsPhone = to
	h.render(w, http.StatusOK, "smsconfirm", page{Title: "Passcodes by SMS", CSRF: s.csrf, UserID: s.v.grant.UserID, Phone: to, Code: smsCodeForm})
}

// confirmPhone checks the code sent to the new number and makes the user
// an SMS user with it, replacing their token.
func (h *EnrolSite) confirmPhone(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	if s.v.smsPhone == "" {
		http.Redirect(w, r, h.prefix+"sms", http.StatusSeeOther)
		return
	}
	g, to, err := h.cfg.Accounts.CompleteSMSEnrolment(r.Context(), h.origin(r), s.v.grant, r.PostFormValue("code"))
	if err != nil {
		h.failed(w, s, "enrol SMS", err, map[error]string{account.ErrInvalidCode: "That is not the code we sent, or it has expired: " +
			"type the code in the SMS, or go back and send a new one."}, func(status int, msg string) {
			h.render(w, status, "smsconfirm", page{Title: "Passcodes by SMS", CSRF: s.csrf, UserID: s.v.grant.UserID, Phone: s.v.smsPhone,
				Error: msg, Code: smsCodeForm})
		})
		return
	}
	s.v.grant, s.v.smsPhone, s.v.sms = g, "", true
	s.v.done = "Your passcodes will come by SMS to " + to + ": when you sign in without one, one is sent. Any token you had before no longer works."
	h.afterEnrolment(w, r, s)
}

func (h *EnrolSite) questionsPage(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	h.render(w, http.StatusOK, "questions", page{Title: "Security questions", CSRF: s.csrf, UserID: s.v.grant.UserID, Questions: account.QuestionList()})
}

// setQuestions stores the two security answers, hashed.
func (h *EnrolSite) setQuestions(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	again := func(status int, msg string) {
		h.render(w, status, "questions", page{Title: "Security questions", CSRF: s.csrf, UserID: s.v.grant.UserID,
			Questions: account.QuestionList(), Error: msg})
	}
	q1, _ := strconv.Atoi(r.PostFormValue("q1"))
	q2, _ := strconv.Atoi(r.PostFormValue("q2"))
	if q1 == q2 {
		again(http.StatusBadRequest, "Choose two different questions.")
		return
	}
	err := h.cfg.Accounts.SaveAnswers(r.Context(), h.origin(r), s.v.grant, map[int]string{q1: r.PostFormValue("a1"), q2: r.PostFormValue("a2")})
	if err != nil {
		h.failed(w, s, "set security answers", err, nil, again)
		return
	}
	http.Redirect(w, r, h.prefix+"done", http.StatusSeeOther)
}

func (h *EnrolSite) donePage(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	notice := s.v.done
	if notice == "" {
		notice = "Your security questions are set."
	}
	h.render(w, http.StatusOK, "done", page{Title: "Done", CSRF: s.csrf, UserID: s.v.grant.UserID, Notice: notice})
}

// The user's own password change (guide, section 6.1): the current
// password again, then the new one twice. It needs no re-enrolment: the
// token, SMS and temporary passcode keep working.

func (h *EnrolSite) passwordPage(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	h.render(w, http.StatusOK, "password", h.passwordView(s, ""))
}

// passwordView is the password page, which says why when the change is
// owed.
func (h *EnrolSite) passwordView(s *session[enrolState], problem string) page {
	p := page{Title: "Change your password", CSRF: s.csrf, UserID: s.v.grant.UserID, Error: problem}
	if s.v.grant.MustChangePassword() {
		p.Title, p.Notice = "Choose your password", "Your administrator chose your password: choose your own before anything else."
	}
	return p
}

func (h *EnrolSite) changePassword(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	again := func(status int, msg string) { h.render(w, status, "password", h.passwordView(s, msg)) }
	current, next, repeat := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("repeat")
	if next != repeat {
		again(http.StatusBadRequest, "The new password and its repetition differ.")
		return
	}
	if !h.byUser.Allow(strings.ToLower(s.v.grant.UserID), time.Now()) {
		again(http.StatusTooManyRequests, "Too many attempts: wait a minute, then try again.")
		return
	}
	g, err := h.cfg.Accounts.ChangePassword(r.Context(), h.origin(r), s.v.grant.Self(), []byte(current), []byte(next), account.Profile{})
	if err != nil {
		h.failed(w, s, "change password", err, map[error]string{account.ErrInvalidLogin: "The current password is wrong."}, again)
		return
	}
	s.v.grant = g
	s.v.done = "Your password is changed. Your token or SMS passcodes keep working: no need to enrol again."
	http.Redirect(w, r, h.prefix+"done", http.StatusSeeOther)
}
