package account

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// First factors (passwords, One Swipe enrolment codes) are throttled per
// user ID and source: anyone who knows a user ID can send wrong ones, so
// they must never lock the account. Second factors (passcodes, security
// answers), which only come after the right password, count towards the
// lock. docs/protocol.md ("Lockout") gives the reasons.

// throttleKey is the first-factor throttle's key for a typed user ID.
func throttleKey(userID string) string { return strings.ToLower(strings.TrimSpace(userID)) }

// delay is how long a source waits after its n-th wrong first factor in a
// row for one user ID: nothing for the first FreeFailures, then 1 s,
// doubling, up to MaxDelay.
func (s *Service) delay(n int) time.Duration {
	over := n - s.cfg.FreeFailures
	if over <= 0 {
		return 0
	}
	if over > 30 {
		return s.cfg.MaxDelay
	}
	return min(time.Duration(1<<(over-1))*time.Second, s.cfg.MaxDelay)
}

// reserveFirst takes a first-factor attempt for userID from o and reads the
// user (zero when there is none). A locked user is refused before anything
// is counted or checked; a throttled source gets ErrThrottled. The web
// back-end that asks (o.verifier) is checked first, in the same
// transaction: its refusal comes as a verifierRefused.
func (s *Service) reserveFirst(ctx context.Context, o Origin, userID string) (store.User, error) {
	var u store.User
	err := s.st.Update(ctx, func(tx store.Tx) error {
		// One round trip on PostgreSQL: the back-end's row, the user's
		// row and the throttle's row. The user's row is not locked: the
		// password's settling reads it again, locked, and decides on
		// that; so the only row this transaction locks is the throttle's
		// of this user ID from this source, which a refused request
		// (a disabled back-end's) holds for no longer than a round trip.
		ahead := store.Ahead{PeekUserID: userID, FirstFactorKey: throttleKey(userID), FirstFactorSource: o.source()}
		if o.verifier != nil {
			ahead.Peek = o.verifier.id
		}
		tx.Soon(ahead)
		if o.verifier != nil {
			if err := s.isAdmin(tx.Peek(), *o.verifier, ScopeVerify); err != nil {
				return verifierRefused{err}
			}
		}
		var err error
		u, err = tx.Peek().UserByUserID(userID)
		if errors.Is(err, store.ErrNotFound) {
			u = store.User{}
		} else if err != nil {
			return err
		}
		if u.ID != 0 && s.locked(u) {
			return ErrLocked
		}
		_, ok, err := tx.ReserveFirstFactor(throttleKey(userID), o.source(), s.now(), s.delay)
		if err == nil && !ok {
			return ErrThrottled
		}
		return err
	})
	if errors.Is(err, ErrLocked) || errors.Is(err, ErrThrottled) {
		s.refused(ctx, o, userID, "password", err)
	}
	return u, err
}

// verifierRefused is the refusal of the web back-end that asked
// (Origin.verifier), which Verify audits and returns.
type verifierRefused struct{ err error }

func (v verifierRefused) Error() string { return v.err.Error() }
func (v verifierRefused) Unwrap() error { return v.err }

// reserveSecond takes a second-factor attempt for g's user on the current
// row, and runs load in the same transaction to read what the check needs.
// It answers ErrLocked, counting nothing, while the user is locked.
func (s *Service) reserveSecond(ctx context.Context, o Origin, g Grant, name string, load func(store.Tx, store.User) error) (store.User, error) {
	var u store.User
	err := s.st.Update(ctx, func(tx store.Tx) error {
		var err error
		if u, err = s.granted(tx, g); err != nil {
			return err
		}
		a, ok, err := tx.ReserveAttempt(u.ID, s.cfg.MaxFailures, s.cfg.LockFor, s.now())
		if err != nil {
			return err
		}
		if !ok {
			return ErrLocked
		}
		u.Failures, u.LockedUntil = a.Failures, a.LockedUntil
		return load(tx, u)
	})
	if err != nil {
		s.refused(ctx, o, g.UserID, name, err)
	}
	return u, err
}

// settleSecond ends a reserved second-factor attempt of u in one
// transaction; wrong is the answer when the secret was wrong. win runs
// first, on the current row, and returns what the secret proved (0: it was
// wrong, or used meanwhile; proofExpired: a right initial passcode past
// its expiry, which proves nothing). A success clears the failures (the
// reservation is refunded); anything else stays counted, and the lockout
// it started is audited. The grant must still hold (epoch, active); the
// lock its own reservation started does not count against it.
func (s *Service) settleSecond(ctx context.Context, o Origin, g Grant, u store.User, name string, wrong error, win func(store.Tx) (Proof, string, error)) (Proof, error) {
	var proof Proof
	err := s.st.Update(ctx, func(tx store.Tx) error {
		if _, err := s.current(tx, g); err != nil {
			return err
		}
		p, detail, err := win(tx)
		if err != nil {
			return err
		}
		if proof = p; p > 0 {
			if err := tx.ResetFailures(u.ID); err != nil {
				return err
			}
			return tx.Audit(s.event(o, u.UserID, name, CodeOK, strings.Trim(detail+"; "+p.String(), "; ")))
		}
		failure := wrong
		if p == proofExpired {
			failure = ErrPasscodeExpired
		}
		if err := tx.Audit(s.event(o, u.UserID, name, outcome(failure), detail)); err != nil {
			return err
		}
		if u.LockedUntil.IsZero() {
			return nil
		}
		return tx.Audit(s.event(o, u.UserID, "lockout", CodeLocked, fmt.Sprintf("locked until %s after %d consecutive failures",
			u.LockedUntil.UTC().Format(time.RFC3339), s.cfg.MaxFailures)))
	})
	if err != nil {
		return 0, err
	}
	if (proof == 0 || proof == proofExpired) && !u.LockedUntil.IsZero() {
		s.cfg.Metrics.Lockout()
	}
	switch {
	case proof == proofExpired:
		return 0, ErrPasscodeExpired
	case proof == 0:
		return 0, wrong
	}
	return proof, nil
}

// current reads the user of g and checks that g still holds, except for
// a lock (see settleSecond).
func (s *Service) current(tx store.ReadTx, g Grant) (store.User, error) {
	if g.id == 0 {
		return store.User{}, ErrSignedOut
	}
	u, err := tx.UserByID(g.id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.User{}, ErrSignedOut
	case err != nil:
		return store.User{}, err
	case u.Epoch != g.epoch || !strings.EqualFold(u.UserID, g.UserID):
		return store.User{}, ErrSignedOut
	case !u.Active:
		return store.User{}, ErrDisabled
	}
	return u, nil
}
