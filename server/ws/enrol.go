package ws

import (
	"context"
	"errors"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/wire"
)

// Enrolment runs on a socket of its own, in three steps (docs/protocol.md):
//
//	enrol    userid, pass, passcode   → questions required | OK with the new seed (pending)
//	answers  two security answers     → OK with the new seed (pending)
//	confirm  a code of the new seed   → OK: the token is active, the old one dead
//
// Nothing changes on the server until confirm: a client that fails to
// store the seed, or vanishes, leaves the user's previous token working.

func (c *conn) enrol(ctx context.Context, req wire.Request) (wire.Response, bool) {
	resp := wire.Response{Type: wire.TypeEnrol, UserID: req.UserID}
	switch {
	case c.stage != stageNew || c.attempted:
		resp.Result, resp.Message = wire.ResultNotAllowed, "one login or enrolment per connection"
		return resp, true
	case c.key == nil:
		resp.Result, resp.Message = wire.ResultNoChallenge, "send a challenge first"
		return resp, false
	case req.UserID == "" || (req.OneSwipe == "" && (req.Pass == "" || req.Passcode == "")):
		resp.Result, resp.Message = wire.ResultMissingField, "userid, and pass and passcode or oneswipe, are required"
		return resp, false
	}
	c.attempted = true
	g, err := c.prove(ctx, req)
	if err == nil {
		c.en, err = c.h.acct.NewEnrolment(ctx, g)
	}
	var need bool
	if err == nil {
		need, err = c.h.acct.NeedsAnswers(ctx, g)
	}
	if err != nil {
		resp.Result = c.result(err)
		return resp, true
	}
	c.proved(g.UserID)
	// People type answers: give them time, but not for ever.
	_ = c.ws.SetReadDeadline(time.Now().Add(c.h.cfg.EnrolTimeout))
	if need {
		c.questions = true
		resp.Result, resp.Questions = wire.ResultQuestions, questionList()
		return resp, false
	}
	return c.offerSeed(wire.TypeEnrol), false
}

// prove checks what an enrol message proves: a One Swipe code, or the
// password and a passcode.
func (c *conn) prove(ctx context.Context, req wire.Request) (account.Grant, error) {
	if req.OneSwipe != "" {
		return c.h.acct.UseEnrolCode(ctx, c.origin(), req.UserID, string(c.secret(req.OneSwipe, req.Enc)))
	}
	g, _, err := c.h.acct.CheckPassword(ctx, c.origin(), req.UserID, c.secret(req.Pass, req.Enc))
	if err != nil {
		return account.Grant{}, err
	}
	return c.h.acct.CheckEnrolPasscode(ctx, c.origin(), g, string(c.secret(req.Passcode, req.Enc)))
}

func questionList() []wire.Question {
	var qs []wire.Question
	for _, q := range account.QuestionList() {
		qs = append(qs, wire.Question{ID: q.ID, Text: q.Text})
	}
	return qs
}

func (c *conn) answers(ctx context.Context, req wire.Request) (wire.Response, bool) {
	resp := wire.Response{Type: wire.TypeAnswers}
	if c.en == nil || !c.questions {
		resp.Result = wire.ResultNotAllowed
		return resp, false
	}
	plain := map[int]string{}
	for _, a := range req.Answers {
		if _, dup := plain[a.ID]; dup {
			resp.Result, resp.Message = wire.ResultBadAnswers, "choose two different questions"
			return resp, false
		}
		plain[a.ID] = string(c.secret(a.Answer, req.Enc))
	}
	if err := c.h.acct.SetAnswers(ctx, c.en, plain); err != nil {
		resp.Result, resp.Message = c.result(err), err.Error()
		return resp, resp.Result == wire.ResultInternal
	}
	c.questions = false
	return c.offerSeed(wire.TypeAnswers), false
}

// offerSeed sends the enrolment's new seed; it becomes the user's token
// only when the client confirms.
func (c *conn) offerSeed(typ string) wire.Response {
	seed := c.en.Token
	return wire.Response{
		Type: typ, Result: wire.ResultOK, UserID: seed.Account, TwoFASeed: seed.Secret.Base32(),
		Issuer: c.h.cfg.Issuer, Algorithm: string(seed.Algorithm), Digits: seed.Digits, Period: seed.Period,
		Serial: seed.Serial, ServerTime: c.h.cfg.Now().Unix(),
	}
}

func (c *conn) confirm(ctx context.Context, req wire.Request) (wire.Response, bool) {
	resp := wire.Response{Type: wire.TypeConfirm}
	if c.en == nil || c.questions {
		resp.Result = wire.ResultNotAllowed
		return resp, false
	}
	_, err := c.h.acct.CompleteEnrolment(ctx, c.origin(), c.en, req.TwoFAToken)
	switch {
	case err == nil:
		resp.Result, resp.Serial = wire.ResultOK, c.en.Token.Serial
		if waits := c.en.Waits(); !waits.IsZero() {
			// Set up with what the self-help desk gave (docs/web.md).
			resp.ActiveFrom = waits.Unix()
			resp.Message = "the new token waits for your confirmation through the link e-mailed to you, or takes over on " +
				waits.UTC().Format(time.RFC3339) + "; until then use your temporary passcode or your present token"
		}
		c.en = nil
		return resp, true
	case errors.Is(err, account.ErrInvalidCode):
		c.codeTries++
		resp.Result, resp.Message = wire.ResultInvalidToken, "the code does not match the new token: is the PC's clock right?"
		return resp, c.codeTries >= c.h.cfg.MaxCodeTries
	case errors.Is(err, account.ErrSignedOut):
		resp.Result, resp.Message = wire.ResultInvalidToken, "the account changed meanwhile (another enrolment, a reset, or the initial passcode used): enrol again"
		return resp, true
	}
	resp.Result = c.result(err)
	return resp, true
}
