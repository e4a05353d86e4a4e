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

func (p peer) enrol(ctx context.Context, st *state, req wire.Request) reply {
	resp := wire.Response{Type: wire.TypeEnrol, UserID: req.UserID}
	switch {
	case st.stage != stageNew || st.attempted:
		resp.Result, resp.Message = wire.ResultNotAllowed, "one login or enrolment per connection"
		return closing(resp)
	case st.key == nil:
		resp.Result, resp.Message = wire.ResultNoChallenge, "send a challenge first"
		return answer(resp)
	case req.UserID == "" || (req.OneSwipe == "" && (req.Pass == "" || req.Passcode == "")):
		resp.Result, resp.Message = wire.ResultMissingField, "userid, and pass and passcode or oneswipe, are required"
		return answer(resp)
	}
	st.attempted = true
	proof := account.EnrolProof{Password: st.secret(req.Pass, req.Enc), Passcode: string(st.secret(req.Passcode, req.Enc))}
	if req.OneSwipe != "" {
		proof = account.EnrolProof{OneSwipe: string(st.secret(req.OneSwipe, req.Enc))}
	}
	en, err := p.h.acct.BeginEnrolment(ctx, p.origin(), req.UserID, proof)
	if err != nil {
		resp.Result = p.result(err)
		return closing(resp)
	}
	st.en = en
	// People type answers: give them time, but not for ever.
	r := reply{proved: en.UserID(), wait: p.h.cfg.EnrolTimeout}
	if en.NeedsAnswers() {
		resp.Result, resp.Questions = wire.ResultQuestions, questionList()
		r.Response = resp
		return r
	}
	r.Response = p.offerSeed(st.en, wire.TypeEnrol)
	return r
}

func questionList() []wire.Question {
	var qs []wire.Question
	for _, q := range account.QuestionList() {
		qs = append(qs, wire.Question{ID: q.ID, Text: q.Text})
	}
	return qs
}

func (p peer) answers(ctx context.Context, st *state, req wire.Request) reply {
	resp := wire.Response{Type: wire.TypeAnswers}
	if st.en == nil || !st.en.NeedsAnswers() {
		resp.Result = wire.ResultNotAllowed
		return answer(resp)
	}
	plain := map[int]string{}
	for _, a := range req.Answers {
		if _, dup := plain[a.ID]; dup {
			resp.Result, resp.Message = wire.ResultBadAnswers, "choose two different questions"
			return answer(resp)
		}
		plain[a.ID] = string(st.secret(a.Answer, req.Enc))
	}
	if err := p.h.acct.SetAnswers(ctx, st.en, plain); err != nil {
		resp.Result, resp.Message = p.result(err), err.Error()
		return reply{Response: resp, close: resp.Result == wire.ResultInternal}
	}
	return answer(p.offerSeed(st.en, wire.TypeAnswers))
}

// offerSeed sends the enrolment's new seed; it becomes the user's token
// only when the client confirms.
func (p peer) offerSeed(en *account.Enrolment, typ string) wire.Response {
	seed := en.Token
	return wire.Response{
		Type: typ, Result: wire.ResultOK, UserID: seed.Account, TwoFASeed: seed.Secret.Base32(),
		Issuer: p.h.cfg.Issuer, Algorithm: string(seed.Algorithm), Digits: seed.Digits, Period: seed.Period,
		Serial: seed.Serial, ServerTime: p.h.cfg.Now().Unix(),
	}
}

func (p peer) confirm(ctx context.Context, st *state, req wire.Request) reply {
	resp := wire.Response{Type: wire.TypeConfirm}
	if st.en == nil || st.en.NeedsAnswers() {
		resp.Result = wire.ResultNotAllowed
		return answer(resp)
	}
	_, err := p.h.acct.CompleteEnrolment(ctx, p.origin(), st.en, req.TwoFAToken)
	switch {
	case err == nil:
		resp.Result, resp.Serial = wire.ResultOK, st.en.Token.Serial
		if waits := st.en.Waits(); !waits.IsZero() {
			// Set up with what the self-help desk gave (docs/web.md).
			resp.ActiveFrom = waits.Unix()
			resp.Message = "the new token waits for your confirmation through the link e-mailed to you, or takes over on " +
				waits.UTC().Format(time.RFC3339) + "; until then use your temporary passcode or your present token"
		}
		st.en = nil
		return closing(resp)
	case errors.Is(err, account.ErrInvalidCode):
		st.codeTries++
		resp.Result, resp.Message = wire.ResultInvalidToken, "the code does not match the new token: is the PC's clock right?"
		return reply{Response: resp, close: st.codeTries >= p.h.cfg.MaxCodeTries}
	case errors.Is(err, account.ErrSignedOut):
		resp.Result, resp.Message = wire.ResultInvalidToken, "the account changed meanwhile (another enrolment, a reset, or the initial passcode used): enrol again"
		return closing(resp)
	}
	resp.Result = p.result(err)
	return closing(resp)
}
