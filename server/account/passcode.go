package account

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
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/token"
)

// Lengths of the passcodes the server makes.
const (
	InitialPasscodeDigits = 6
	SMSCodeDigits         = 6
	// TempPasscodeDigits: a temporary passcode is valid for days, so it
	// is longer than a token's.
	TempPasscodeDigits = 8
)

// maxDrift bounds how far (in steps) the window may follow a token's clock.
const maxDrift = 10

// passcodeCheck is what a passcode is checked against, read in the
// reservation's transaction.
type passcodeCheck struct {
	code    string
	initial *store.InitialPasscode // only when enrolling
	token   *store.Token
	temp    *store.TempPasscode
	sms     *store.SMSCode
	preload *store.SMSCode // pre-loaded, for this number
	// serial, when set, is the token the code must come from (One Swipe
	// sign-in): no other kind of passcode is accepted.
	serial string
}

// The kinds of passcode match compares code with, each when it applies
// at now: the slow ones are hashes (an argon2id check each), a token's
// codes are quick.
func (c passcodeCheck) triesInitial() bool {
	return c.initial != nil && len(c.code) == InitialPasscodeDigits
}
func (c passcodeCheck) triesSMS(now time.Time) bool {
	return c.sms != nil && len(c.code) == SMSCodeDigits && now.Before(c.sms.Expires)
}
func (c passcodeCheck) triesPreload(now time.Time) bool {
	return c.preload != nil && len(c.code) == SMSCodeDigits && now.Before(c.preload.Expires)
}
func (c passcodeCheck) triesToken() bool {
	return c.token != nil && (c.serial == "" || c.serial == c.token.Serial)
}
func (c passcodeCheck) triesTemp(now time.Time) bool {
	return c.temp != nil && !c.temp.Revoked && now.Before(c.temp.Expires) && len(c.code) == TempPasscodeDigits
}

// quick says match, from now on, compares code with no slow hash (a
// kind that no longer applies at now never applies again later).
func (c passcodeCheck) quick(now time.Time) bool {
	return !c.triesInitial() && !c.triesSMS(now) && !c.triesPreload(now) && !c.triesTemp(now)
}

// settleAhead, in the transaction that reserves the attempt of c, has
// the settling transaction begin with its COMMIT (store.Tx.Then: one
// round trip instead of two on PostgreSQL) when nothing slow comes
// between them: match compares no hash, so the rows the settling locks
// ahead (the user's, the audit's head) are held for no longer than
// they would be anyway.
func (s *Service) settleAhead(tx store.Tx, u store.User, c passcodeCheck) {
	if c.quick(s.now()) {
		tx.Then(store.Ahead{User: u.ID, LockToken: true, AuditHead: true})
	}
}

// matches is what matched, outside any transaction.
type matches struct {
	initial, initialExpired, sms, temp bool
	preload                            bool
	step                               int64
	drift                              int
	token                              bool
}

// CheckPasscode completes a sign-in begun with the password (g of
// ProofPassword, or a later proof): code is a passcode of the user's
// token, which is then used up (the same code, or any of an earlier step,
// never works again), an SMS passcode of an SMS user (sent when asked for,
// or pre-loaded: used up, and the next one is pre-loaded), or a valid
// temporary passcode. It returns the grant of the proof. Wrong codes count
// towards the lockout.
func (s *Service) CheckPasscode(ctx context.Context, o Origin, g Grant, code string) (Grant, error) {
	g, err := s.checkPasscode(ctx, o, g, "passcode", passcodeCheck{code: code})
	if err == nil && g.Proof == ProofSMS {
		_, _ = s.preload(ctx, o, g.UserID, false) // audited; the sign-in stands
	}
	return g, err
}

// CheckEnrolPasscode is CheckPasscode for an enrolment, which also takes
// the unused, unexpired initial passcode of the welcome mail
// (ProofInitial). That is not used up here: only the completed enrolment
// spends it. A right initial passcode that has expired answers
// ErrPasscodeExpired.
//
// An SMS user who signed in with their pre-loaded passcode is sent the
// next, as after a login: one who leaves without enrolling anything still
// has it for their next logon.
func (s *Service) CheckEnrolPasscode(ctx context.Context, o Origin, g Grant, code string) (Grant, error) {
	g, err := s.checkPasscode(ctx, o, g, "enrol passcode", passcodeCheck{code: code, initial: &store.InitialPasscode{}})
	if err == nil && g.Proof == ProofSMS {
		_, _ = s.preload(ctx, o, g.UserID, true) // audited; the sign-in stands
	}
	return g, err
}

// CheckOneSwipeSignIn checks the passcode of a One Swipe sign-in code,
// which must come from the user's current token, serial.
func (s *Service) CheckOneSwipeSignIn(ctx context.Context, o Origin, g Grant, serial, code string) (Grant, error) {
	if serial == "" {
		return Grant{}, ErrInvalidCode
	}
	return s.checkPasscode(ctx, o, g, "one swipe sign-in", passcodeCheck{code: code, serial: serial})
}

func (s *Service) checkPasscode(ctx context.Context, o Origin, g Grant, name string, c passcodeCheck) (Grant, error) {
	c.code = strings.ReplaceAll(strings.TrimSpace(c.code), " ", "")
	sl, err := s.slot(ctx)
	if err != nil {
		return Grant{}, err
	}
	defer sl.Release()
	ctx, end := store.Hold(ctx)
	defer end()
	u, err := s.reserveSecond(ctx, o, g, name, func(tx store.Tx, u store.User) error {
		if err := s.loadPasscode(tx, u, &c); err != nil {
			return err
		}
		s.settleAhead(tx, u, c)
		return nil
	})
	if err != nil {
		return Grant{}, err
	}
	m, err := s.match(sl, u, c)
	if err != nil {
		return Grant{}, err
	}
	sl.Release()
	proof, err := s.settleSecond(ctx, o, g, u, name, ErrInvalidCode, func(tx store.Tx) (Proof, string, error) {
		return s.usePasscode(tx, u, c, m)
	})
	if err != nil {
		return Grant{}, err
	}
	return s.with(g, proof), nil
}

// proofExpired is the "proof" of a right initial passcode past its expiry:
// it proves nothing and counts as a failure; only the answer differs, so
// that the user learns the welcome mail is too old.
const proofExpired Proof = -1

// loadPasscode reads in tx what code may be.
func (s *Service) loadPasscode(tx store.Tx, u store.User, c *passcodeCheck) error {
	if c.initial != nil {
		ip, err := tx.InitialPasscodeOf(u.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		c.initial = nil
		if err == nil && !ip.Used {
			c.initial = &ip
		}
	}
	if tok, err := tx.TokenOf(u.ID); err == nil {
		c.token = &tok
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if c.serial != "" {
		return nil
	}
	if tp, err := tx.TempPasscodeOf(u.ID); err == nil {
		c.temp = &tp
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if !u.SMS {
		return nil
	}
	if sc, err := tx.SMSCodeOf(u.ID, store.SMSLogin); err == nil {
		c.sms = &sc
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if !s.cfg.SMSMode.preloads() {
		return nil // a site on demand: the ones sent before no longer work
	}
	if sc, err := tx.SMSCodeOf(u.ID, store.SMSPreload); err == nil && sc.Phone == u.Phone {
		c.preload = &sc
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// match compares code with every kind of passcode that may apply (the
// slow hash comparisons run here, in sl, outside any transaction).
func (s *Service) match(sl *password.Slot, u store.User, c passcodeCheck) (matches, error) {
	var m matches
	now := s.now()
	var err error
	if c.triesInitial() {
		if m.initial, err = sl.Check(c.initial.Hash, []byte(c.code)); err != nil {
			return m, err
		}
		m.initialExpired = m.initial && !now.Before(c.initial.Expires)
	}
	if c.triesSMS(now) {
		if m.sms, err = sl.Check(c.sms.Hash, []byte(c.code)); err != nil {
			return m, err
		}
	}
	if c.triesPreload(now) {
		if m.preload, err = sl.Check(c.preload.Hash, []byte(c.code)); err != nil {
			return m, err
		}
	}
	if c.triesToken() {
		if m.step, m.drift, m.token, err = s.matchToken(u, *c.token, c.code); err != nil {
			return m, err
		}
	}
	if c.triesTemp(now) {
		if m.temp, err = sl.Check(c.temp.Hash, []byte(c.code)); err != nil {
			return m, err
		}
	}
	return m, nil
}

// usePasscode, in the settling transaction, uses up what matched, if it
// is still there: of concurrent uses of one code, one wins.
func (s *Service) usePasscode(tx store.Tx, u store.User, c passcodeCheck, m matches) (Proof, string, error) {
	if m.initial {
		ip, err := tx.InitialPasscodeOf(u.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return 0, "", err
		}
		if err == nil && !ip.Used && ip.Hash == c.initial.Hash {
			if m.initialExpired {
				return proofExpired, "the initial passcode has expired", nil
			}
			return ProofInitial, "", nil
		}
	}
	if m.sms {
		if used, err := tx.DeleteSMSCode(u.ID, store.SMSLogin, c.sms.Hash); err != nil || used {
			return ProofSMS, "", err
		}
	}
	if m.preload {
		if used, err := tx.DeleteSMSCode(u.ID, store.SMSPreload, c.preload.Hash); err != nil || used {
			return ProofSMS, "pre-loaded", err
		}
	}
	if m.token {
		if tok, err := tx.TokenOf(u.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return 0, "", err
		} else if err == nil && tok.Serial == c.token.Serial {
			accepted, err := tx.AcceptStep(u.ID, m.step, m.drift)
			if err != nil || accepted {
				return ProofToken, "token " + tok.Serial, err
			}
		}
	}
	if m.temp {
		tp, err := tx.TempPasscodeOf(u.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return 0, "", err
		}
		if err == nil && tp.Hash == c.temp.Hash && !tp.Revoked && s.now().Before(tp.Expires) {
			return ProofTemporary, "", nil
		}
	}
	return 0, "", nil
}

// matchToken finds the step in the window whose code is code, comparing
// every candidate in constant time.
func (s *Service) matchToken(u store.User, tok store.Token, code string) (step int64, drift int, ok bool, err error) {
	seed, err := s.sealer.Open(tok.SealedSeed, SeedBinding(u.ID))
	if err != nil {
		return 0, 0, false, fmt.Errorf("open seed of %s: %w", u.UserID, err)
	}
	cur, err := token.Step(s.now(), tok.Period)
	if err != nil {
		return 0, 0, false, err
	}
	found, err := s.window(seed, int64(cur)+int64(tok.Drift), token.Algorithm(tok.Algorithm), tok.Digits, code)
	if err != nil || found < 0 {
		return 0, 0, false, err
	}
	drift = max(-maxDrift, min(maxDrift, int(found-int64(cur))))
	return found, drift, true, nil
}

// window is the one search of a passcode's step: the step within Window of
// centre whose code is code, or -1. Every candidate is compared, in
// constant time.
func (s *Service) window(seed token.Secret, centre int64, alg token.Algorithm, digits int, code string) (int64, error) {
	found := int64(-1)
	for d := -s.cfg.Window; d <= s.cfg.Window; d++ {
		candidate := centre + int64(d)
		if candidate < 0 {
			continue
		}
		want, err := token.HOTPCode(seed, uint64(candidate), alg, digits)
		if err != nil {
			return -1, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && found < 0 {
			found = candidate
		}
	}
	return found, nil
}

// SeedBinding is the additional data a user's seed is sealed with.
func SeedBinding(id int64) string { return "seed:" + strconv.FormatInt(id, 10) }

// randomDigits is n random decimal digits.
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

// newSecret makes a random code of digits and its hash.
func (s *Service) newSecret(ctx context.Context, digits int) (code, hash string, err error) {
	if code, err = randomDigits(digits); err != nil {
		return "", "", err
	}
	hash, err = s.hash(ctx, []byte(code))
	return code, hash, err
}

// expiresIn is now plus d.
func (s *Service) expiresIn(d time.Duration) time.Time { return s.now().Add(d) }
