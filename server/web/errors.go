package web

import (
	"errors"
	"net/http"

	"github.com/softtoken/softtoken/server/account"
)

// The answers to what went wrong: a refusal by the rules, with the
// sentence and HTTP status of its code; a full or busy site; and a failure
// of the server, logged in full and never shown.

// serverError logs err in full and answers that something went wrong,
// and no more.
// An outage of the database is not one: it answers unavailable.
func (h *site[V]) serverError(w http.ResponseWriter, r *http.Request, what string, err error) {
	if errors.Is(err, account.ErrUnavailable) {
		h.unavailable(w, r)
		return
	}
	h.cfg.Logger.Error(what, "err", err)
	h.message(w, r, http.StatusInternalServerError, "title.error", say("error.server"))
}

// busy answers a client address that started too many sessions, or
// holds as many as it may, all signed in (Limits.MaxSessionsPerAddr).
func (h *site[V]) busy(w http.ResponseWriter, r *http.Request) {
	h.message(w, r, http.StatusTooManyRequests, "title.busy", say("error.busy"))
}

// full answers a visitor when the site's session table is full
// (Limits.MaxSessions) and no other address holds more sessions than
// theirs, nor theirs one that has not signed in.
func (h *site[V]) full(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", "60")
	h.message(w, r, http.StatusServiceUnavailable, "title.busy", say("error.full"))
}

// RetryAfterUnavailable is the Retry-After, in seconds, of a page that
// answers an outage of the database.
const RetryAfterUnavailable = "30"

// unavailable answers a request while the database cannot be reached
// (account.ErrUnavailable, logged by the rules): 503, and when to try
// again, so that a load balancer or a person knows it is an outage and
// not a fault.
func (h *site[V]) unavailable(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", RetryAfterUnavailable)
	h.message(w, r, http.StatusServiceUnavailable, "title.unavailable", say("outcome.unavailable"))
}

// outcomeStatus is the HTTP status of the answer to each of the rules'
// outcomes; their sentences are the catalogues' "outcome.CODE".
var outcomeStatus = map[account.Code]int{
	account.CodeInvalidLogin: http.StatusUnauthorized, account.CodeThrottled: http.StatusTooManyRequests,
	account.CodeLocked: http.StatusUnauthorized, account.CodeDisabled: http.StatusForbidden,
	account.CodeSignedOut: http.StatusUnauthorized, account.CodePasscodeExpired: http.StatusUnauthorized,
	account.CodeInvalidCode: http.StatusUnauthorized, account.CodeWrongAnswer: http.StatusUnauthorized,
	account.CodeNoQuestions: http.StatusConflict, account.CodeBadPhone: http.StatusBadRequest,
	account.CodeSMSOff: http.StatusConflict, account.CodeSMSTooMany: http.StatusTooManyRequests,
	account.CodeWeakPassword: http.StatusBadRequest, account.CodeSamePassword: http.StatusBadRequest,
	account.CodeNotSMSUser: http.StatusConflict, account.CodeNotAllowed: http.StatusForbidden,
	account.CodeCodeUsed: http.StatusConflict, account.CodeNoSuchUser: http.StatusUnauthorized,
	account.CodeUserExists: http.StatusConflict, account.CodeBadAnswers: http.StatusBadRequest,
	account.CodeBadDays: http.StatusBadRequest, account.CodeTooSoon: http.StatusConflict,
	account.CodeNoToken: http.StatusConflict, account.CodeSMSNotSent: http.StatusBadGateway,
	account.CodeHeld: http.StatusConflict, account.CodeNoSession: http.StatusConflict,
	account.CodeNotEnrolled: http.StatusConflict, account.CodeBusy: http.StatusServiceUnavailable,
	account.CodeNoDeskCase: http.StatusNotFound, account.CodeOldFactor: http.StatusForbidden,
	account.CodeDeskCaseChanged: http.StatusConflict, account.CodePasswordNeeded: http.StatusBadRequest,
	account.CodeBadKey: http.StatusUnauthorized, account.CodeEnrolled: http.StatusConflict,
	account.CodeUnavailable: http.StatusServiceUnavailable,
}

// userMessage is what a user reads for err, with a page's own wording of
// some outcomes (catalogue keys by code), and the HTTP status of the
// answer; ok is false for errors the rules did not decide (the caller
// answers those as a server error).
func userMessage(err error, own map[account.Code]string) (status int, m msg, ok bool) {
	code, ok := account.CodeOf(err)
	if !ok {
		return 0, msg{}, false
	}
	m = say("outcome." + string(code))
	if soon, ok := errors.AsType[*account.TooSoonError](err); ok {
		m = say("outcome.too_soon.dated", soon.Issued, soon.Next)
	}
	if held, ok := errors.AsType[*account.HeldError](err); ok {
		m = heldMessage(held)
	}
	if key, ok := own[code]; ok {
		m = say(key)
	}
	return outcomeStatus[code], m, true
}

// heldMessage says to a user held by another session what to do: sign
// out there, or wait until the hold ends, a time the page shows in the
// reader's own zone (time.js); then sign in with the next passcode, since
// the one just typed was used.
func heldMessage(h *account.HeldError) msg {
	if h.Open {
		return say("outcome.held.open")
	}
	return say("outcome.held.until", clockTime(h.Until))
}

// ends reports whether err ends a session: the grant no longer holds.
func ends(err error) bool {
	return errors.Is(err, account.ErrSignedOut) || errors.Is(err, account.ErrLocked) || errors.Is(err, account.ErrDisabled) ||
		errors.Is(err, account.ErrNotAllowed)
}

// failed answers a refusal by the rules: a grant that no longer holds ends
// the session; other outcomes go back to the page (again) with the
// sentence for them; anything else is a server error.
func (h *site[V]) failed(w http.ResponseWriter, r *http.Request, s *session[V], what string, err error, own map[account.Code]string,
	again func(status int, m msg)) {
	status, m, ok := userMessage(err, own)
	switch {
	case !ok, errors.Is(err, account.ErrUnavailable):
		h.serverError(w, r, what, err)
	case ends(err):
		h.endSession(w, s)
		h.message(w, r, status, "title.signinagain", m)
	default:
		again(status, m)
	}
}
