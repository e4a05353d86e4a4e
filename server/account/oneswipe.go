package account

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/token/oneswipe"
)

// EnrolCodeLifetime is how long a One Swipe enrolment code works.
const EnrolCodeLifetime = 10 * time.Minute

// IssueEnrolCode gives the target user a One Swipe enrolment code for the
// enrol page at enrolURL, valid for [EnrolCodeLifetime] and once. It
// replaces any code issued to the user before; only its hash is stored.
// The enrol page issues them to a user signed in with a passcode.
func (s *Service) IssueEnrolCode(ctx context.Context, o Origin, t Target, enrolURL string) (oneswipe.Enrolment, error) {
	if t.self != nil && !t.self.Proof.passcode() {
		return oneswipe.Enrolment{}, ErrNotAllowed
	}
	code, err := oneswipe.NewCode()
	if err != nil {
		return oneswipe.Enrolment{}, err
	}
	expires := s.now().Add(EnrolCodeLifetime).Truncate(time.Second)
	u, err := s.change(ctx, o, t, "one swipe code", func(tx store.Tx, u *store.User) (string, error) {
		return "valid until " + expires.UTC().Format(time.RFC3339), tx.AddEnrolCode(u.ID, codeHash(code), expires)
	})
	if err != nil {
		return oneswipe.Enrolment{}, err
	}
	return oneswipe.Enrolment{EnrolURL: enrolURL, UserID: u.UserID, Code: code, Expires: expires}, nil
}

// UseEnrolCode checks the One Swipe enrolment code userID presents and
// uses it up, in one transaction. It stands in for the password and the
// passcode, so it is a first factor: a wrong code (or one of another user)
// answers ErrInvalidCode and is throttled per user ID and source, never
// locking the account. A code used before answers ErrCodeUsed, an expired
// one ErrPasscodeExpired; a locked user is refused before the code is
// looked at, a disabled one after. It returns the grant of ProofOneSwipe.
func (s *Service) UseEnrolCode(ctx context.Context, o Origin, userID, code string) (Grant, error) {
	var g Grant
	result := ErrInvalidCode
	err := s.st.Update(ctx, func(tx store.Tx) error {
		g, result = Grant{}, ErrInvalidCode // a transaction run again starts afresh
		u, err := tx.UserByUserID(userID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err == nil && s.locked(u) {
			result = ErrLocked
			return tx.Audit(s.event(o, userID, "one swipe enrolment", outcome(result), ""))
		}
		if _, ok, err := tx.ReserveFirstFactor(throttleKey(userID), o.source(), s.now(), s.delay); err != nil || !ok {
			result = ErrThrottled
			return err
		}
		if result, err = s.useCode(tx, u, code); err != nil {
			return err
		}
		if result == nil {
			g = s.grant(u, ProofOneSwipe)
			if err := tx.ClearFirstFactor(throttleKey(userID), o.source()); err != nil {
				return err
			}
		}
		return tx.Audit(s.event(o, userID, "one swipe enrolment", outcome(result), ""))
	})
	if err != nil {
		return Grant{}, err
	}
	return g, result
}

// useCode uses up the code in tx if it is u's; its result is the outcome.
func (s *Service) useCode(tx store.Tx, u store.User, code string) (result, err error) {
	id, err := tx.UseEnrolCode(codeHash(code), s.now())
	switch {
	case errors.Is(err, store.ErrCodeUsed):
		return ErrCodeUsed, nil
	case errors.Is(err, store.ErrCodeExpired):
		return ErrPasscodeExpired, nil
	case errors.Is(err, store.ErrNotFound):
		return ErrInvalidCode, nil
	case err != nil:
		return nil, fmt.Errorf("use One Swipe code: %w", err)
	case u.ID == 0 || id != u.ID:
		return ErrInvalidCode, nil
	case !u.Active:
		return ErrDisabled, nil
	}
	return nil, nil
}

// codeHash is what the store keeps of an enrolment code: 128 random bits
// need no salt or stretching.
func codeHash(code string) []byte {
	h := sha256.Sum256([]byte("softtoken one swipe enrolment code\x00" + code))
	return h[:]
}
