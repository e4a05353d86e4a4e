package ws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"

	"github.com/softtoken/softtoken/server/auth"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token"
)

// Enrolment runs on a socket of its own, in three steps (docs/protocol.md):
//
//	enrol    userid, pass, passcode   → questions required | OK with the new seed (pending)
//	answers  two security answers     → OK with the new seed (pending)
//	confirm  a code of the new seed   → OK: the token is active, the old one dead
//
// Nothing changes on the server until confirm: a client that fails to
// store the seed, or vanishes, leaves the user's previous token working.

type enrolState struct {
	stage   enrolStage
	user    store.User
	proof   auth.Proof
	answers []store.SecurityAnswer
	seed    token.Token
	sealed  store.Token
}

type enrolStage int

const (
	enrolNone enrolStage = iota
	enrolQuestions
	enrolPending
)

func (c *conn) enrol(ctx context.Context, req wire.Request) (wire.Response, bool) {
	resp := wire.Response{Type: wire.TypeEnrol, UserID: req.UserID}
	fail := func(result string) (wire.Response, bool) {
		c.audit(ctx, req.UserID, "enrol", result)
		resp.Result = result
		return resp, true
	}
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
	var u store.User
	var proof auth.Proof
	var err error
	if req.OneSwipe != "" {
		code, ok := c.decrypt(req.OneSwipe, req.Enc)
		if !ok {
			return fail(wire.ResultInvalidToken)
		}
		u, err = c.h.auth.UseEnrolCode(ctx, req.UserID, string(code))
		proof = auth.ProofOneSwipe
	} else {
		u, err = c.checkPassword(ctx, req.UserID, req.Pass, req.Enc)
		if err != nil {
			return fail(c.result(err))
		}
		code, ok := c.decrypt(req.Passcode, req.Enc)
		if !ok {
			return fail(wire.ResultInvalidToken)
		}
		proof, err = c.h.auth.CheckEnrolPasscode(ctx, u, string(code))
	}
	if err != nil {
		return fail(c.result(err))
	}
	c.en = enrolState{user: u, proof: proof}
	// People type answers: give them time, but not for ever.
	_ = c.ws.SetReadDeadline(c.h.cfg.Now().Add(c.h.cfg.EnrolTimeout))
	have, err := c.h.st.SecurityAnswers(ctx, u.ID)
	if err != nil {
		return fail(c.result(err))
	}
	if len(have) < auth.RequiredAnswers {
		c.en.stage = enrolQuestions
		c.audit(ctx, u.UserID, "enrol", wire.ResultQuestions)
		resp.Result, resp.Questions = wire.ResultQuestions, questionList()
		return resp, false
	}
	return c.offerSeed(ctx, wire.TypeEnrol)
}

func questionList() []wire.Question {
	var qs []wire.Question
	for id, text := range auth.Questions {
		if text != "" {
			qs = append(qs, wire.Question{ID: id, Text: text})
		}
	}
	sort.Slice(qs, func(i, j int) bool { return qs[i].ID < qs[j].ID })
	return qs
}

func (c *conn) answers(ctx context.Context, req wire.Request) (wire.Response, bool) {
	resp := wire.Response{Type: wire.TypeAnswers}
	if c.en.stage != enrolQuestions {
		resp.Result = wire.ResultNotAllowed
		return resp, false
	}
	plain := map[int]string{}
	for _, a := range req.Answers {
		text, ok := c.decrypt(a.Answer, req.Enc)
		if !ok {
			resp.Result, resp.Message = wire.ResultMalformed, "an answer does not decrypt with this connection's challenge key"
			return resp, false
		}
		if _, dup := plain[a.ID]; dup {
			resp.Result, resp.Message = wire.ResultBadAnswers, "choose two different questions"
			return resp, false
		}
		plain[a.ID] = string(text)
	}
	hashed, err := c.h.auth.HashAnswers(plain)
	if errors.Is(err, auth.ErrBadAnswers) {
		resp.Result, resp.Message = wire.ResultBadAnswers, err.Error()
		c.audit(ctx, c.en.user.UserID, "enrol answers", resp.Result)
		return resp, false
	}
	if err != nil {
		resp.Result = c.result(err)
		return resp, false
	}
	c.en.answers = hashed
	c.audit(ctx, c.en.user.UserID, "enrol answers", wire.ResultOK)
	return c.offerSeed(ctx, wire.TypeAnswers)
}

// offerSeed makes the new seed and sends it; it becomes the user's token
// only when the client confirms.
func (c *conn) offerSeed(ctx context.Context, typ string) (wire.Response, bool) {
	seed, sealed, err := c.h.auth.PendingSeed(c.en.user)
	if err != nil {
		return wire.Response{Type: typ, Result: c.result(err)}, true
	}
	c.en.stage, c.en.seed, c.en.sealed = enrolPending, seed, sealed
	return wire.Response{
		Type: typ, Result: wire.ResultOK, UserID: c.en.user.UserID, TwoFASeed: seed.Secret.Base32(),
		Issuer: c.host, Algorithm: string(seed.Algorithm), Digits: seed.Digits, Period: seed.Period,
		Serial: seed.Serial, ServerTime: c.h.cfg.Now().Unix(),
	}, false
}

func (c *conn) confirm(ctx context.Context, req wire.Request) (wire.Response, bool) {
	resp := wire.Response{Type: wire.TypeConfirm}
	if c.en.stage != enrolPending {
		resp.Result = wire.ResultNotAllowed
		return resp, false
	}
	u := c.en.user
	step, err := c.h.auth.ConfirmSeed(c.en.seed, req.TwoFAToken)
	if err != nil {
		c.codeTries++
		resp.Result, resp.Message = wire.ResultInvalidToken, "the code does not match the new token: is the PC's clock right?"
		c.audit(ctx, u.UserID, "enrol confirm", resp.Result)
		return resp, c.codeTries >= c.h.cfg.MaxCodeTries
	}
	c.en.sealed.LastStep = step
	err = c.h.st.CompleteEnrolment(ctx, u.ID, c.en.sealed, c.en.proof == auth.ProofInitial)
	if errors.Is(err, store.ErrAlreadyUsed) {
		resp.Result, resp.Message = wire.ResultInvalidToken, "the initial passcode has been used meanwhile"
		c.audit(ctx, u.UserID, "enrol confirm", resp.Result)
		return resp, true
	}
	if err == nil && len(c.en.answers) > 0 {
		err = c.h.st.SetSecurityAnswers(ctx, u.ID, c.en.answers)
	}
	if err != nil {
		resp.Result = c.result(err)
		return resp, true
	}
	proof := map[auth.Proof]string{auth.ProofInitial: "initial passcode", auth.ProofToken: "previous token", auth.ProofTemporary: "temporary passcode", auth.ProofOneSwipe: "One Swipe code"}[c.en.proof]
	serial := c.en.seed.Serial
	c.h.cfg.Logger.Info("enrolled", "userid", u.UserID, "client", c.addr, "serial", serial, "proof", proof)
	if err := c.h.st.Audit(ctx, store.AuditEvent{At: c.h.cfg.Now(), UserID: u.UserID, Client: c.addr, Event: "enrol", Outcome: wire.ResultOK,
		Detail: fmt.Sprintf("token %s, proved with the %s", c.en.seed.Serial, proof)}); err != nil {
		c.h.cfg.Logger.Error("audit failed", "event", "enrol", "err", err)
	}
	resp.Result, resp.Serial = wire.ResultOK, c.en.seed.Serial
	c.en = enrolState{}
	return resp, true
}

// hostOf is the host name clients reached the server by, without port:
// the issuer of enrolled tokens.
func hostOf(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}
