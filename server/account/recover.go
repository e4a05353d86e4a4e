package account

import (
	"context"
	"fmt"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// Unlocked says what Unlock cleared.
type Unlocked struct {
	// LockedUntil is when the lock would have ended; zero when the user
	// was not locked.
	LockedUntil time.Time
	// Failures is the count of wrong second factors cleared.
	Failures int
}

// Unlock clears the target user's lock and their count of wrong second
// factors, and nothing else: the password, the token, the number for SMS
// passcodes, the security answers and any temporary passcode stay, so the
// user logs in with what they have at once. Only an administrator
// unlocks (an operator whose role unlocks too, but not the lock of a
// user's "this was not me", which is an administrator's who then resets
// them). Someone who caused the lock still knows the password: when the
// user did not, reset them instead (see Reset).
func (s *Service) Unlock(ctx context.Context, o Origin, t Target) (Unlocked, error) {
	if err := adminOnly(t); err != nil {
		return Unlocked{}, err
	}
	var was Unlocked
	_, err := s.change(ctx, o, t, "user unlock", func(tx store.Tx, u *store.User) (string, error) {
		if u.LockedUntil.Equal(lockedForAdmin) && t.actor != nil && !t.actor.role.may("user reset") {
			// "This was not me": whoever lifts it resets what the
			// stranger knew next, so only a role that resets lifts it.
			return "", fmt.Errorf("%w: the user said \"this was not me\": an administrator unlocks and resets them", ErrNotAllowed)
		}
		was.Failures = u.Failures
		if s.locked(*u) {
			was.LockedUntil = u.LockedUntil
		}
		if err := tx.ResetFailures(u.ID); err != nil {
			return "", fmt.Errorf("clear the failures of %s: %w", u.UserID, err)
		}
		u.Failures, u.LockedUntil = 0, time.Time{}
		return was.String(), nil
	})
	return was, err
}

// String says what was cleared, for the audit and the admin.
func (was Unlocked) String() string {
	if was.LockedUntil.IsZero() {
		return fmt.Sprintf("was not locked; %d failures cleared", was.Failures)
	}
	return fmt.Sprintf("was locked until %s; %d failures cleared", was.LockedUntil.UTC().Format("2006-01-02 15:04:05Z"), was.Failures)
}
