package account

import (
	"context"
	"errors"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// ReleaseHold ends, at once, the hold that a web back-end's verifylogin
// took on userID (VerifyLogIn with a holder), when the user signs out of
// the portal: they may then sign in again, through the portal or a
// websocket, without waiting for SessionHold to pass. Only the back-end
// that holds it may: admin must be a live grant of an administrator with
// the verify scope (ErrNotAllowed, or a *ScopeError, otherwise) and
// holder the one its verifylogin held the user with; a hold of another
// holder (another back-end's, a user's own socket) or none at all is
// ErrNoSession, and stays. Every request is audited ("verifylogout"),
// naming the back-end.
func (s *Service) ReleaseHold(ctx context.Context, o Origin, admin Grant, userID, holder string) error {
	const name = "verifylogout"
	err := s.st.Update(ctx, func(tx store.Tx) error {
		if err := s.isAdmin(tx, admin, ScopeVerify); err != nil {
			return err
		}
		u, err := tx.UserByUserID(userID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return ErrNoSession
		case err != nil:
			return err
		}
		userID = u.UserID // the audit names the user as the store does
		ended, err := tx.EndLease(userID, holder, time.Time{})
		switch {
		case err != nil:
			return err
		case !ended:
			return ErrNoSession
		}
		return tx.Audit(s.event(o, userID, name, CodeOK, "by "+printable(admin.UserID)))
	})
	switch {
	case err == nil:
	case errors.As(err, new(*ScopeError)):
		s.refused(ctx, o, userID, name, err)
	case outcome(err) != CodeFailed:
		s.Record(ctx, o, userID, name, outcome(err), "by "+printable(admin.UserID))
	}
	return err
}
