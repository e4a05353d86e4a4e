package account

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/token"
)

// Enrolment is a new token offered to a user who proved themselves: it
// becomes theirs only when CompleteEnrolment gets a code of it, so a
// client that fails to store the seed, or vanishes, leaves the user's
// previous token working.
type Enrolment struct {
	grant Grant
	// Token is the new token, for the client: shown once, never stored in
	// clear.
	Token   token.Token
	sealed  store.Token
	answers []store.SecurityAnswer
	// waits is when the completed token takes over, if it waits.
	waits time.Time
	// questions says the user has yet to choose security questions:
	// SetAnswers comes before CompleteEnrolment.
	questions bool
}

// NewEnrolment offers a fresh 160-bit TOTP seed (SHA1, 6 digits, 30 s) to
// the user of g, which must be live and prove a passcode (a password alone
// never enrols). Nothing is stored.
func (s *Service) NewEnrolment(ctx context.Context, g Grant) (*Enrolment, error) {
	if !g.Proof.passcode() {
		return nil, ErrNotAllowed
	}
	if err := s.st.View(ctx, func(tx store.ReadTx) error { _, err := s.granted(tx, g); return err }); err != nil {
		return nil, err
	}
	tok, sealed, err := s.pendingSeed(store.User{ID: g.id, UserID: g.UserID})
	if err != nil {
		return nil, err
	}
	return &Enrolment{grant: g, Token: tok, sealed: sealed}, nil
}

// SetAnswers gives the enrolment the user's security answers (question ID
// → answer), stored with the token when it completes.
func (s *Service) SetAnswers(ctx context.Context, e *Enrolment, answers map[int]string) error {
	hashed, err := s.hashAnswers(ctx, answers)
	if err != nil {
		return err
	}
	e.answers, e.questions = hashed, false
	return nil
}

// pendingSeed makes a fresh seed for u, sealed for storing.
func (s *Service) pendingSeed(u store.User) (token.Token, store.Token, error) {
	seed := make(token.Secret, 20)
	if _, err := rand.Read(seed); err != nil {
		return token.Token{}, store.Token{}, fmt.Errorf("new seed: %w", err)
	}
	sealed, err := s.sealer.Seal(seed, SeedBinding(u.ID))
	if err != nil {
		return token.Token{}, store.Token{}, err
	}
	serial, err := randomDigits(10)
	if err != nil {
		return token.Token{}, store.Token{}, err
	}
	p := token.DefaultParams()
	st := store.Token{Serial: "ST" + serial, SealedSeed: sealed, Algorithm: string(p.Algorithm), Digits: p.Digits,
		Period: p.Period, LastStep: -1, Created: s.now()}
	return token.Token{Account: u.UserID, Serial: st.Serial, Secret: seed, Params: p}, st, nil
}

// CompleteEnrolment makes the offered token the user's once code shows
// the client holds it (ErrInvalidCode otherwise, which does not count
// towards the lockout: the seed is the client's own). In one transaction:
// the new token replaces any other and SMS passcodes, the answers are
// stored, 2FA is on, failures cleared, the initial passcode spent,
// temporary passcodes, SMS and One Swipe codes revoked, and every other
// grant of the user ended. It refuses (ErrSignedOut) when the user's
// credentials changed since the proof, which includes another enrolment
// completing first, or when the initial passcode it was proved with has
// been used. It returns the user's new grant.
func (s *Service) CompleteEnrolment(ctx context.Context, o Origin, e *Enrolment, code string) (Grant, error) {
	cur, err := token.Step(s.now(), e.Token.Period)
	if err != nil {
		return Grant{}, err
	}
	step, err := s.window(e.Token.Secret, int64(cur), e.Token.Algorithm, e.Token.Digits, strings.ReplaceAll(strings.TrimSpace(code), " ", ""))
	if err != nil {
		return Grant{}, err
	}
	if step < 0 {
		s.Record(ctx, o, e.grant.UserID, "enrol confirm", outcome(ErrInvalidCode), "the code is not one of the new token")
		return Grant{}, ErrInvalidCode
	}
	sealed := e.sealed
	sealed.LastStep = step // the confirmation code cannot log in
	var (
		g        Grant
		replaced bool
		held     store.DeskCase
	)
	e.waits = time.Time{}
	u, err := s.change(ctx, o, e.grant.Self(), "enrol", func(tx store.Tx, u *store.User) (string, error) {
		c, holds, err := s.deskHolds(tx, u, e.grant.Proof)
		if err != nil {
			return "", err
		}
		if holds {
			g, held, e.waits = e.grant, c, c.Until
			held.Token = &sealed
			return s.hold(tx, *u, c, &sealed, "")
		}
		if err := s.enrolled(tx, u, e.grant.Proof, e.answers); err != nil {
			return "", err
		}
		if replaced, err = s.hasToken(tx, *u); err != nil {
			return "", err
		}
		if err := tx.SetToken(u.ID, sealed); err != nil {
			return "", err
		}
		u.SMS, u.Use2FA = false, true
		if err := tx.UpdateUser(*u); err != nil {
			return "", err
		}
		g, err = s.moved(tx, u, ProofToken)
		return fmt.Sprintf("token %s, proved with the %s", sealed.Serial, e.grant.Proof), err
	})
	switch {
	case err == nil && !e.waits.IsZero():
		s.deskNotice(ctx, o, u, held, "", time.Time{})
	case err == nil:
		s.notify(ctx, o, u, mail.TokenNotice(lang.Or(u.Lang), "", "", u.UserID, sealed.Serial, replaced, s.now()))
	}
	return g, err
}

// Waits is, after CompleteEnrolment, when the new token takes over by
// itself if it waits for the user's confirmation (it was set up with what
// the self-help desk gave: see DeskCase); zero when it is the user's at
// once.
func (e *Enrolment) Waits() time.Time { return e.waits }

// hasToken reports whether u has a second factor that a new token
// replaces: a token, or SMS passcodes.
func (s *Service) hasToken(tx store.Tx, u store.User) (bool, error) {
	if u.SMS {
		return true, nil
	}
	_, err := tx.TokenOf(u.ID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// enrolled does, in tx, what every completed enrolment does: the welcome
// mail's initial passcode is spent (if the enrolment was proved with it,
// it must still be unused), temporary passcodes and One Swipe and SMS
// codes are revoked, the failures cleared, and the answers stored.
func (s *Service) enrolled(tx store.Tx, u *store.User, proof Proof, answers []store.SecurityAnswer) error {
	spent, err := tx.UseInitialPasscode(u.ID)
	if err != nil {
		return err
	}
	if proof == ProofInitial && !spent {
		return ErrSignedOut
	}
	for _, step := range []func() error{
		func() error { return tx.RevokeTempPasscode(u.ID) },
		func() error { return tx.DeleteEnrolCodes(u.ID) },
		func() error { return tx.DeleteSMSCodes(u.ID) },
		func() error { return tx.ResetFailures(u.ID) },
	} {
		if err := step(); err != nil {
			return err
		}
	}
	if len(answers) > 0 {
		return tx.SetSecurityAnswers(u.ID, answers)
	}
	return nil
}

// Questions are the security questions a user chooses two of at
// enrolment, for the self-help desk. Their number is their ID: never
// reorder them, only add.
var Questions = []string{
	1:  "What was the name of your first school?",
	2:  "In which city were you born?",
	3:  "What was the make of your first car?",
	4:  "What is your mother's maiden name?",
	5:  "What was the name of your first pet?",
	6:  "What was your childhood nickname?",
	7:  "In which street did you grow up?",
	8:  "What is the name of your favourite teacher?",
	9:  "What was the first concert you attended?",
	10: "In which city did your parents meet?",
}

// Question is one security question.
type Question struct {
	ID   int
	Text string
}

// QuestionList is the questions to choose from, by ID.
func QuestionList() []Question {
	var qs []Question
	for id, text := range Questions {
		if text != "" {
			qs = append(qs, Question{ID: id, Text: text})
		}
	}
	return qs
}

// RequiredAnswers is how many questions a user answers.
const RequiredAnswers = 2

// NormaliseAnswer makes answers compare as people mean them: case, and
// spaces around and between words, do not matter.
func NormaliseAnswer(a string) string {
	return strings.Join(strings.Fields(strings.ToLower(a)), " ")
}

// hashAnswers checks a user's answers (two different questions from the
// list, each answer 2 to 200 characters one can type) and hashes them. All
// are checked before any is hashed.
func (s *Service) hashAnswers(ctx context.Context, answers map[int]string) ([]store.SecurityAnswer, error) {
	if len(answers) != RequiredAnswers {
		return nil, fmt.Errorf("%w: answer %d different questions", ErrBadAnswers, RequiredAnswers)
	}
	for id, a := range answers {
		if id <= 0 || id >= len(Questions) {
			return nil, fmt.Errorf("%w: there is no question %d", ErrBadAnswers, id)
		}
		if n := NormaliseAnswer(a); utf8.RuneCountInString(n) < 2 || len(n) > 200 || !typeable([]byte(a)) {
			return nil, fmt.Errorf("%w: each answer must be 2 to 200 characters", ErrBadAnswers)
		}
	}
	var out []store.SecurityAnswer
	for id, a := range answers {
		h, err := s.hash(ctx, []byte(NormaliseAnswer(a)))
		if err != nil {
			return nil, err
		}
		out = append(out, store.SecurityAnswer{QuestionID: id, Hash: h})
	}
	return out, nil
}

// NeedsAnswers reports whether the user of g has yet to choose security
// questions.
func (s *Service) NeedsAnswers(ctx context.Context, g Grant) (bool, error) {
	var n int
	err := s.st.View(ctx, func(tx store.ReadTx) error {
		have, err := tx.SecurityAnswers(g.id)
		n = len(have)
		return err
	})
	return n < RequiredAnswers, err
}

// SaveAnswers stores the security answers of a user signed in with a
// passcode (the enrol site's questions page), replacing any.
//
// Answers that exist are replaced only by a user signed in with their own
// token or SMS passcode (ErrOldFactor otherwise): the answers are what the
// self-help desk asks, so what the desk gives must not change them. The
// user is told by mail when answers are replaced.
func (s *Service) SaveAnswers(ctx context.Context, o Origin, g Grant, answers map[int]string) error {
	if !g.Proof.passcode() {
		return ErrNotAllowed
	}
	hashed, err := s.hashAnswers(ctx, answers)
	if err != nil {
		return err
	}
	var replaced bool
	u, err := s.change(ctx, o, g.Self(), "security questions", func(tx store.Tx, u *store.User) (string, error) {
		have, err := tx.SecurityAnswers(u.ID)
		if err != nil {
			return "", err
		}
		if replaced = len(have) > 0; replaced && g.Proof != ProofToken && g.Proof != ProofSMS {
			return "", ErrOldFactor
		}
		u.DeskQuestion = 0
		if err := tx.UpdateUser(*u); err != nil {
			return "", err
		}
		return fmt.Sprintf("proved with the %s", g.Proof), tx.SetSecurityAnswers(u.ID, hashed)
	})
	if err == nil && replaced {
		s.notify(ctx, o, u, mail.AnswersNotice(lang.Or(u.Lang), "", "", u.UserID, s.now()))
	}
	return err
}

// QuestionFor is the security question the self-help desk asks the user
// of g: one of the two they answered, drawn at random the first time and
// then kept on the account until it is answered right, so that signing
// in again never draws the other one (someone who knows one answer must
// not get to it by trying again). ErrNoQuestions when there are none.
func (s *Service) QuestionFor(ctx context.Context, g Grant) (Question, error) {
	var id int
	err := s.st.Update(ctx, func(tx store.Tx) error {
		u, err := s.granted(tx, g)
		if err != nil {
			return err
		}
		have, err := tx.SecurityAnswers(u.ID)
		if err != nil {
			return err
		}
		if len(have) == 0 {
			return ErrNoQuestions
		}
		for _, a := range have {
			if a.QuestionID == u.DeskQuestion {
				id = a.QuestionID
				return nil
			}
		}
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(have))))
		if err != nil {
			return err
		}
		id = have[n.Int64()].QuestionID
		u.DeskQuestion = id
		return tx.UpdateUser(u)
	})
	if err != nil {
		return Question{}, err
	}
	return Question{ID: id, Text: Questions[id]}, nil
}

// CheckAnswer checks the answer to the user's security question qid, after
// the password (g of ProofPassword), at the self-help desk. A wrong answer
// counts towards the lockout like a wrong passcode. It returns the grant
// of ProofAnswer.
func (s *Service) CheckAnswer(ctx context.Context, o Origin, g Grant, qid int, answer string) (Grant, error) {
	sl, err := s.slot(ctx)
	if err != nil {
		return Grant{}, err
	}
	defer sl.Release()
	var hash string
	u, err := s.reserveSecond(ctx, o, g, "security answer", func(tx store.Tx, u store.User) error {
		have, err := tx.SecurityAnswers(u.ID)
		for _, a := range have {
			if a.QuestionID == qid && qid == u.DeskQuestion { // only the question drawn (QuestionFor)
				hash = a.Hash
			}
		}
		return err
	})
	if err != nil {
		return Grant{}, err
	}
	ok, err := compare(sl, hash, []byte(NormaliseAnswer(answer)))
	if err != nil {
		return Grant{}, err
	}
	sl.Release()
	_, err = s.settleSecond(ctx, o, g, u, "security answer", ErrWrongAnswer, func(tx store.Tx) (Proof, string, error) {
		detail := fmt.Sprintf("question %d", qid)
		have, err := tx.SecurityAnswers(u.ID)
		if err != nil {
			return 0, detail, err
		}
		for _, a := range have {
			if ok && a.QuestionID == qid && a.Hash == hash {
				// Answered right: the next visit draws afresh.
				cur, err := tx.UserByID(u.ID)
				if err != nil {
					return 0, detail, err
				}
				cur.DeskQuestion = 0
				return ProofAnswer, detail, tx.UpdateUser(cur)
			}
		}
		return 0, detail, nil
	})
	if err != nil {
		return Grant{}, err
	}
	return s.with(g, ProofAnswer), nil
}
