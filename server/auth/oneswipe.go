package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/token/oneswipe"
)

// EnrolCodeLifetime is how long a One Swipe enrolment code works.
const EnrolCodeLifetime = 10 * time.Minute

// ErrCodeUsed is a One Swipe enrolment code presented a second time.
var ErrCodeUsed = errors.New(wire.ResultCodeUsed)

// ProofOneSwipe: a One Swipe enrolment code, issued to the user after they
// signed in to the enrol page with their password and a passcode.
const ProofOneSwipe Proof = ProofTemporary + 1

// ProofSMS: a passcode sent by SMS to an SMS user.
const ProofSMS Proof = ProofOneSwipe + 1

// IssueEnrolCode gives u a One Swipe enrolment code for the enrol page at
// enrolURL, valid for [EnrolCodeLifetime] and once. It replaces any code
// issued to u before; only its hash is stored.
func (s *Service) IssueEnrolCode(ctx context.Context, u store.User, enrolURL string) (oneswipe.Enrolment, error) {
	code, err := oneswipe.NewCode()
	if err != nil {
		return oneswipe.Enrolment{}, err
	}
	e := oneswipe.Enrolment{EnrolURL: enrolURL, UserID: u.UserID, Code: code, Expires: s.cfg.Now().Add(EnrolCodeLifetime).Truncate(time.Second)}
	if err := s.st.AddEnrolCode(ctx, u.ID, codeHash(code), e.Expires); err != nil {
		return oneswipe.Enrolment{}, fmt.Errorf("issue One Swipe code to %s: %w", u.UserID, err)
	}
	return e, nil
}

// UseEnrolCode checks the One Swipe enrolment code that userID presents
// and uses it up. A wrong code, or one of another user, answers
// ErrInvalidToken and counts as a failure; a code used before
// ErrCodeUsed; an expired one ErrPasscodeExpired. A locked user is refused
// before the code is looked at, and a disabled one after (ErrDisabled).
func (s *Service) UseEnrolCode(ctx context.Context, userID, code string) (store.User, error) {
	u, err := s.st.UserByUserID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, ErrInvalidToken
	}
	if err != nil {
		return store.User{}, err
	}
	if s.Locked(u) {
		return store.User{}, ErrLocked
	}
	id, err := s.st.UseEnrolCode(ctx, codeHash(code), s.cfg.Now())
	switch {
	case errors.Is(err, store.ErrCodeUsed):
		return store.User{}, ErrCodeUsed
	case errors.Is(err, store.ErrCodeExpired):
		return store.User{}, ErrPasscodeExpired
	case err == nil && id == u.ID:
		if !u.Active {
			return store.User{}, ErrDisabled
		}
		return u, s.succeeded(ctx, u)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return store.User{}, err
	}
	if err := s.fail(ctx, u); err != nil {
		return store.User{}, err
	}
	return store.User{}, ErrInvalidToken
}

// codeHash is what the store keeps of an enrolment code: 128 random bits
// need no salt or stretching.
func codeHash(code string) []byte {
	h := sha256.Sum256([]byte("softtoken one swipe enrolment code\x00" + code))
	return h[:]
}
