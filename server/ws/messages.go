package ws

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/softtoken/softtoken/server/auth"
	"github.com/softtoken/softtoken/server/challenge"
	"github.com/softtoken/softtoken/server/sms"
	"github.com/softtoken/softtoken/server/store"
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
	if c.stage == stagePending && req.Type != wire.TypeSend2FAToken && req.Type != wire.TypeLogout {
		return wire.Response{Type: req.Type, Result: wire.ResultNeed2FA}, false
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
		c.loggedOut = true
		if c.stage == stageLoggedIn {
			// Free the session before replying, so that a client that logs
			// in again right after the reply is not refused.
			c.h.sessions.release(c.user.ID, c.id, true, c.h.cfg.Now())
		}
		c.audit(ctx, c.user.UserID, "logout", wire.ResultOK)
		return wire.Response{Type: wire.TypeLogout, Result: wire.ResultOK}, true
	}
	return wire.Response{Type: req.Type, Result: wire.ResultUnknownType}, false
}

func (c *conn) challenge() (wire.Response, bool) {
	if !c.h.chals.Allow(c.addr, c.h.cfg.Now()) {
		return wire.Response{Type: wire.TypeChallenge, Result: wire.ResultRateLimited}, true
	}
	c.key = c.h.keys.Current()
	return wire.Response{Type: wire.TypeChallenge, Result: wire.ResultOK, Key: c.key.Public}, false
}

// decrypt opens a password field with the scheme the message names.
func (c *conn) decrypt(field, enc string) ([]byte, bool) {
	pw, err := c.key.Decrypt(field, challenge.Scheme(enc))
	if err != nil {
		return nil, false
	}
	return pw, true
}

func (c *conn) login(ctx context.Context, req wire.Request) (wire.Response, bool) {
	fail := func(result string) (wire.Response, bool) {
		c.audit(ctx, req.UserID, "login", result)
		return wire.Response{Type: wire.TypeLogin, Result: result}, true
	}
	switch {
	case c.stage != stageNew || c.attempted:
		return wire.Response{Type: wire.TypeLogin, Result: wire.ResultNotAllowed, Message: "one login per connection"}, true
	case c.key == nil:
		return wire.Response{Type: wire.TypeLogin, Result: wire.ResultNoChallenge, Message: "send a challenge first"}, false
	case req.UserID == "" || req.Pass == "":
		return wire.Response{Type: wire.TypeLogin, Result: wire.ResultMissingField, Message: "userid and pass are required"}, false
	}
	c.attempted = true
	u, err := c.checkPassword(ctx, req.UserID, req.Pass, req.Enc)
	if err != nil {
		return fail(c.result(err))
	}
	c.user = u
	if u.Use2FA {
		if req.TwoFAToken == "" {
			c.stage = stagePending
			c.audit(ctx, u.UserID, "login", wire.ResultNeed2FA)
			msg := "send the passcode with send2fatoken"
			if u.SMS {
				msg = c.sendSMS(ctx, u)
			}
			return wire.Response{Type: wire.TypeLogin, Result: wire.ResultNeed2FA, Message: msg}, false
		}
		if err := c.h.auth.CheckCode(ctx, u, req.TwoFAToken); err != nil {
			return fail(c.result(err))
		}
	}
	return c.finishLogin(ctx, wire.TypeLogin)
}

// sendSMS sends an SMS user a login passcode and says so, or says why not.
func (c *conn) sendSMS(ctx context.Context, u store.User) string {
	err := c.h.auth.SendSMSCode(ctx, u, store.SMSLogin, u.Phone, c.h.cfg.SMS, c.addr)
	switch {
	case err == nil:
		return "a passcode was sent by SMS to " + sms.Mask(u.Phone) + ": send it with send2fatoken"
	case errors.Is(err, auth.ErrSMSOff):
		return "passcodes by SMS are switched off: send a temporary passcode from the self-help desk with send2fatoken"
	case errors.Is(err, auth.ErrSMSTooMany):
		return "too many text messages in a short time: wait a few minutes, or use a temporary passcode from the self-help desk"
	}
	c.h.cfg.Logger.Error("send SMS passcode", "userid", u.UserID, "err", err)
	return "the SMS could not be sent: try again in a minute, or use a temporary passcode from the self-help desk"
}

// finishLogin takes the user's session lease and completes the login.
func (c *conn) finishLogin(ctx context.Context, typ string) (wire.Response, bool) {
	if !c.user.IsAdmin && !c.h.sessions.acquire(c.user.ID, c.id, c.h.cfg.Now()) {
		c.audit(ctx, c.user.UserID, typ, wire.ResultAlreadyLoggedIn)
		return wire.Response{Type: typ, Result: wire.ResultAlreadyLoggedIn, Message: "log out of the other session, or wait for it to expire"}, true
	}
	c.loggedIn()
	c.audit(ctx, c.user.UserID, typ, wire.ResultOK)
	return wire.Response{Type: typ, Result: wire.ResultOK, MustChangePassword: c.user.MustChangePassword}, false
}

func (c *conn) send2FAToken(ctx context.Context, req wire.Request) (wire.Response, bool) {
	if c.stage != stagePending {
		return wire.Response{Type: wire.TypeSend2FAToken, Result: wire.ResultNotAllowed, Message: "no login is waiting for a passcode"}, false
	}
	if req.TwoFAToken == "" {
		return wire.Response{Type: wire.TypeSend2FAToken, Result: wire.ResultTokenMissing}, false
	}
	if err := c.h.auth.CheckCode(ctx, c.user, req.TwoFAToken); err != nil {
		c.codeTries++
		result := c.result(err)
		c.audit(ctx, c.user.UserID, "send2fatoken", result)
		return wire.Response{Type: wire.TypeSend2FAToken, Result: result}, result == wire.ResultLocked || c.codeTries >= c.h.cfg.MaxCodeTries
	}
	return c.finishLogin(ctx, wire.TypeSend2FAToken)
}

func (c *conn) verifyLogin(ctx context.Context, req wire.Request) wire.Response {
	resp := wire.Response{Type: wire.TypeVerifyLogin, UserID: req.UserID}
	switch {
	case c.stage != stageLoggedIn || !c.user.IsAdmin:
		resp.Result = wire.ResultNotAllowed
		return resp
	case req.UserID == "" || req.Pass == "":
		resp.Result = wire.ResultMissingField
		return resp
	}
	u, err := c.checkPassword(ctx, req.UserID, req.Pass, req.Enc)
	level := 0
	switch {
	case errors.Is(err, auth.ErrDisabled):
		// Right password, disabled account: the web back-end learns it is inactive.
		resp.Result, resp.Active, resp.Attr = wire.ResultOK, "N", u.Attr
		resp.VerifyLevel = &level
		c.audit(ctx, req.UserID, "verifylogin", "OK inactive")
		return resp
	case err != nil:
		resp.Result = c.result(err)
		c.audit(ctx, req.UserID, "verifylogin", resp.Result)
		return resp
	}
	if u.Use2FA {
		if req.TwoFAToken == "" {
			resp.Result = wire.ResultTokenMissing
			c.audit(ctx, u.UserID, "verifylogin", resp.Result)
			return resp
		}
		if err := c.h.auth.CheckCode(ctx, u, req.TwoFAToken); err != nil {
			resp.Result = c.result(err)
			c.audit(ctx, u.UserID, "verifylogin", resp.Result)
			return resp
		}
		level = 1
	}
	resp.Result, resp.Active, resp.UserID, resp.Attr = wire.ResultOK, "Y", u.UserID, attrOrEmpty(u.Attr)
	resp.VerifyLevel, resp.MustChangePassword = &level, u.MustChangePassword
	c.audit(ctx, u.UserID, "verifylogin", wire.ResultOK)
	return resp
}

func attrOrEmpty(a json.RawMessage) json.RawMessage {
	if len(a) == 0 {
		return json.RawMessage(`{}`)
	}
	return a
}

// checkPassword decrypts the pass field and checks it; whatever fails, the
// caller sees an error from package auth.
func (c *conn) checkPassword(ctx context.Context, userID, field, enc string) (store.User, error) {
	if c.key == nil {
		return store.User{}, errNoChallenge
	}
	pw, ok := c.decrypt(field, enc)
	if !ok {
		// Same answer, same cost as a wrong password: no padding oracle.
		_, _ = c.h.auth.CheckPassword(ctx, "\x00no such user", nil)
		return store.User{}, auth.ErrInvalidLogin
	}
	return c.h.auth.CheckPassword(ctx, userID, pw)
}

var errNoChallenge = errors.New(wire.ResultNoChallenge)

// result is the protocol result for an error; unexpected errors are logged
// in full and reach the client only as "internal error".
func (c *conn) result(err error) string {
	for _, known := range []error{auth.ErrInvalidLogin, auth.ErrInvalidToken, auth.ErrLocked, auth.ErrDisabled, auth.ErrPasscodeExpired, auth.ErrCodeUsed, errNoChallenge} {
		if errors.Is(err, known) {
			return known.Error()
		}
	}
	c.h.cfg.Logger.Error("request failed", "client", c.addr, "err", err)
	return wire.ResultInternal
}

func (c *conn) audit(ctx context.Context, userID, event, outcome string) {
	c.h.cfg.Logger.Info(event, "userid", userID, "client", c.addr, "result", outcome)
	if err := c.h.st.Audit(ctx, store.AuditEvent{At: c.h.cfg.Now(), UserID: userID, Client: c.addr, Event: event, Outcome: outcome}); err != nil {
		c.h.cfg.Logger.Error("audit failed", "event", event, "err", err)
	}
}
