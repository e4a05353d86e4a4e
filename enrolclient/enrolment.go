package enrolclient

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token"
)

// Question is a security question the server offers. The user chooses two
// and answers them; the self-help desk asks one of them later, before it
// issues a temporary passcode.
type Question struct {
	ID   int
	Text string
}

// Enrolment is an enrolment under way, from [Client.Begin]: the user is
// proved, and the server either offered the new token already or waits
// for answers to [Enrolment.Questions]. Nothing is stored before
// [Enrolment.Confirm].
//
// The steps (Questions, Answer, Confirm) run one at a time, each to its
// end before the next; Close may come from any goroutine, also during a
// step, which it then ends with KindCancelled (Confirm excepted: see
// [Enrolment.Close]).
type Enrolment struct {
	c        *Client
	s        *session
	enrolURL string
	userID   string

	// Written by the steps only.
	questions []Question
	offer     token.Token   // the offered token, from stageOffered on
	skew      time.Duration // the server's clock minus this PC's, at the offer

	mu    sync.Mutex // guards stage: Close may run during a step
	stage stage
}

// stage is where an Enrolment stands.
type stage int

const (
	stageAsking     stage = iota // the server waits for security answers
	stageOffered                 // the server offered the new token: Confirm stores it
	stageConfirming              // Confirm runs: Close must not cut it short
	stageOver                    // confirmed, or failed: the socket is closed
	stageClosed                  // abandoned by Close: the socket is closed
)

// Begin connects to the server at p.URL and proves the user with p's
// password and passcode, or One Swipe code. The returned Enrolment either
// holds the offered token or asks questions; the caller must Close it (a
// deferred Close after Confirm does nothing). Begin checks the input and
// that the store has room before any network step; ctx bounds the steps
// Begin takes, not the Enrolment's life.
func (c *Client) Begin(ctx context.Context, p Params) (*Enrolment, error) {
	enrolURL, wsURL, err := URLs(p.URL)
	if err != nil {
		return nil, err
	}
	if err := checkInput(p); err != nil {
		return nil, err
	}
	if err := c.checkRoom(enrolURL, p.UserID); err != nil {
		return nil, err
	}
	s, err := c.dial(ctx, wsURL)
	if err != nil {
		return nil, err
	}
	e := &Enrolment{c: c, s: s, enrolURL: enrolURL, userID: strings.TrimSpace(p.UserID)}
	resp, err := s.prove(ctx, p)
	if err == nil {
		e.stage, err = e.receive(resp)
	}
	if err != nil {
		s.conn.Close()
		return nil, err
	}
	return e, nil
}

// checkRoom fails when the store holds six tokens, none of them this
// account's (which a re-enrolment replaces).
func (c *Client) checkRoom(enrolURL, userID string) error {
	entries, err := c.Store.List()
	if err != nil {
		return err
	}
	if _, replacing := findAccount(entries, enrolURL, userID); len(entries) >= token.MaxTokens && !replacing {
		return errFull()
	}
	return nil
}

func errFull() error { return newErr(KindFull, "", token.ErrFull.Error(), token.ErrFull) }

// receive takes the server's reply to the proof or to the answers:
// questions to ask, the offered token, or a refusal. It returns the stage
// the reply leads to.
func (e *Enrolment) receive(resp wire.Response) (stage, error) {
	switch resp.Result {
	case wire.ResultQuestions:
		if len(resp.Questions) == 0 {
			return stageOver, newErr(KindServer, "", "the enrolment server asked for security questions but sent none: contact your administrator", nil)
		}
		e.questions = make([]Question, len(resp.Questions))
		for i, q := range resp.Questions {
			e.questions[i] = Question{ID: q.ID, Text: q.Text}
		}
		sort.Slice(e.questions, func(i, j int) bool { return e.questions[i].ID < e.questions[j].ID })
		return stageAsking, nil
	case wire.ResultOK:
		tok, err := tokenFrom(resp, e.enrolURL, e.userID)
		if err != nil {
			return stageOver, err
		}
		e.offer, e.questions = tok, nil
		e.skew = time.Unix(resp.ServerTime, 0).Sub(e.c.now())
		return stageOffered, nil
	case wire.ResultBadAnswers:
		return stageAsking, badAnswers(resp.Message)
	}
	return stageOver, resultErr(resp.Result, resp.Message)
}

// Questions are the security questions to choose two of, by ID, or nil
// when the server needs none (it has the user's answers already, or
// accepted them).
func (e *Enrolment) Questions() []Question {
	if e.questions == nil {
		return nil
	}
	return append([]Question(nil), e.questions...)
}

// Answer sends the chosen question IDs with their answers. A refusal is an
// [*Error] of KindBadAnswers with the server's reason: the same Enrolment
// may then be answered again, for as long as the server waits (its
// enrolment timeout, 5 minutes from Begin by default). On success Questions becomes nil and Confirm may
// follow. Cancelling ctx, or Close, ends the Enrolment.
func (e *Enrolment) Answer(ctx context.Context, answers map[int]string) error {
	if err := e.start(stageAsking, stageAsking); err != nil {
		return err
	}
	resp, err := e.s.answer(ctx, answers)
	next := stageOver
	if err == nil {
		next, err = e.receive(resp)
	}
	return e.settle(next, err)
}

// Confirm stores the offered token and confirms it with a code of it; only
// then does the server make it the user's token and the previous one dead.
// If the server refuses, the stored token is removed again (or the token
// it replaced put back), so the store holds what it held before. If the
// server does not answer, the token stays and the error says so: the
// server may have switched to it.
//
// Confirm checks ctx before it stores anything; from then on neither ctx
// nor Close interrupts it, since the server's answer decides whether the
// token stays.
// Confirm ends the Enrolment, whatever its outcome.
func (e *Enrolment) Confirm(ctx context.Context) (Result, error) {
	if err := e.start(stageOffered, stageConfirming); err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, e.settle(stageOver, errCancelled(err))
	}
	res, err := e.storeAndConfirm()
	return res, e.settle(stageOver, err)
}

// Close abandons the Enrolment: it closes the socket, and nothing is
// stored; the server keeps the user's previous token. A step running in
// another goroutine ends with KindCancelled, except Confirm, which Close
// leaves to finish. Close may be called more than once.
func (e *Enrolment) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stage == stageConfirming || e.stage == stageOver {
		return
	}
	e.stage = stageClosed
	e.s.conn.Close()
}

// start begins a step that needs the Enrolment at stage want, and moves it
// to stage during.
func (e *Enrolment) start(want, during stage) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch e.stage {
	case want:
		e.stage = during
		return nil
	case stageClosed:
		return errCancelled(nil)
	case stageOver:
		return newErr(KindServer, "", "this enrolment has ended: start again", nil)
	case stageAsking: // Confirm before the answers
		return newErr(KindQuestions, "answers", "the server asks you to choose two security questions first", nil)
	}
	return newErr(KindServer, "answers", "the server asked no security questions", nil)
}

// settle ends a step: the Enrolment moves to stage next, unless Close came
// first; stageOver closes the socket. It returns err, or the cancellation.
func (e *Enrolment) settle(next stage, err error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stage == stageClosed {
		return errCancelled(err)
	}
	e.stage = next
	if next == stageOver {
		e.s.conn.Close()
	}
	return err
}

// storeAndConfirm is Confirm's work. With six tokens there is no slot for
// the new one beside the old: it goes into the old one's slot before the
// confirmation (and the old one back if the server refuses).
func (e *Enrolment) storeAndConfirm() (Result, error) {
	st := e.c.Store
	entries, err := st.List()
	if err != nil {
		return Result{}, err
	}
	old, replacing := findAccount(entries, e.enrolURL, e.userID)
	inPlace := len(entries) >= token.MaxTokens
	if inPlace && !replacing {
		return Result{}, errFull()
	}
	tok := e.offer
	tok.Label = uniqueLabel(entries, tok.Label)
	var entry token.Entry
	if inPlace {
		entry, err = st.Replace(old.ID, tok)
	} else {
		entry, err = st.Add(tok)
	}
	if err != nil {
		return Result{}, fmt.Errorf("store the new token: %w", err)
	}
	waits, err := e.confirm(tok)
	if err != nil {
		return Result{}, e.unstore(err, entry, old, inPlace)
	}
	res := Result{Entry: entry, ClockSkew: e.skew, Replaced: replacing, Waits: waits}
	switch {
	case replacing && !inPlace && !waits.IsZero():
		res.Replaced = false // the old token works until the new one takes over: it stays
	case replacing && !inPlace:
		res = e.takeSlot(res, old)
	}
	return res, nil
}

// confirm sends a code of the new token, and returns when it takes over
// if it waits (see Result.Waits). The code is computed at the
// server's time, so a wrong PC clock does not stop the enrolment; the
// caller warns about it instead.
func (e *Enrolment) confirm(tok token.Token) (time.Time, error) {
	code, err := tok.Code(e.c.now().Add(e.skew))
	if err != nil {
		return time.Time{}, fmt.Errorf("compute a code of the new token: %w", err)
	}
	return e.s.confirm(code)
}

// unstore handles a failed confirmation of entry, stored in place of old
// when inPlace, and returns the error to report.
func (e *Enrolment) unstore(err error, entry, old token.Entry, inPlace bool) error {
	if k := KindOf(err); k == KindTimeout || k == KindUnreachable {
		// No answer: the server may or may not have switched. Keep the
		// token, which is right if it did, and say so.
		return newErr(k, "", fmt.Sprintf("the server did not confirm the new token %q: if its passcodes are refused, delete it and enrol again", entry.Token.Label), err)
	}
	// The server refused the new token: do not keep it.
	var derr error
	if inPlace {
		_, derr = e.c.Store.Replace(old.ID, old.Token)
	} else {
		derr = e.c.Store.Delete(entry.ID)
	}
	if derr != nil {
		return fmt.Errorf("%w (and the unconfirmed token could not be removed: delete %q and enrol again)", err, entry.Token.Label)
	}
	return err
}

// takeSlot finishes a re-enrolment: the old token of this account is dead
// now, so the new one takes its slot and name, and its own entry goes.
func (e *Enrolment) takeSlot(res Result, old token.Entry) Result {
	st := e.c.Store
	if moved, err := st.Replace(old.ID, res.Entry.Token); err == nil {
		if err := st.Delete(res.Entry.ID); err == nil {
			res.Entry = moved
		}
	} else if err := st.Delete(old.ID); err != nil {
		res.Replaced = false
	}
	return res
}

// Questioner answers the server's security questions for [Client.Enrol]:
// it returns the chosen question IDs with their answers. problem is "" the
// first time, and the refusal of the previous answers after that. Code
// that asks a person uses the steps instead.
type Questioner func(ctx context.Context, questions []Question, problem string) (map[int]string, error)

// maxAnswerTries is how often Enrol asks its Questioner before it gives up
// on refused answers.
const maxAnswerTries = 3

// Enrol is the whole enrolment in one call, for programs with nobody to
// ask: Begin, the answers from p.Answer (up to three tries), Confirm. With
// questions and no p.Answer it fails with KindQuestions.
func (c *Client) Enrol(ctx context.Context, p Params) (Result, error) {
	e, err := c.Begin(ctx, p)
	if err != nil {
		return Result{}, err
	}
	defer e.Close()
	problem := ""
	for tries := 1; p.Answer != nil && e.Questions() != nil; tries++ {
		answers, err := p.Answer(ctx, e.Questions(), problem)
		if err != nil {
			if ctx.Err() != nil {
				return Result{}, errCancelled(err)
			}
			return Result{}, fmt.Errorf("answer the security questions: %w", err)
		}
		if err := e.Answer(ctx, answers); err != nil {
			if KindOf(err) != KindBadAnswers || tries == maxAnswerTries {
				return Result{}, err
			}
			problem = err.Error()
		}
	}
	return e.Confirm(ctx)
}
