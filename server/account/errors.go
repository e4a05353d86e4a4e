package account

import (
	"errors"
	"fmt"
)

// Outcomes the rules decide. Adapters map them to their own words (ws to
// the protocol's results in one table); any other error is a failure of
// the server, which they log and answer as an internal error.
var (
	// ErrInvalidLogin: the user ID or password is wrong. A wrong user ID
	// answers the same, in the same time.
	ErrInvalidLogin = errors.New("invalid user ID or password")
	// ErrInvalidCode: a passcode (or confirmation code) is wrong, used, or
	// expired.
	ErrInvalidCode = errors.New("invalid passcode")
	// ErrLocked: too many wrong passcodes; nothing is checked until the
	// lock ends.
	ErrLocked = errors.New("account locked")
	// ErrDisabled: the account is disabled (told only with the right
	// password).
	ErrDisabled = errors.New("account disabled")
	// ErrThrottled: too many wrong passwords for this user ID from this
	// source: wait, then try again.
	ErrThrottled = errors.New("too many attempts")
	// ErrPasscodeExpired: the initial passcode, or a One Swipe code, has
	// expired.
	ErrPasscodeExpired = errors.New("passcode expired")
	// ErrCodeUsed: a One Swipe enrolment code presented a second time.
	ErrCodeUsed = errors.New("code already used")
	// ErrSignedOut: the grant no longer holds (the user was deleted, or
	// their credentials changed): sign in again.
	ErrSignedOut = errors.New("signed out: the account changed")
	// ErrNotAllowed: the request needs an administrator, or a sign-in
	// with a passcode.
	ErrNotAllowed = errors.New("not allowed")
	// ErrNoSuchUser: an administrator named a user that does not exist.
	ErrNoSuchUser = errors.New("no such user")
	// ErrUserExists: the user ID is taken (in any case).
	ErrUserExists = errors.New("user already exists")
	// ErrSamePassword: the new password is the current one.
	ErrSamePassword = errors.New("the new password is the current one")
	// ErrWeakPassword: a new password outside the policy: 8 to 200
	// characters, text one can type (UTF-8, no control characters).
	ErrWeakPassword = fmt.Errorf("password must be %d to %d characters", MinPasswordLen, MaxPasswordBytes)
	// ErrBadAnswers: security answers outside the rules.
	ErrBadAnswers = errors.New("answers not accepted")
	// ErrWrongAnswer: a wrong answer to a security question.
	ErrWrongAnswer = errors.New("wrong answer")
	// ErrNoQuestions: the user has not chosen security questions.
	ErrNoQuestions = errors.New("no security questions")
	// ErrTooSoon: a temporary passcode or help-desk number change within 30
	// days of the last.
	ErrTooSoon = errors.New("temporary passcode too soon")
	// ErrBadDays: a temporary passcode's validity out of range.
	ErrBadDays = errors.New("temporary passcode validity out of range")
	// ErrBadPhone: a phone number that is not a mobile number in
	// international form.
	ErrBadPhone = errors.New("not a mobile number in international form")
	// ErrSMSOff: SMS is switched off on this server.
	ErrSMSOff = errors.New("passcodes by SMS are switched off on this server")
	// ErrSMSTooMany: too many text messages to one user in a short time:
	// each costs money and buzzes a phone.
	ErrSMSTooMany = errors.New("too many text messages: wait a few minutes")
	// ErrNotSMSUser: an SMS passcode asked for by a user who gets none.
	ErrNotSMSUser = errors.New("the user gets no passcodes by SMS")
	// ErrNoToken: a token revoked that does not exist.
	ErrNoToken = errors.New("the user has no token")
	// ErrHeld: the user's session is held by another access (see
	// HeldError for until when).
	ErrHeld = errors.New("user already logged in")
	// ErrNoSession: no session holds the user.
	ErrNoSession = errors.New("no session holds the user")
	// ErrNotEnrolled: a user who must give a second factor has none yet
	// (no token, no SMS passcodes, no temporary passcode): they enrol
	// first, with the initial passcode of their welcome mail.
	ErrNotEnrolled = errors.New("no second factor enrolled")
	// ErrSMSNotSent: the SMS gateway did not take the message (wrapped
	// with its reason, which never holds the code).
	ErrSMSNotSent = errors.New("the SMS could not be sent")
	// ErrBusy: the server is too busy checking passwords to check this one
	// now (Config.Hashing); nothing was counted: try again shortly.
	ErrBusy = errors.New("server busy")
)

// knownErrors are the outcomes the audit names.
var knownErrors = []error{ErrInvalidLogin, ErrInvalidCode, ErrLocked, ErrDisabled, ErrThrottled, ErrPasscodeExpired, ErrCodeUsed,
	ErrSignedOut, ErrNotAllowed, ErrNoSuchUser, ErrUserExists, ErrSamePassword, ErrWeakPassword, ErrBadAnswers, ErrWrongAnswer,
	ErrNoQuestions, ErrTooSoon, ErrBadDays, ErrBadPhone, ErrSMSOff, ErrSMSTooMany, ErrNotSMSUser, ErrNoToken, ErrSMSNotSent, ErrHeld, ErrNoSession, ErrNotEnrolled, ErrBusy,
	ErrNoDeskCase, ErrOldFactor, ErrDeskCaseChanged}

// Outcome names the outcome err is (the text of one of the errors above),
// and is false for an error the rules did not decide: a failure of the
// server. Adapters key their own words for the outcomes by it.
func Outcome(err error) (string, bool) {
	for _, known := range knownErrors {
		if errors.Is(err, known) {
			return known.Error(), true
		}
	}
	return "", false
}

// Outcomes are the names of every outcome, for adapters to test that they
// word them all.
func Outcomes() []string {
	out := make([]string, len(knownErrors))
	for i, e := range knownErrors {
		out[i] = e.Error()
	}
	return out
}
