package account

import (
	"errors"
	"fmt"
)

// Code names an outcome the rules decide, in words that never change:
// the audit records it, the web pages' catalogues key their messages by
// it ("outcome.CODE"), and the websocket maps it to the protocol's
// results. An error's Message may be reworded; its Code may not (a
// changed code is a new outcome).
type Code string

// The codes of the outcomes the rules decide, and the two the audit
// writes for the rest: CodeOK for what succeeded and CodeFailed for a
// failure of the server (the database, the mail or SMS gateway).
const (
	CodeOK              Code = "ok"
	CodeFailed          Code = "failed"
	CodeInvalidLogin    Code = "invalid_login"
	CodeInvalidCode     Code = "invalid_code"
	CodeLocked          Code = "locked"
	CodeDisabled        Code = "disabled"
	CodeThrottled       Code = "throttled"
	CodePasscodeExpired Code = "passcode_expired"
	CodeCodeUsed        Code = "code_used"
	CodeSignedOut       Code = "signed_out"
	CodeNotAllowed      Code = "not_allowed"
	CodeNoSuchUser      Code = "no_such_user"
	CodeUserExists      Code = "user_exists"
	CodeSamePassword    Code = "same_password"
	CodeWeakPassword    Code = "weak_password"
	CodeBadAnswers      Code = "bad_answers"
	CodeWrongAnswer     Code = "wrong_answer"
	CodeNoQuestions     Code = "no_questions"
	CodeTooSoon         Code = "too_soon"
	CodeBadDays         Code = "bad_days"
	CodeBadPhone        Code = "bad_phone"
	CodeSMSOff          Code = "sms_off"
	CodeSMSTooMany      Code = "sms_too_many"
	CodeNotSMSUser      Code = "not_sms_user"
	CodeNoToken         Code = "no_token"
	CodeHeld            Code = "held"
	CodeNoSession       Code = "no_session"
	CodeNotEnrolled     Code = "not_enrolled"
	CodeSMSNotSent      Code = "sms_not_sent"
	CodeBusy            Code = "busy"
	CodeNoDeskCase      Code = "no_desk_case"
	CodeOldFactor       Code = "old_factor"
	CodeDeskCaseChanged Code = "desk_case_changed"
	CodePasswordNeeded  Code = "password_needed"
	CodeBadKey          Code = "bad_key"
	CodeEnrolled        Code = "already_enrolled"
	CodeUnavailable     Code = "unavailable"
)

// Error is an outcome the rules decide: a stable Code for adapters and
// the audit, and a Message in English for logs and the admin commands.
// The sentinels below are *Error values; an error that wraps one (a
// *TooSoonError, a *HeldError, fmt.Errorf's %w) has its code.
// Adapters answer any error without a code as an internal error: a
// failure of the server, logged in full, never shown.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return e.Message }

// CodeOf is the code of the outcome err is, and false for an error the
// rules did not decide (nil included).
func CodeOf(err error) (Code, bool) {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code, true
	}
	return "", false
}

// Outcomes the rules decide, each an *Error with its own Code.
var (
	// ErrInvalidLogin: the user ID or password is wrong. A wrong user ID
	// answers the same, in the same time.
	ErrInvalidLogin error = &Error{Code: CodeInvalidLogin, Message: "invalid user ID or password"}
	// ErrInvalidCode: a passcode (or confirmation code) is wrong, used, or
	// expired.
	ErrInvalidCode error = &Error{Code: CodeInvalidCode, Message: "invalid passcode"}
	// ErrLocked: too many wrong passcodes; nothing is checked until the
	// lock ends.
	ErrLocked error = &Error{Code: CodeLocked, Message: "account locked"}
	// ErrDisabled: the account is disabled (told only with the right
	// password).
	ErrDisabled error = &Error{Code: CodeDisabled, Message: "account disabled"}
	// ErrThrottled: too many wrong passwords for this user ID from this
	// source: wait, then try again.
	ErrThrottled error = &Error{Code: CodeThrottled, Message: "too many attempts"}
	// ErrPasscodeExpired: the initial passcode, or a One Swipe code, has
	// expired.
	ErrPasscodeExpired error = &Error{Code: CodePasscodeExpired, Message: "passcode expired"}
	// ErrCodeUsed: a One Swipe enrolment code presented a second time.
	ErrCodeUsed error = &Error{Code: CodeCodeUsed, Message: "code already used"}
	// ErrSignedOut: the grant no longer holds (the user was deleted, or
	// their credentials changed): sign in again.
	ErrSignedOut error = &Error{Code: CodeSignedOut, Message: "signed out: the account changed"}
	// ErrNotAllowed: the request needs an administrator, or a sign-in
	// with a passcode.
	ErrNotAllowed error = &Error{Code: CodeNotAllowed, Message: "not allowed"}
	// ErrNoSuchUser: an administrator named a user that does not exist.
	ErrNoSuchUser error = &Error{Code: CodeNoSuchUser, Message: "no such user"}
	// ErrUserExists: the user ID is taken (in any case).
	ErrUserExists error = &Error{Code: CodeUserExists, Message: "user already exists"}
	// ErrSamePassword: the new password is the current one.
	ErrSamePassword error = &Error{Code: CodeSamePassword, Message: "the new password is the current one"}
	// ErrWeakPassword: a new password outside the policy: 8 to 200
	// characters, text one can type (UTF-8, no control characters).
	ErrWeakPassword error = &Error{Code: CodeWeakPassword, Message: fmt.Sprintf("password must be %d to %d characters", MinPasswordLen, MaxPasswordBytes)}
	// ErrBadAnswers: security answers outside the rules.
	ErrBadAnswers error = &Error{Code: CodeBadAnswers, Message: "answers not accepted"}
	// ErrWrongAnswer: a wrong answer to a security question.
	ErrWrongAnswer error = &Error{Code: CodeWrongAnswer, Message: "wrong answer"}
	// ErrNoQuestions: the user has not chosen security questions.
	ErrNoQuestions error = &Error{Code: CodeNoQuestions, Message: "no security questions"}
	// ErrTooSoon: a temporary passcode or help-desk number change within 30
	// days of the last.
	ErrTooSoon error = &Error{Code: CodeTooSoon, Message: "temporary passcode too soon"}
	// ErrBadDays: a temporary passcode's validity out of range.
	ErrBadDays error = &Error{Code: CodeBadDays, Message: "temporary passcode validity out of range"}
	// ErrBadPhone: a phone number that is not a mobile number in
	// international form.
	ErrBadPhone error = &Error{Code: CodeBadPhone, Message: "not a mobile number in international form"}
	// ErrSMSOff: SMS is switched off on this server.
	ErrSMSOff error = &Error{Code: CodeSMSOff, Message: "passcodes by SMS are switched off on this server"}
	// ErrSMSTooMany: too many text messages to one user in a short time:
	// each costs money and buzzes a phone.
	ErrSMSTooMany error = &Error{Code: CodeSMSTooMany, Message: "too many text messages: wait a few minutes"}
	// ErrNotSMSUser: an SMS passcode asked for by a user who gets none.
	ErrNotSMSUser error = &Error{Code: CodeNotSMSUser, Message: "the user gets no passcodes by SMS"}
	// ErrNoToken: a token revoked that does not exist.
	ErrNoToken error = &Error{Code: CodeNoToken, Message: "the user has no token"}
	// ErrHeld: the user's session is held by another access (see
	// HeldError for until when).
	ErrHeld error = &Error{Code: CodeHeld, Message: "user already logged in"}
	// ErrNoSession: no session holds the user.
	ErrNoSession error = &Error{Code: CodeNoSession, Message: "no session holds the user"}
	// ErrNotEnrolled: a user who must give a second factor has none yet
	// (no token, no SMS passcodes, no temporary passcode): they enrol
	// first, with the initial passcode of their welcome mail.
	ErrNotEnrolled error = &Error{Code: CodeNotEnrolled, Message: "no second factor enrolled"}
	// ErrSMSNotSent: the SMS gateway did not take the message (wrapped
	// with its reason, which never holds the code).
	ErrSMSNotSent error = &Error{Code: CodeSMSNotSent, Message: "the SMS could not be sent"}
	// ErrBusy: the server is too busy checking passwords to check this one
	// now (Config.Hashing); nothing was counted: try again shortly.
	ErrBusy error = &Error{Code: CodeBusy, Message: "server busy"}
	// ErrBadKey: an admin API key that is not one, or was revoked.
	ErrBadKey error = &Error{Code: CodeBadKey, Message: "the API key is not valid"}
	// ErrEnrolled: a new initial passcode asked for a user who has a
	// token or SMS passcodes already.
	ErrEnrolled error = &Error{Code: CodeEnrolled, Message: "the user has enrolled already"}
	// ErrUnavailable: the database cannot be reached (store.ErrUnavailable:
	// stopped, restarting, failing over): an outage, not a fault of the
	// server, answered at once so that a client retries or goes to another
	// node. Nothing was decided, and nothing acknowledged; the audit
	// cannot record it (it is in the database), the log does.
	ErrUnavailable error = &Error{Code: CodeUnavailable, Message: "service unavailable"}
)

// knownErrors are every outcome the rules decide.
var knownErrors = []error{ErrInvalidLogin, ErrInvalidCode, ErrLocked, ErrDisabled, ErrThrottled, ErrPasscodeExpired, ErrCodeUsed,
	ErrSignedOut, ErrNotAllowed, ErrNoSuchUser, ErrUserExists, ErrSamePassword, ErrWeakPassword, ErrBadAnswers, ErrWrongAnswer,
	ErrNoQuestions, ErrTooSoon, ErrBadDays, ErrBadPhone, ErrSMSOff, ErrSMSTooMany, ErrNotSMSUser, ErrNoToken, ErrSMSNotSent, ErrHeld, ErrNoSession, ErrNotEnrolled, ErrBusy,
	ErrNoDeskCase, ErrOldFactor, ErrDeskCaseChanged, ErrPasswordNeeded, ErrBadKey, ErrEnrolled, ErrUnavailable}

// Codes are the codes of every outcome the rules decide, for adapters to
// test that they word them all.
func Codes() []Code {
	out := make([]Code, len(knownErrors))
	for i, e := range knownErrors {
		out[i], _ = CodeOf(e)
	}
	return out
}
