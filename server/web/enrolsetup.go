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
		h.failed(w, r, s, "new seed", err, nil, func(status int, m msg) { h.message(w, r, status, "title.app.short", m) })
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
	h.render(w, r, http.StatusOK, "app", h.appView(s, msg{}))
}

func (h *EnrolSite) appView(s *session[enrolState], problem msg) page {
	secret := s.v.app.Token.Secret.Base32()
	var groups []string
	for i := 0; i < len(secret); i += 4 {
		groups = append(groups, secret[i:min(i+4, len(secret))])
	}
	return page{Title: "title.app", CSRF: s.csrf, UserID: s.v.grant.UserID, Error: problem, Secret: strings.Join(groups, " "),
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
		h.failed(w, r, s, "enrol app", err, map[account.Code]string{account.CodeInvalidCode: "error.app.code"}, func(status int, m msg) {
			h.render(w, r, status, "app", h.appView(s, m))
		})
		return
	}
	s.v.done = say("notice.app.done")
	if waits := s.v.app.Waits(); !waits.IsZero() {
		s.v.done = say("notice.app.waits", dateTime(waits))
	}
	s.v.grant, s.v.app, s.v.sms = g, nil, false
	h.afterEnrolment(w, r, s)
}

// afterEnrolment asks for the security questions when the user has none.
func (h *EnrolSite) afterEnrolment(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	need, err := h.cfg.Accounts.NeedsAnswers(r.Context(), s.v.grant)
	if err != nil {
		h.serverError(w, r, "read security answers", err)
		return
	}
	next := map[bool]string{true: "questions", false: "done"}[need]
	http.Redirect(w, r, h.prefix+next, http.StatusSeeOther)
}

func (h *EnrolSite) smsPage(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	h.render(w, r, http.StatusOK, "sms", page{Title: "title.sms", CSRF: s.csrf, UserID: s.v.grant.UserID})
}

// sendPhoneCode sends a code to the number typed, to prove it is the
// user's (guide, section 4.2.3).
func (h *EnrolSite) sendPhoneCode(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	typed := r.PostFormValue("phone")
	to, err := h.cfg.Accounts.SendPhoneCode(r.Context(), h.origin(r), s.v.grant, typed)
	if err != nil {
		h.failed(w, r, s, "send SMS", err, map[account.Code]string{
			account.CodeSMSOff: "error.sms.off.enrol",
		}, func(status int, m msg) {
			h.render(w, r, status, "sms", page{Title: "title.sms", CSRF: s.csrf, UserID: s.v.grant.UserID, Phone: typed, Error: m})
		})
		return
	}
	s.v.smsPhone = to
	h.render(w, r, http.StatusOK, "smsconfirm", page{Title: "title.sms", CSRF: s.csrf, UserID: s.v.grant.UserID, Phone: to, Code: smsCodeForm})
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
		h.failed(w, r, s, "enrol SMS", err, map[account.Code]string{account.CodeInvalidCode: "error.sms.code"}, func(status int, m msg) {
			h.render(w, r, status, "smsconfirm", page{Title: "title.sms", CSRF: s.csrf, UserID: s.v.grant.UserID, Phone: s.v.smsPhone,
				Error: m, Code: smsCodeForm})
		})
		return
	}
	s.v.grant, s.v.smsPhone, s.v.sms = g, "", to.Waits.IsZero()
	s.v.done = say("notice.sms.done", to.Phone)
	if !to.Waits.IsZero() {
		s.v.done = say("notice.sms.waits", to.Phone, dateTime(to.Waits))
	}
	h.afterEnrolment(w, r, s)
}

func (h *EnrolSite) questionsPage(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	h.render(w, r, http.StatusOK, "questions", page{Title: "title.questions", CSRF: s.csrf, UserID: s.v.grant.UserID, Questions: account.QuestionList()})
}

// setQuestions stores the two security answers, hashed.
func (h *EnrolSite) setQuestions(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	again := func(status int, m msg) {
		h.render(w, r, status, "questions", page{Title: "title.questions", CSRF: s.csrf, UserID: s.v.grant.UserID,
			Questions: account.QuestionList(), Error: m})
	}
	q1, _ := strconv.Atoi(r.PostFormValue("q1"))
	q2, _ := strconv.Atoi(r.PostFormValue("q2"))
	if q1 == q2 {
		again(http.StatusBadRequest, say("error.questions.same"))
		return
	}
	err := h.cfg.Accounts.SaveAnswers(r.Context(), h.origin(r), s.v.grant, map[int]string{q1: r.PostFormValue("a1"), q2: r.PostFormValue("a2")})
	if err != nil {
		h.failed(w, r, s, "set security answers", err, nil, again)
		return
	}
	http.Redirect(w, r, h.prefix+"done", http.StatusSeeOther)
}

func (h *EnrolSite) donePage(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	notice := s.v.done
	if notice.Key == "" {
		notice = say("notice.questions.done")
	}
	h.render(w, r, http.StatusOK, "done", page{Title: "title.done", CSRF: s.csrf, UserID: s.v.grant.UserID, Notice: notice})
}

// The user's own password change (guide, section 6.1): the current
// password again, then the new one twice. It needs no re-enrolment: the
// token, SMS and temporary passcode keep working.

func (h *EnrolSite) passwordPage(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	h.render(w, r, http.StatusOK, "password", h.passwordView(s, msg{}))
}

// passwordView is the password page, which says why when the change is
// owed.
func (h *EnrolSite) passwordView(s *session[enrolState], problem msg) page {
	p := page{Title: "title.password.change", CSRF: s.csrf, UserID: s.v.grant.UserID, Error: problem}
	if s.v.grant.MustChangePassword() {
		p.Title, p.Notice = "title.password.choose", say("notice.password.owed")
	}
	return p
}

func (h *EnrolSite) changePassword(w http.ResponseWriter, r *http.Request, s *session[enrolState]) {
	again := func(status int, m msg) { h.render(w, r, status, "password", h.passwordView(s, m)) }
	current, next, repeat := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("repeat")
	if next != repeat {
		again(http.StatusBadRequest, say("error.password.repeat"))
		return
	}
	if !h.byUser.Allow(strings.ToLower(s.v.grant.UserID), time.Now()) {
		again(http.StatusTooManyRequests, say("error.toomany"))
		return
	}
	g, _, err := h.cfg.Accounts.ChangePassword(r.Context(), h.origin(r), s.v.grant.Self(), []byte(current), []byte(next), account.Profile{})
	if err != nil {
		h.failed(w, r, s, "change password", err, map[account.Code]string{account.CodeInvalidLogin: "error.password.current"}, again)
		return
	}
	s.v.grant = g
	s.v.done = say("notice.password.done")
	http.Redirect(w, r, h.prefix+"done", http.StatusSeeOther)
}
