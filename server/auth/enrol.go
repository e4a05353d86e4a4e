package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token"
)

// Outcomes of the enrolment checks.
var (
	ErrPasscodeExpired = errors.New(wire.ResultPasscodeExpired)
	ErrBadAnswers      = errors.New(wire.ResultBadAnswers)
)

// Proof is how a user proved, at enrolment, that the token is theirs.
type Proof int

// The proofs softtoken accepts (guide, sections 4.2 and 7).
const (
	// ProofInitial: the initial passcode of the welcome mail.
	ProofInitial Proof = iota + 1
	// ProofToken: a current passcode of the user's existing token, when
	// moving to another PC.
	ProofToken
	// ProofTemporary: a temporary passcode (guide, section 5).
	ProofTemporary
)

// CheckEnrolPasscode checks the passcode a user enrols with: the unused,
// unexpired initial passcode, or else a passcode of their current token
// (which is then used up), or a valid temporary passcode. The initial
// passcode is not used up here: only CompleteEnrolment does that, once the
// new token is confirmed.
func (s *Service) CheckEnrolPasscode(ctx context.Context, u store.User, code string) (Proof, error) {
	if s.Locked(u) {
		return 0, ErrLocked
	}
	code = strings.ReplaceAll(code, " ", "")
	ip, err := s.st.InitialPasscodeOf(ctx, u.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return 0, err
	case !ip.Used:
		ok, err := password.Check(ip.Hash, []byte(code))
		if err != nil {
			return 0, err
		}
		if ok && s.cfg.Now().Before(ip.Expires) {
			return ProofInitial, nil
		}
		if ok {
			return 0, ErrPasscodeExpired
		}
	}
	return s.verifyCode(ctx, u, code)
}

// PendingSeed makes a fresh 160-bit seed for u and seals it, without
// storing it: enrolment stores it only when the client has confirmed that
// it holds the seed (CompleteEnrolment).
func (s *Service) PendingSeed(u store.User) (token.Token, store.Token, error) {
	seed := make(token.Secret, 20)
	if _, err := randRead(seed); err != nil {
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
		Period: p.Period, LastStep: -1, Created: s.cfg.Now()}
	return token.Token{Account: u.UserID, Serial: st.Serial, Secret: seed, Params: p}, st, nil
}

// ConfirmSeed checks that code is a passcode of the pending seed tok now
// (within the window) and returns its step, which becomes the token's last
// used step so the confirmation code cannot be used to log in.
func (s *Service) ConfirmSeed(tok token.Token, code string) (int64, error) {
	code = strings.ReplaceAll(code, " ", "")
	cur, err := token.Step(s.cfg.Now(), tok.Period)
	if err != nil {
		return 0, err
	}
	found := int64(-1)
	for d := -s.cfg.Window; d <= s.cfg.Window; d++ {
		step := int64(cur) + int64(d)
		want, err := token.HOTPCode(tok.Secret, uint64(step), tok.Algorithm, tok.Digits)
		if err != nil {
			return 0, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && found < 0 {
			found = step
		}
	}
	if found < 0 {
		return 0, ErrInvalidToken
	}
	return found, nil
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

// RequiredAnswers is how many questions a user answers.
const RequiredAnswers = 2

// NormaliseAnswer makes answers compare as people mean them: case, and
// spaces around and between words, do not matter.
func NormaliseAnswer(a string) string {
	return strings.Join(strings.Fields(strings.ToLower(a)), " ")
}

// HashAnswers checks a user's answers (two different questions from the
// list, each answer at least 2 characters) and hashes them.
func (s *Service) HashAnswers(answers map[int]string) ([]store.SecurityAnswer, error) {
	if len(answers) != RequiredAnswers {
		return nil, fmt.Errorf("%w: answer %d different questions", ErrBadAnswers, RequiredAnswers)
	}
	var out []store.SecurityAnswer
	for id, a := range answers {
		if id <= 0 || id >= len(Questions) {
			return nil, fmt.Errorf("%w: there is no question %d", ErrBadAnswers, id)
		}
		n := NormaliseAnswer(a)
		if utf8.RuneCountInString(n) < 2 || len(n) > 200 {
			return nil, fmt.Errorf("%w: each answer must be 2 to 200 characters", ErrBadAnswers)
		}
		h, err := password.Hash([]byte(n), s.cfg.Hash)
		if err != nil {
			return nil, err
		}
		out = append(out, store.SecurityAnswer{QuestionID: id, Hash: h})
	}
	return out, nil
}

// Temporary passcodes (guide, section 5).
var (
	ErrTooSoon = errors.New("temporary passcode too soon")
	ErrBadDays = errors.New("temporary passcode validity out of range")
)

// TempPasscodeInterval is how often a user may get a temporary passcode:
// they are a risk, so once in 30 days (guide, section 5).
const TempPasscodeInterval = 30 * 24 * time.Hour

// TempPasscodeDigits is the length of a temporary passcode: it is valid
// for days, so it is longer than a token's.
const TempPasscodeDigits = 8

// IssueTempPasscode gives u a temporary passcode valid for days (1 to
// maxDays), at most once per TempPasscodeInterval, and returns it (stored
// only hashed) with its expiry.
func (s *Service) IssueTempPasscode(ctx context.Context, u store.User, days, maxDays int) (string, time.Time, error) {
	now := s.cfg.Now()
	if days < 1 || days > maxDays {
		return "", time.Time{}, fmt.Errorf("%w: choose 1 to %d days", ErrBadDays, maxDays)
	}
	prev, err := s.st.TempPasscodeOf(ctx, u.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", time.Time{}, err
	}
	if err == nil && now.Sub(prev.Issued) < TempPasscodeInterval {
		return "", time.Time{}, fmt.Errorf("%w: one was issued on %s; the next is possible from %s", ErrTooSoon,
			prev.Issued.UTC().Format("2 January 2006"), prev.Issued.Add(TempPasscodeInterval).UTC().Format("2 January 2006"))
	}
	code, err := randomDigits(TempPasscodeDigits)
	if err != nil {
		return "", time.Time{}, err
	}
	hash, err := password.Hash([]byte(code), s.cfg.Hash)
	if err != nil {
		return "", time.Time{}, err
	}
	expires := now.Add(time.Duration(days) * 24 * time.Hour)
	if err := s.st.SetTempPasscode(ctx, u.ID, store.TempPasscode{Hash: hash, Issued: now, Expires: expires}); err != nil {
		return "", time.Time{}, err
	}
	return code, expires, nil
}

// tempMatches reports whether code is u's valid temporary passcode.
func (s *Service) tempMatches(ctx context.Context, u store.User, code string) (bool, error) {
	if len(code) != TempPasscodeDigits {
		return false, nil
	}
	p, err := s.st.TempPasscodeOf(ctx, u.ID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if p.Revoked || !s.cfg.Now().Before(p.Expires) {
		return false, nil
	}
	return password.Check(p.Hash, []byte(code))
}
