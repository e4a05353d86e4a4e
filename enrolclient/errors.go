package enrolclient

import (
	"errors"
	"fmt"
	"strings"

	"github.com/softtoken/softtoken/server/wire"
)

// Kind is what went wrong, for code that reacts differently to each.
type Kind int

// The kinds of enrolment failure a user can act on.
const (
	KindServer          Kind = iota // the server failed or answered nonsense
	KindBadURL                      // the enrol URL is malformed or has no enrolment service
	KindInsecure                    // http:// to a host other than this computer
	KindUnreachable                 // no connection to the server
	KindTLS                         // the server's certificate is not trusted
	KindTimeout                     // a step took too long
	KindWrongLogin                  // user ID or password wrong
	KindWrongPasscode               // passcode wrong (or malformed)
	KindExpiredPasscode             // the welcome mail's passcode has expired
	KindLocked                      // too many failures
	KindDisabled                    // the account is disabled
	KindQuestions                   // Confirm came before the answers to the server's security questions
	KindBadAnswers                  // the answers were refused
	KindFull                        // six tokens already
	KindCancelled                   // the user cancelled
	KindInput                       // a field is empty or malformed
	KindProxy                       // the proxy did not answer, or refused the connection
)

// Error is an enrolment failure: its message says what happened and what to
// do, in words for the person at the keyboard; Field names the input it
// concerns ("url", "userid", "password", "passcode", "answers", or "" for
// none), so a form can show it next to that input.
type Error struct {
	Kind  Kind
	Field string
	Msg   string
	Err   error
	// Proxy and ProxyAnswer name the proxy of a KindProxy error (its host
	// and port, never a password) and what it answered ("" when it did
	// not), for a window that words the message in its own language.
	Proxy, ProxyAnswer string
	// ProxyScript is the URL of the automatic proxy configuration (PAC)
	// script that chose the proxy, or that could not be fetched or run
	// (errors.Is tells which: pac.ErrFetch, pac.ErrScript, pac.ErrResult);
	// "" when no script was used.
	ProxyScript string
}

// Error returns the message for the user.
func (e *Error) Error() string { return e.Msg }

// Unwrap gives errors.Is access to the cause.
func (e *Error) Unwrap() error { return e.Err }

func newErr(kind Kind, field, msg string, cause error) *Error {
	return &Error{Kind: kind, Field: field, Msg: msg, Err: cause}
}

func errCancelled(cause error) *Error { return newErr(KindCancelled, "", "enrolment cancelled", cause) }

// KindOf is the kind of an enrolment error (KindServer for any other).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindServer
}

// FieldOf is the input an error concerns, or "".
func FieldOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// oneSwipeErr turns a server's refusal of a One Swipe enrolment code into
// an Error, or returns nil for results that mean the same as for a typed
// enrolment.
func oneSwipeErr(result string) *Error {
	const again = ": sign in to the enrol page again and scan the new code it shows"
	switch result {
	case wire.ResultInvalidToken:
		return newErr(KindWrongPasscode, "oneswipe", "the One Swipe code was not accepted"+again, nil)
	case wire.ResultPasscodeExpired:
		return newErr(KindExpiredPasscode, "oneswipe", "the One Swipe code has expired (each works for 10 minutes)"+again, nil)
	case wire.ResultCodeUsed:
		return newErr(KindWrongPasscode, "oneswipe", "this One Swipe code has been used already (each works once)"+again, nil)
	}
	return nil
}

// resultErr turns a server result into an Error.
func resultErr(result, message string) *Error {
	switch result {
	case wire.ResultInvalidLogin:
		return newErr(KindWrongLogin, "password", "the user ID or password is wrong: type them as in your welcome mail", nil)
	case wire.ResultInvalidToken:
		msg := "the passcode is wrong: use the passcode from your welcome mail, or the one your old PC shows now"
		if message != "" {
			msg = "the passcode was not accepted: " + message
		}
		return newErr(KindWrongPasscode, "passcode", msg, nil)
	case wire.ResultPasscodeExpired:
		return newErr(KindExpiredPasscode, "passcode", "the passcode from your welcome mail has expired: ask your administrator to reset your account", nil)
	case wire.ResultLocked:
		return newErr(KindLocked, "", "your account is locked after too many failed attempts: wait 15 minutes, or ask your administrator", nil)
	case wire.ResultDisabled:
		return newErr(KindDisabled, "", "your account is disabled: ask your administrator", nil)
	case wire.ResultBadAnswers:
		return badAnswers(message)
	case wire.ResultRateLimited:
		return newErr(KindServer, "", "the enrolment server is busy: try again in a minute", nil)
	}
	return newErr(KindServer, "", fmt.Sprintf("the enrolment server reported a problem (%s): try again later, or contact your administrator", result), nil)
}

// badAnswers is the server's refusal of security answers, with its reason
// (which the server may start with the result itself).
func badAnswers(message string) *Error {
	msg := "the answers were not accepted"
	if reason := strings.TrimPrefix(message, wire.ResultBadAnswers+": "); reason != "" {
		msg += ": " + reason
	}
	return newErr(KindBadAnswers, "answers", msg, nil)
}
