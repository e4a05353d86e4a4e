package ws

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
	in, err := p.h.acct.Login(ctx, p.origin(), req.UserID, st.secret(req.Pass, req.Enc), req.TwoFAToken)
	if err != nil {
		return closing(wire.Response{Type: wire.TypeLogin, Result: p.result(err)})
	}
	st.grant, st.user = in.Grant, profileOf(in.User)
	if !in.NeedPasscode {
		return p.finishLogin(ctx, st, wire.TypeLogin)
	}
	st.stage = stagePending
	r := reply{Response: wire.Response{Type: wire.TypeLogin, Result: wire.ResultNeed2FA, Message: "send the passcode with send2fatoken"}, proved: st.grant.UserID}
	if in.User.SMS {
		msg, sent := p.sendSMS(ctx, st.grant)
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
	return profile{id: strings.ToLower(u.UserID), admin: u.IsAdmin, mustChange: u.MustChangePassword}
}

// sendSMS sends the SMS user of g a passcode for their login and says so,
// or says why not; sent reports that the text went to the gateway.
func (p peer) sendSMS(ctx context.Context, g account.Grant) (msg string, sent bool) {
	to, err := p.h.acct.SendLoginCode(ctx, p.origin(), g)
	switch {
	case err == nil:
		return "a passcode was sent by SMS to " + to, true
	case errors.Is(err, account.ErrSMSOff):
		return "passcodes by SMS are switched off: use a temporary passcode from the self-help desk", false
	case errors.Is(err, account.ErrSMSTooMany):
		return "too many text messages in a short time: wait a few minutes, or use a temporary passcode from the self-help desk", false
	}
	p.h.cfg.Logger.Error("send SMS passcode", "userid", g.UserID, "err", err)
	return "the SMS could not be sent: try again in a minute, or use a temporary passcode from the self-help desk", false
}

// heldMessage tells a user held by another session when they may try
// again ("" for other errors).
func heldMessage(err error) string {
	var held *account.HeldError
	switch {
	case !errors.As(err, &held):
		return ""
	case held.Open:
		return "another session of this user is open: log out of it first"
	}
	return "another session of this user ended without a logout: try again after " + held.Until.UTC().Format("15:04:05") + " UTC (" +
		held.Until.UTC().Format(time.RFC3339) + ")"
}

// minutes says a duration in words.
func minutes(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
	return d.String()
}

// finishLogin takes the user's session lease and completes the login.
func (p peer) finishLogin(ctx context.Context, st *state, typ string) reply {
	if !st.user.admin {
		if err := p.h.acct.TakeSession(ctx, p.origin(), st.grant, p.holder); err != nil {
			return closing(wire.Response{Type: typ, Result: p.result(err), Message: heldMessage(err)})
		}
	}
	st.stage = stageLoggedIn
	return answer(wire.Response{Type: typ, Result: wire.ResultOK, MustChangePassword: st.user.mustChange})
}

// send2FAToken completes a login that owes a passcode.
func (p peer) send2FAToken(ctx context.Context, st *state, req wire.Request) reply {
	if st.stage != stagePending {
		return answer(wire.Response{Type: wire.TypeSend2FAToken, Result: wire.ResultNotAllowed, Message: "no login is waiting for a passcode"})
	}
	if req.TwoFAToken == "" {
		return answer(wire.Response{Type: wire.TypeSend2FAToken, Result: wire.ResultTokenMissing})
	}
	g, err := p.h.acct.CheckPasscode(ctx, p.origin(), st.grant, req.TwoFAToken)
	if errors.Is(err, account.ErrBusy) {
		// Nothing was checked: the client sends the code again shortly.
		return answer(wire.Response{Type: wire.TypeSend2FAToken, Result: wire.ResultBusy})
	}
	if err != nil {
		st.codeTries++
		result := p.result(err)
		return reply{Response: wire.Response{Type: wire.TypeSend2FAToken, Result: result},
			close: result != wire.ResultInvalidToken || st.codeTries >= p.h.cfg.MaxCodeTries}
	}
	st.grant = g
	return p.finishLogin(ctx, st, wire.TypeSend2FAToken)
}
