package ws

import (
	"errors"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/metrics"
	"github.com/softtoken/softtoken/server/wire"
)

// results maps the rules' outcomes, by their stable code, to the
// protocol's results: the one place where they meet. An outcome not here
// is answered as an internal error.
var results = map[account.Code]string{
	account.CodeInvalidLogin:    wire.ResultInvalidLogin,
	account.CodeInvalidCode:     wire.ResultInvalidToken,
	account.CodeLocked:          wire.ResultLocked,
	account.CodeNotEnrolled:     wire.ResultNotEnrolled,
	account.CodeDisabled:        wire.ResultDisabled,
	account.CodeThrottled:       wire.ResultRateLimited,
	account.CodePasscodeExpired: wire.ResultPasscodeExpired,
	account.CodeCodeUsed:        wire.ResultCodeUsed,
	account.CodeSignedOut:       wire.ResultNotLoggedIn,
	account.CodeHeld:            wire.ResultAlreadyLoggedIn,
	account.CodeNoSession:       wire.ResultNotAllowed,
	account.CodeNotAllowed:      wire.ResultNotAllowed,
	account.CodeNoSuchUser:      wire.ResultInvalidLogin,
	account.CodeWeakPassword:    wire.ResultWeakPassword,
	account.CodeSamePassword:    wire.ResultWeakPassword,
	account.CodeBadAnswers:      wire.ResultBadAnswers,
	account.CodeBadPhone:        wire.ResultMissingField,
	account.CodePasswordNeeded:  wire.ResultMissingField,
	account.CodeBusy:            wire.ResultBusy,
	account.CodeBadKey:          wire.ResultNotAllowed,
	account.CodeEnrolled:        wire.ResultNotAllowed,
	account.CodeUnavailable:     wire.ResultUnavailable,
}

// Failures of the adapter itself.
var (
	errNoChallenge  = errors.New(wire.ResultNoChallenge)
	errMissingField = errors.New(wire.ResultMissingField)
)

// resultOf is the protocol's result for err, and false for an error
// neither the rules nor this adapter decided (a failure of the server).
func resultOf(err error) (string, bool) {
	if code, ok := account.CodeOf(err); ok {
		r, ok := results[code]
		return r, ok
	}
	for _, own := range []error{errNoChallenge, errMissingField} {
		if errors.Is(err, own) {
			return own.Error(), true
		}
	}
	return "", false
}

// result is the protocol's result for err; errors the rules did not
// decide are logged and answered "internal error".
func (p peer) result(err error) string {
	if r, ok := resultOf(err); ok {
		return r
	}
	p.h.cfg.Logger.Error("request failed", "client", p.addr, "err", err)
	return wire.ResultInternal
}

// count counts the reply resp, which took took, in m: the outcomes of
// logins (a login that asks for a passcode is not one yet: its
// send2fatoken is) and of verifylogin, and their latency. Other types,
// and types a client made up, are not counted.
func count(m *metrics.Metrics, resp wire.Response, took time.Duration) {
	switch resp.Type {
	case wire.TypeLogin:
		if resp.Result != wire.ResultNeed2FA {
			m.Login(resp.Result)
		}
	case wire.TypeSend2FAToken:
		m.Login(resp.Result)
	case wire.TypeVerifyLogin:
		m.Verification(resp.Result)
	default:
		return
	}
	m.Latency(resp.Type, took)
}
