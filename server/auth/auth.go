// Package auth holds the server's verification rules: passwords checked
// with argon2id, passcodes checked against the user's sealed seed within a
// window of time steps, each code accepted once (atomically, in the store),
// and a lockout after consecutive failures that survives restarts. Every
// failure a stranger could cause answers the same way in the same time.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/seal"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token"
)

// Outcomes of a verification; their text is the protocol's result string.
var (
	ErrInvalidLogin = errors.New(wire.ResultInvalidLogin)
	ErrInvalidToken = errors.New(wire.ResultInvalidToken)
	ErrLocked       = errors.New(wire.ResultLocked)
	ErrDisabled     = errors.New(wire.ResultDisabled)
)

// Config holds the verification rules. Zero fields take the defaults.
type Config struct {
	// Window is how many time steps either side of the token's expected
	// step a code may come from (default 1).
	Window int
	// MaxFailures consecutive failures lock the user (default 10) for
	// LockFor (default 15 minutes).
	MaxFailures int
	LockFor     time.Duration
	// SMSCodeTTL is how long a passcode sent by SMS works (default 5
	// minutes).
	SMSCodeTTL time.Duration
	// Hash is the argon2id cost of new password hashes.
	Hash password.Params
	Now  func() time.Time
}

func (c Config) withDefaults() Config {
	if c.Window <= 0 {
		c.Window = 1
	}
	if c.MaxFailures <= 0 {
		c.MaxFailures = 10
	}
	if c.LockFor <= 0 {
		c.LockFor = 15 * time.Minute
	}
	if c.SMSCodeTTL <= 0 {
		c.SMSCodeTTL = DefaultSMSCodeTTL
	}
	if c.Hash == (password.Params{}) {
		c.Hash = password.Default
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// maxDrift bounds how far (in steps) the window may follow a token's clock.
const maxDrift = 10

// Service applies the rules to one store.
type Service struct {
	st     store.Store
	sealer *seal.Sealer
	cfg    Config
	// smsLimit bounds the text messages sent to each user.
	smsLimit *ratelimit.Limiter
}

// New returns a Service.
func New(st store.Store, sealer *seal.Sealer, cfg Config) *Service {
	return &Service{st: st, sealer: sealer, cfg: cfg.withDefaults(), smsLimit: ratelimit.PerHour(smsPerHour, smsBurst)}
}

// CheckPassword verifies a user's password. An unknown user costs the
// time of a hash check and answers ErrInvalidLogin, like a wrong password,
// which also counts as a failure. A locked user with the right password
// gets ErrLocked; a disabled one ErrDisabled (with the user, so that
// verifylogin can report active "N").
func (s *Service) CheckPassword(ctx context.Context, userID string, pw []byte) (store.User, error) {
	u, err := s.st.UserByUserID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		password.CheckNothing()
		return store.User{}, ErrInvalidLogin
	}
	if err != nil {
		return store.User{}, err
	}
	ok, err := password.Check(u.PassHash, pw)
	if err != nil {
		return store.User{}, fmt.Errorf("check password of %s: %w", u.UserID, err)
	}
	if !ok {
		if err := s.fail(ctx, u); err != nil {
			return store.User{}, err
		}
		return store.User{}, ErrInvalidLogin
	}
	if s.Locked(u) {
		return store.User{}, ErrLocked
	}
	if !u.Active {
		return u, ErrDisabled
	}
	return u, nil
}

// Locked reports whether u is locked out now.
func (s *Service) Locked(u store.User) bool {
	return !u.LockedUntil.IsZero() && s.cfg.Now().Before(u.LockedUntil)
}

// CheckCode verifies a passcode of u: a code of their soft token, which
// is then used up (the same code, or any code of an earlier step, is never
// accepted again), or their temporary passcode while it is valid. A locked
// user is refused without the code being looked at.
func (s *Service) CheckCode(ctx context.Context, u store.User, code string) error {
	_, err := s.verifyCode(ctx, u, code)
	return err
}

// verifyCode is CheckCode, telling which kind of passcode it was.
func (s *Service) verifyCode(ctx context.Context, u store.User, code string) (Proof, error) {
	if fresh, err := s.st.UserByUserID(ctx, u.UserID); err == nil {
		u = fresh // the lock may have been set by another connection
	}
	if s.Locked(u) {
		return 0, ErrLocked
	}
	code = strings.ReplaceAll(code, " ", "")
	if u.SMS {
		if _, ok, err := s.smsMatches(ctx, u, store.SMSLogin, code); err != nil {
			return 0, err
		} else if ok {
			return ProofSMS, s.succeeded(ctx, u)
		}
	}
	step, drift, err := s.match(ctx, u, code)
	if err == nil {
		var accepted bool
		if accepted, err = s.st.AcceptStep(ctx, u.ID, step, drift); err != nil {
			return 0, err
		}
		if accepted {
			return ProofToken, s.succeeded(ctx, u)
		}
		err = ErrInvalidToken // a replay
	}
	if !errors.Is(err, ErrInvalidToken) {
		return 0, err
	}
	if ok, terr := s.tempMatches(ctx, u, code); terr != nil {
		return 0, terr
	} else if ok {
		return ProofTemporary, s.succeeded(ctx, u)
	}
	if ferr := s.fail(ctx, u); ferr != nil {
		return 0, ferr
	}
	return 0, ErrInvalidToken
}

// succeeded clears u's failure count, sparing the write when there is none.
func (s *Service) succeeded(ctx context.Context, u store.User) error {
	if u.Failures == 0 && u.LockedUntil.IsZero() {
		return nil
	}
	return s.st.ResetFailures(ctx, u.ID)
}

// fail counts a failure of u and audits the lockout it may start.
func (s *Service) fail(ctx context.Context, u store.User) error {
	now := s.cfg.Now()
	until, err := s.st.RecordFailure(ctx, u.ID, s.cfg.MaxFailures, s.cfg.LockFor, now)
	if err != nil {
		return err
	}
	if until.After(now) && !s.Locked(u) {
		return s.st.Audit(ctx, store.AuditEvent{At: now, UserID: u.UserID, Event: "lockout", Outcome: "locked",
			Detail: fmt.Sprintf("locked until %s after %d consecutive failures", until.UTC().Format(time.RFC3339), s.cfg.MaxFailures)})
	}
	return nil
}

// match finds the step in the window whose code is code, comparing every
// candidate in constant time.
func (s *Service) match(ctx context.Context, u store.User, code string) (step int64, drift int, err error) {
	tok, err := s.st.TokenOf(ctx, u.ID)
	if errors.Is(err, store.ErrNotFound) {
		return 0, 0, ErrInvalidToken
	}
	if err != nil {
		return 0, 0, err
	}
	seed, err := s.sealer.Open(tok.SealedSeed, SeedBinding(u.ID))
	if err != nil {
		return 0, 0, fmt.Errorf("open seed of %s: %w", u.UserID, err)
	}
	cur, err := token.Step(s.cfg.Now(), tok.Period)
	if err != nil {
		return 0, 0, err
	}
	found := int64(-1)
	for d := -s.cfg.Window; d <= s.cfg.Window; d++ {
		candidate := int64(cur) + int64(tok.Drift) + int64(d)
		if candidate < 0 {
			continue
		}
		want, err := token.HOTPCode(seed, uint64(candidate), token.Algorithm(tok.Algorithm), tok.Digits)
		if err != nil {
			return 0, 0, fmt.Errorf("token of %s: %w", u.UserID, err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && found < 0 {
			found = candidate
		}
	}
	if found < 0 {
		return 0, 0, ErrInvalidToken
	}
	drift = int(found - int64(cur))
	drift = max(-maxDrift, min(maxDrift, drift))
	return found, drift, nil
}

// SeedBinding is the additional data a user's seed is sealed with.
func SeedBinding(id int64) string { return "seed:" + strconv.FormatInt(id, 10) }

// NewSeed gives u a fresh random 160-bit TOTP seed (SHA1, 6 digits, 30 s),
// replacing any previous token, whose codes stop working at once. It
// returns the token as the user's authenticator needs it; the caller
// shows it once and forgets it.
func (s *Service) NewSeed(ctx context.Context, u store.User) (token.Token, error) {
	tok, st, err := s.PendingSeed(u)
	if err != nil {
		return token.Token{}, err
	}
	if err := s.st.SetToken(ctx, u.ID, st); err != nil {
		return token.Token{}, err
	}
	return tok, nil
}

// IssueInitialPasscode gives u a new single-use 6-digit passcode for the
// welcome mail, valid for validFor, and returns it (stored only hashed).
func (s *Service) IssueInitialPasscode(ctx context.Context, u store.User, validFor time.Duration) (string, error) {
	code, err := randomDigits(6)
	if err != nil {
		return "", err
	}
	hash, err := password.Hash([]byte(code), s.cfg.Hash)
	if err != nil {
		return "", err
	}
	if err := s.st.SetInitialPasscode(ctx, u.ID, store.InitialPasscode{Hash: hash, Expires: s.cfg.Now().Add(validFor)}); err != nil {
		return "", err
	}
	return code, nil
}

// HashPassword checks a new password against the policy and hashes it.
func (s *Service) HashPassword(pw []byte) (string, error) {
	if n := len([]rune(string(pw))); n < MinPasswordLen || len(pw) > MaxPasswordBytes {
		return "", ErrWeakPassword
	}
	return password.Hash(pw, s.cfg.Hash)
}

// Password policy.
const (
	MinPasswordLen   = 8
	MaxPasswordBytes = 200
)

// ErrWeakPassword is a new password outside the policy.
var ErrWeakPassword = fmt.Errorf("password must be %d to %d characters", MinPasswordLen, MaxPasswordBytes)

var randRead = rand.Read

func randomDigits(n int) (string, error) {
	var b strings.Builder
	for range n {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			return "", fmt.Errorf("random digits: %w", err)
		}
		b.WriteByte(byte('0' + d.Int64()))
	}
	return b.String(), nil
}
