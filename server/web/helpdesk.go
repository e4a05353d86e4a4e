package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// The self-help desk (guide, section 5): user ID, then password, then one
// of the user's two security questions; then a new SMS number and/or a
// temporary passcode. The answer is never enough without the password,
// which always comes first; wrong answers count towards the lockout.

// deskState is a help desk session.
type deskState struct {
	// userID is the user ID typed; whether it exists shows nowhere.
	userID string
	// grant is what was proved: the password, then the answer too.
	grant account.Grant
	// question is the security question asked once the password was right.
	question account.Question
	tries    int
	// request waits for the code sent to its new number, confirmTo
	// (masked).
	request   account.HelpdeskRequest
	confirmTo string
	// caseLink is the secret of the help desk case link this session was
	// opened with, so that the page survives a switch of language (whose
	// way back keeps no query).
	caseLink string
}

// The help desk's steps.
func userIDTyped(s *deskState) bool { return s.userID != "" }
func questionAsked(s *deskState) bool {
	return s.grant.Proof == account.ProofPassword && s.question.ID > 0
}
func answered(s *deskState) bool { return s.grant.Proof == account.ProofAnswer }
func codeSent(s *deskState) bool { return answered(s) && s.confirmTo != "" }

// maxAnswerTries wrong answers end a help desk session.
const maxAnswerTries = 3

// Helpdesk is the self-help desk's handler.
type Helpdesk struct{ *site[deskState] }

// NewHelpdesk returns the self-help desk's handler; mount it at
// [HelpdeskPrefix].
func NewHelpdesk(cfg Config) *Helpdesk {
	h := &Helpdesk{newSite[deskState](cfg, "desk", "self-help desk", HelpdeskPrefix, "softtoken_helpdesk",
		"desk-userid", "desk-password", "desk-question", "desk-options", "desk-confirm", "desk-done", "desk-change", "desk-notme")}
	h.entry("GET "+HelpdeskPrefix+"{$}", h.start)
	h.steps([]step[deskState]{
		{"POST {$}", anywhere[deskState], h.typedUserID},
		{"GET password", userIDTyped, h.passwordPage}, {"POST password", userIDTyped, h.password},
		{"GET question", questionAsked, h.questionPage}, {"POST question", questionAsked, h.answer},
		{"GET options", answered, h.optionsPage}, {"POST options", answered, h.options},
		{"GET confirm", codeSent, h.confirmPage}, {"POST confirm", codeSent, h.confirm},
		{"POST logout", anywhere[deskState], h.logout},
		{"POST change", anywhere[deskState], h.confirmChange}, {"POST notme", anywhere[deskState], h.notMe},
	})
	// A case's links come from a mail: they start a session, as the
	// desk's first page does.
	h.entry("GET "+HelpdeskPrefix+"change", h.casePage("desk-change"))
	h.entry("GET "+HelpdeskPrefix+"notme", h.casePage("desk-notme"))
	return h
}

func (h *Helpdesk) logout(w http.ResponseWriter, r *http.Request, s *session[deskState]) {
	h.endSession(w, s)
	http.Redirect(w, r, h.prefix, http.StatusSeeOther)
}

func (h *Helpdesk) start(w http.ResponseWriter, r *http.Request, s *session[deskState]) {
	h.render(w, r, http.StatusOK, "desk-userid", page{Title: "title.desk", CSRF: s.csrf, UserID: cleanUserID(r.URL.Query().Get("userid"))})
}

// typedUserID takes the user ID and starts over from it.
func (h *Helpdesk) typedUserID(w http.ResponseWriter, r *http.Request, s *session[deskState]) {
	userID := cleanUserID(r.PostFormValue("userid"))
	if userID == "" {
		h.render(w, r, http.StatusBadRequest, "desk-userid", page{Title: "title.desk", CSRF: s.csrf, Error: say("error.desk.userid")})
		return
	}
	s.v = deskState{userID: userID}
	http.Redirect(w, r, h.prefix+"password", http.StatusSeeOther)
}

func (h *Helpdesk) passwordPage(w http.ResponseWriter, r *http.Request, s *session[deskState]) {
	h.render(w, r, http.StatusOK, "desk-password", page{Title: "title.desk", CSRF: s.csrf, UserID: s.v.userID})
}

func (h *Helpdesk) password(w http.ResponseWriter, r *http.Request, s *session[deskState]) {
	ctx := r.Context()
	again := func(status int, m msg) {
		h.render(w, r, status, "desk-password", page{Title: "title.desk", CSRF: s.csrf, UserID: s.v.userID, Error: m})
	}
	if !h.signInAllowed(r, s.v.userID) {
		h.signInOutcome("password", account.CodeRateLimited)
		h.cfg.Accounts.Record(ctx, h.origin(r), s.v.userID, "help desk sign-in", account.CodeRateLimited, "")
		h.render(w, r, http.StatusTooManyRequests, "desk-password", page{Title: "title.desk", CSRF: s.csrf, UserID: s.v.userID,
			Error: say("error.toomany")})
		return
	}
	g, _, err := h.cfg.Accounts.CheckPassword(ctx, h.origin(r), s.v.userID, []byte(r.PostFormValue("password")))
	var q account.Question
	if err == nil {
		q, err = h.cfg.Accounts.QuestionFor(ctx, g)
	}
	h.signInStep("password", err)
	if err != nil {
		h.failed(w, r, s, "help desk sign-in", err, nil, func(status int, m msg) {
			if errors.Is(err, account.ErrNoQuestions) {
				h.message(w, r, status, "title.noquestions", m)
				return
			}
			again(status, m)
		})
		return
	}
	if _, ok := h.renew(w, r, s, g.UserID, deskState{userID: g.UserID, grant: g, question: q}); ok {
		http.Redirect(w, r, h.prefix+"question", http.StatusSeeOther)
	}
}

func (h *Helpdesk) questionPage(w http.ResponseWriter, r *http.Request, s *session[deskState]) {
	h.render(w, r, http.StatusOK, "desk-question", page{Title: "title.desk.question", CSRF: s.csrf, UserID: s.v.userID, QuestionID: s.v.question.ID})
}

func (h *Helpdesk) answer(w http.ResponseWriter, r *http.Request, s *session[deskState]) {
	again := func(status int, m msg) {
		h.render(w, r, status, "desk-question", page{Title: "title.desk.question", CSRF: s.csrf, UserID: s.v.userID,
			QuestionID: s.v.question.ID, Error: m})
	}
	if !h.byUser.Allow("answer:"+strings.ToLower(s.v.userID), time.Now()) {
		again(http.StatusTooManyRequests, say("error.toomany"))
		return
	}
	g, err := h.cfg.Accounts.CheckAnswer(r.Context(), h.origin(r), s.v.grant, s.v.question.ID, r.PostFormValue("answer"))
	if err != nil {
		h.failed(w, r, s, "check answer", err, nil, func(status int, m msg) {
			if s.v.tries++; s.v.tries >= maxAnswerTries {
				h.endSession(w, s)
				h.message(w, r, status, "title.startagain", say("error.then.startagain", m))
				return
			}
			again(status, m)
		})
		return
	}
	s.v.grant = g
	http.Redirect(w, r, h.prefix+"options", http.StatusSeeOther)
}

func (h *Helpdesk) optionsPage(w http.ResponseWriter, r *http.Request, s *session[deskState]) {
	h.render(w, r, http.StatusOK, "desk-options", h.optionsView(s, msg{}))
}

func (h *Helpdesk) optionsView(s *session[deskState], problem msg) page {
	days := make([]int, h.cfg.MaxTempDays)
	for i := range days {
		days[i] = i + 1
	}
	return page{Title: "title.desk", CSRF: s.csrf, UserID: s.v.userID, Days: days, Error: problem}
}

// options carries out the request: a temporary passcode at once; a new
// SMS number only after the code sent to it comes back (confirm).
func (h *Helpdesk) options(w http.ResponseWriter, r *http.Request, s *session[deskState]) {
	phone := strings.TrimSpace(r.PostFormValue("phone"))
	days, _ := strconv.Atoi(r.PostFormValue("days"))
	again := func(status int, m msg) { h.render(w, r, status, "desk-options", h.optionsView(s, m)) }
	if phone == "" && days == 0 {
		again(http.StatusBadRequest, say("error.desk.choose"))
		return
	}
	req := account.HelpdeskRequest{Phone: phone, Days: days, MaxDays: h.cfg.MaxTempDays}
	res, err := h.cfg.Accounts.Helpdesk(r.Context(), h.origin(r), s.v.grant, req)
	if err != nil {
		h.failed(w, r, s, "help desk", err, map[account.Code]string{
			account.CodeSMSOff: "error.sms.off.desk",
		}, again)
		return
	}
	if res.ConfirmTo != "" {
		s.v.request, s.v.confirmTo, s.v.tries = req, res.ConfirmTo, 0
		http.Redirect(w, r, h.prefix+"confirm", http.StatusSeeOther)
		return
	}
	h.done(w, r, s, res)
}

func (h *Helpdesk) confirmPage(w http.ResponseWriter, r *http.Request, s *session[deskState]) {
	h.render(w, r, http.StatusOK, "desk-confirm", page{Title: "title.desk.confirm", CSRF: s.csrf, UserID: s.v.userID, Phone: s.v.confirmTo, Code: deskCodeForm})
}

// confirm checks the code sent to the new number and carries out the
// request; a few wrong codes end the session (and count towards the
// lockout).
func (h *Helpdesk) confirm(w http.ResponseWriter, r *http.Request, s *session[deskState]) {
	res, err := h.cfg.Accounts.ConfirmHelpdesk(r.Context(), h.origin(r), s.v.grant, r.PostFormValue("code"), s.v.request)
	if err != nil {
		h.failed(w, r, s, "help desk number", err, map[account.Code]string{account.CodeInvalidCode: "error.desk.code"}, func(status int, m msg) {
			if s.v.tries++; s.v.tries >= maxAnswerTries {
				h.endSession(w, s)
				h.message(w, r, status, "title.startagain", say("error.then.startagain", m))
				return
			}
			h.render(w, r, status, "desk-confirm", page{Title: "title.desk.confirm", CSRF: s.csrf, UserID: s.v.userID, Phone: s.v.confirmTo,
				Code: deskCodeForm, Error: m})
		})
		return
	}
	h.done(w, r, s, res)
}

// done shows what the help desk did and ends the session: one use of the
// desk per sign-in.
func (h *Helpdesk) done(w http.ResponseWriter, r *http.Request, s *session[deskState], res account.HelpdeskResult) {
	done := page{Title: "title.desk", CSRF: s.csrf, UserID: s.v.userID, Phone: res.Phone, SMS: res.Phone != "", Waits: res.Waits}
	if res.Temp != nil {
		done.TempPasscode, done.Expires = res.Temp.Code, res.Temp.Expires
	}
	h.endSession(w, s)
	h.render(w, r, http.StatusOK, "desk-done", done)
}

// The pages of a help desk case's links (account.DeskCase), from the mail
// sent to the address on file: "change" confirms what waits, "notme"
// revokes what the desk issued and locks the account. Each shows what the
// link is about and one button: a mail scanner that opens links changes
// nothing.

// casePage shows the case of the link's secret on the page name.
func (h *Helpdesk) casePage(name string) func(http.ResponseWriter, *http.Request, *session[deskState]) {
	return func(w http.ResponseWriter, r *http.Request, s *session[deskState]) {
		secret := r.URL.Query().Get("c")
		if secret == "" {
			secret = s.v.caseLink
		}
		s.v.caseLink = secret
		c, err := h.cfg.Accounts.LookUpDeskCase(r.Context(), secret)
		if err != nil {
			h.failed(w, r, s, "help desk case", err, nil, func(status int, m msg) { h.message(w, r, status, "title.desk.case", m) })
			return
		}
		h.render(w, r, http.StatusOK, name, page{Title: "title.desk.case", CSRF: s.csrf, UserID: c.UserID, Case: secret,
			Serial: c.Serial, Phone: c.Phone, Waits: c.Until, Waiting: c.Waiting})
	}
}

// confirmChange confirms the case: what the page showed, and still
// waits, takes over at once.
func (h *Helpdesk) confirmChange(w http.ResponseWriter, r *http.Request, s *session[deskState]) {
	shown := r.PostFormValue("waiting")
	confirm := func(ctx context.Context, o account.Origin, secret string) error {
		return h.cfg.Accounts.ConfirmDeskChange(ctx, o, secret, shown)
	}
	h.caseAction(w, r, s, "help desk confirm", confirm, say("desk.change.done"))
}

// notMe is the user's "this was not me".
func (h *Helpdesk) notMe(w http.ResponseWriter, r *http.Request, s *session[deskState]) {
	h.caseAction(w, r, s, "help desk not me", h.cfg.Accounts.DeskNotMe, say("desk.notme.done"))
}

// caseAction does act with the case of the form's secret and says done.
func (h *Helpdesk) caseAction(w http.ResponseWriter, r *http.Request, s *session[deskState], what string,
	act func(context.Context, account.Origin, string) error, done msg) {
	if err := act(r.Context(), h.origin(r), r.PostFormValue("c")); err != nil {
		h.failed(w, r, s, what, err, nil, func(status int, m msg) { h.message(w, r, status, "title.desk.case", m) })
		return
	}
	h.message(w, r, http.StatusOK, "title.desk.case", done)
}
