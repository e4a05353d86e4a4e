package ws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/challenge"
	"github.com/softtoken/softtoken/server/wire"
)

// handle answers one message; closeAfter says the socket must close after
// the reply (a failed login, a logout, a rate limit).
func (c *conn) handle(ctx context.Context, data []byte) (resp wire.Response, closeAfter bool) {
	req, err := wire.Decode(data)
	switch {
	case errors.Is(err, wire.ErrUnknownType):
		return wire.Response{Type: req.Type, Result: wire.ResultUnknownType}, false
	case errors.Is(err, wire.ErrTooBig):
		return wire.Response{Type: wire.TypeError, Result: wire.ResultTooBig}, true
	case err != nil:
		return wire.Response{Type: wire.TypeError, Result: wire.ResultMalformed, Message: err.Error()}, false
	}
	if _, err := challenge.ParseScheme(req.Enc); err != nil {
		// The client's own choice: it tells nothing of any ciphertext.
		return wire.Response{Type: req.Type, Result: wire.ResultMalformed,
			Message: `unknown enc: "oaep-sha256", or none for PKCS#1 v1.5`}, false
	}
	if c.stage == stagePending && req.Type != wire.TypeSend2FAToken && req.Type != wire.TypeLogout {
		return wire.Response{Type: req.Type, Result: wire.ResultNeed2FA}, false
	}
	if c.stage == stageLoggedIn && c.grant.MustChangePassword() && !c.changesOwnPassword(req) && req.Type != wire.TypeLogout {
		return wire.Response{Type: req.Type, Result: wire.ResultChangePassword,
			Message: "the password was set for you: change it first (adduser with updateprof, pass and newpass)"}, false
	}
	switch req.Type {
	case wire.TypeChallenge:
		return c.challenge()
	case wire.TypeLogin:
		return c.login(ctx, req)
	case wire.TypeSend2FAToken:
		return c.send2FAToken(ctx, req)
	case wire.TypeVerifyLogin:
		return c.verifyLogin(ctx, req), false
	case wire.TypeAddUser:
		return c.addUser(ctx, req), false
	case wire.TypeEnrol:
		return c.enrol(ctx, req)
	case wire.TypeAnswers:
		return c.answers(ctx, req)
	case wire.TypeConfirm:
		return c.confirm(ctx, req)
	case wire.TypeLogout:
		return c.logout(ctx), true
	}
	return wire.Response{Type: req.Type, Result: wire.ResultUnknownType}, false
}

// changesOwnPassword reports a request that changes the sender's own
// password and nothing else: all a user who must change theirs may send.
func (c *conn) changesOwnPassword(req wire.Request) bool {
	own := req.UserID == "" || strings.EqualFold(req.UserID, c.grant.UserID)
	profile := req.Firm != "" || req.Roles != "" || (len(req.Attr) > 0 && string(req.Attr) != "null") || req.Use2FA != ""
	return req.Type == wire.TypeAddUser && req.UpdateProf && !req.ResetPass && own && !profile
}

func (c *conn) logout(ctx context.Context) wire.Response {
	c.loggedOut = true
	if c.stage == stageLoggedIn {
		// Free the session before replying, so that a client that logs
		// in again right after the reply is not refused.
		if err := c.h.acct.EndSession(ctx, c.grant.UserID, c.holder, true); err != nil {
			c.h.cfg.Logger.Error("end session", "userid", c.grant.UserID, "err", err)
		}
		c.h.acct.Record(ctx, c.origin(), c.grant.UserID, "logout", wire.ResultOK, "")
	}
	return wire.Response{Type: wire.TypeLogout, Result: wire.ResultOK}
}

func (c *conn) challenge() (wire.Response, bool) {
	if !c.h.chals.Allow(c.addr, time.Now()) {
		return wire.Response{Type: wire.TypeChallenge, Result: wire.ResultRateLimited}, true
	}
	c.key = c.h.keys.Current()
	return wire.Response{Type: wire.TypeChallenge, Result: wire.ResultOK, Key: c.key.Public}, false
}

// secret opens an encrypted field (pass, newpass, passcode, oneswipe, an
// answer) with the connection's challenge key and the scheme the message
// names, which handle has checked. A field that does not decrypt opens to
// a synthetic value (challenge.Key.Decrypt), which the rules refuse as
// they refuse a wrong one, counted the same, in the same time: the
// answers are no padding oracle. Every message that carries such a field
// is served only after a challenge, so the key is there.
func (c *conn) secret(field, enc string) []byte {
	pt, _ := c.key.Decrypt(field, challenge.Scheme(enc)) // nil, a wrong value, for a scheme handle refused
	return pt
}

func (c *conn) login(ctx context.Context, req wire.Request) (wire.Response, bool) {
	switch {
	case c.stage != stageNew || c.attempted:
		return wire.Response{Type: wire.TypeLogin, Result: wire.ResultNotAllowed, Message: "one login per connection"}, true
	case c.key == nil:
		return wire.Response{Type: wire.TypeLogin, Result: wire.ResultNoChallenge, Message: "send a challenge first"}, false
	case req.UserID == "" || req.Pass == "":
		return wire.Response{Type: wire.TypeLogin, Result: wire.ResultMissingField, Message: "userid and pass are required"}, false
	}
	c.attempted = true
	in, err := c.h.acct.Login(ctx, c.origin(), req.UserID, c.secret(req.Pass, req.Enc), req.TwoFAToken)
	if err != nil {
		return wire.Response{Type: wire.TypeLogin, Result: c.result(err)}, true
	}
	c.grant, c.user = in.Grant, profileOf(in.User)
	if in.NeedPasscode {
		c.stage = stagePending
		c.proved(c.grant.UserID)
		msg := "send the passcode with send2fatoken"
		if in.User.SMS {
			var sent bool
			if msg, sent = c.sendSMS(ctx, c.grant); sent {
				// The text takes time to arrive and be typed: the socket
				// waits longer than a login does, counted from now.
				_ = c.ws.SetReadDeadline(time.Now().Add(c.h.cfg.SMSLoginTimeout))
				msg += ": send it with send2fatoken within " + minutes(c.h.cfg.SMSLoginTimeout)
			} else {
				msg += "; send it with send2fatoken"
			}
		}
		return wire.Response{Type: wire.TypeLogin, Result: wire.ResultNeed2FA, Message: msg}, false
	}
	return c.finishLogin(ctx, wire.TypeLogin)
}

func profileOf(u account.UserView) profile {
	return profile{id: strings.ToLower(u.UserID), admin: u.IsAdmin, mustChange: u.MustChangePassword}
}

// sendSMS sends the SMS user of g a passcode for their login and says so,
// or says why not; sent reports that the text went to the gateway.
func (c *conn) sendSMS(ctx context.Context, g account.Grant) (msg string, sent bool) {
	to, err := c.h.acct.SendLoginCode(ctx, c.origin(), g)
	switch {
	case err == nil:
		return "a passcode was sent by SMS to " + to, true
	case errors.Is(err, account.ErrSMSOff):
		return "passcodes by SMS are switched off: use a temporary passcode from the self-help desk", false
	case errors.Is(err, account.ErrSMSTooMany):
		return "too many text messages in a short time: wait a few minutes, or use a temporary passcode from the self-help desk", false
	}
	c.h.cfg.Logger.Error("send SMS passcode", "userid", g.UserID, "err", err)
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
func (c *conn) finishLogin(ctx context.Context, typ string) (wire.Response, bool) {
	if !c.user.admin {
		if err := c.h.acct.TakeSession(ctx, c.origin(), c.grant, c.holder); err != nil {
			return wire.Response{Type: typ, Result: c.result(err), Message: heldMessage(err)}, true
		}
	}
	c.loggedIn()
	return wire.Response{Type: typ, Result: wire.ResultOK, MustChangePassword: c.user.mustChange}, false
}

func (c *conn) send2FAToken(ctx context.Context, req wire.Request) (wire.Response, bool) {
	if c.stage != stagePending {
		return wire.Response{Type: wire.TypeSend2FAToken, Result: wire.ResultNotAllowed, Message: "no login is waiting for a passcode"}, false
	}
	if req.TwoFAToken == "" {
		return wire.Response{Type: wire.TypeSend2FAToken, Result: wire.ResultTokenMissing}, false
	}
	g, err := c.h.acct.CheckPasscode(ctx, c.origin(), c.grant, req.TwoFAToken)
	if errors.Is(err, account.ErrBusy) {
		// Nothing was checked: the client sends the code again shortly.
		return wire.Response{Type: wire.TypeSend2FAToken, Result: wire.ResultBusy}, false
	}
	if err != nil {
		c.codeTries++
		result := c.result(err)
		return wire.Response{Type: wire.TypeSend2FAToken, Result: result}, result != wire.ResultInvalidToken || c.codeTries >= c.h.cfg.MaxCodeTries
	}
	c.grant = g
	return c.finishLogin(ctx, wire.TypeSend2FAToken)
}

func (c *conn) verifyLogin(ctx context.Context, req wire.Request) wire.Response {
	resp := wire.Response{Type: wire.TypeVerifyLogin, UserID: req.UserID}
	switch {
	case c.stage != stageLoggedIn || !c.user.admin:
		resp.Result = wire.ResultNotAllowed
		return resp
	case req.UserID == "" || req.Pass == "":
		resp.Result = wire.ResultMissingField
		return resp
	}
	in, err := c.h.acct.Verify(ctx, c.origin(), c.grant, req.UserID, c.secret(req.Pass, req.Enc), req.TwoFAToken)
	level := 0
	switch {
	case errors.Is(err, account.ErrDisabled) && in.User.UserID != "":
		// Right password, disabled account: the web back-end learns it is inactive.
		resp.Result, resp.Active, resp.Attr, resp.VerifyLevel = wire.ResultOK, "N", in.User.Attr, &level
		return resp
	case err != nil:
		resp.Result = c.result(err)
		return resp
	case in.NeedPasscode && in.User.SMS:
		// The seed: "verifylogin will generate token afterwards, if no 2fa
		// token is present". The back-end sends verifylogin again with
		// the code the user got.
		msg, _ := c.sendSMS(ctx, in.Grant)
		resp.Result, resp.Message = wire.ResultNeed2FA, msg+"; send verifylogin again with the password and the code"
		return resp
	case in.NeedPasscode:
		resp.Result = wire.ResultTokenMissing
		return resp
	}
	if c.h.cfg.VerifyHoldsSession && !in.User.IsAdmin {
		if err := c.h.acct.HoldUser(ctx, c.origin(), in.Grant, c.holder); err != nil {
			resp.Result, resp.Message = c.result(err), heldMessage(err)
			return resp
		}
	}
	if in.Grant.Proof != account.ProofPassword {
		level = 1
	}
	resp.Result, resp.Active, resp.UserID, resp.Attr = wire.ResultOK, "Y", in.User.UserID, attrOrEmpty(in.User.Attr)
	resp.VerifyLevel, resp.MustChangePassword = &level, in.User.MustChangePassword
	return resp
}

func attrOrEmpty(a json.RawMessage) json.RawMessage {
	if len(a) == 0 {
		return json.RawMessage(`{}`)
	}
	return a
}
