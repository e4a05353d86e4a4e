package ws

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/wire"
)

// login is the socket's one login: the password, and the passcode with
// it or owed (send2fatoken).
func (p peer) login(ctx context.Context, st *state, req wire.Request) reply {
	switch {
	case st.stage != stageNew || st.attempted:
		return closing(wire.Response{Type: wire.TypeLogin, Result: wire.ResultNotAllowed, Message: "one login per connection"})
	case st.key == nil:
		return answer(wire.Response{Type: wire.TypeLogin, Result: wire.ResultNoChallenge, Message: "send a challenge first"})
	case req.UserID == "" || req.Pass == "":
		return answer(wire.Response{Type: wire.TypeLogin, Result: wire.ResultMissingField, Message: "userid and pass are required"})
	}
	st.attempted = true
	in, err := p.h.acct.LogIn(ctx, p.origin(), p.holder, account.Attempt{UserID: req.UserID, Password: st.secret(req.Pass, req.Enc), Passcode: req.TwoFAToken})
	if err != nil {
		return closing(p.held(wire.Response{Type: wire.TypeLogin, Result: p.result(err)}, err))
	}
	st.grant, st.user = in.Grant, profileOf(in.User)
	if !in.NeedPasscode {
		st.stage = stageLoggedIn
		return answer(wire.Response{Type: wire.TypeLogin, Result: wire.ResultOK, MustChangePassword: st.user.mustChange})
	}
	st.stage = stagePending
	r := reply{Response: wire.Response{Type: wire.TypeLogin, Result: wire.ResultNeed2FA, Message: "send the passcode with send2fatoken"}, proved: st.grant.UserID}
	if in.User.SMS {
		msg, sent := p.smsMessage(in)
		if sent {
			// The text takes time to arrive and be typed: the socket
			// waits longer than a login does, counted from now.
			r.wait = p.h.cfg.SMSLoginTimeout
			msg += ": send it with send2fatoken within " + minutes(p.h.cfg.SMSLoginTimeout)
		} else {
			msg += "; send it with send2fatoken"
		}
		r.Message = msg
	}
	return r
}

func profileOf(u account.UserView) profile {
	return profile{admin: u.IsAdmin, mustChange: u.MustChangePassword}
}

// smsMessage says where the passcode of the sign-in in went by SMS, or
// why it did not; sent reports that the user has one to type (the text
// went to the gateway, now or pre-loaded before).
func (p peer) smsMessage(in account.SignIn) (msg string, sent bool) {
	switch err := in.SMSErr; {
	case err == nil:
		return "a passcode was sent by SMS to " + in.SentTo, true
	case errors.Is(err, account.ErrSMSPreloaded):
		return "type the passcode for this logon that came by SMS", true
	case errors.Is(err, account.ErrSMSOff):
		return "passcodes by SMS are switched off: use a temporary passcode from the self-help desk", false
	case errors.Is(err, account.ErrSMSTooMany):
		return "too many text messages in a short time: wait a few minutes, or use a temporary passcode from the self-help desk", false
	default:
		p.h.cfg.Logger.Error("send SMS passcode", "userid", in.Grant.UserID, "err", err)
	}
	return "the SMS could not be sent: try again in a minute, or use a temporary passcode from the self-help desk", false
}

// minutes says a duration in words.
func minutes(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
	return d.String()
}

// send2FAToken completes a login that owes a passcode, and takes the
// user's session.
func (p peer) send2FAToken(ctx context.Context, st *state, req wire.Request) reply {
	if st.stage != stagePending {
		return answer(wire.Response{Type: wire.TypeSend2FAToken, Result: wire.ResultNotAllowed, Message: "no login is waiting for a passcode"})
	}
	if req.TwoFAToken == "" {
		return answer(wire.Response{Type: wire.TypeSend2FAToken, Result: wire.ResultTokenMissing})
	}
	g, err := p.h.acct.FinishLogIn(ctx, p.origin(), p.holder, st.grant, req.TwoFAToken)
	if errors.Is(err, account.ErrBusy) || errors.Is(err, account.ErrUnavailable) {
		// Nothing was checked (the server is busy, or its database cannot
		// be reached): the client sends the code again shortly.
		return answer(wire.Response{Type: wire.TypeSend2FAToken, Result: p.result(err)})
	}
	if err != nil {
		st.codeTries++
		result := p.result(err)
		return reply{Response: p.held(wire.Response{Type: wire.TypeSend2FAToken, Result: result}, err),
			close: result != wire.ResultInvalidToken || st.codeTries >= p.h.cfg.MaxCodeTries}
	}
	st.grant, st.stage = g, stageLoggedIn
	return answer(wire.Response{Type: wire.TypeSend2FAToken, Result: wire.ResultOK, MustChangePassword: st.user.mustChange})
}
