package account

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// Concurrent access (guide: a second access with the same credentials is
// refused for some minutes): a user's session is a lease in the database,
// so that every node of a cluster sees it. An open socket holds it and
// keeps it fresh; a socket closed without a logout holds it for
// SessionHold more; a logout ends it at once. A node that dies stops
// refreshing its leases, which lapse SessionHold later, never before.

// HeldError is the refusal of a session held by another holder: Open says
// its socket is open (the hold ends when it logs out); otherwise Until is
// when the hold ends.
type HeldError struct {
	Open  bool
	Until time.Time
}

func (e *HeldError) Error() string {
	if e.Open {
		return ErrHeld.Error() + ": another session is open"
	}
	return fmt.Sprintf("%v until %s", ErrHeld, e.Until.UTC().Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, ErrHeld) hold.
func (e *HeldError) Unwrap() error { return ErrHeld }

// SessionHold is how long a session holds its user after its socket
// closed without a logout; open sockets keep their leases fresh well
// within it.
func (s *Service) SessionHold() time.Duration { return s.cfg.SessionHold }

// NewHolder names a new session holder (one socket), unique across nodes.
func NewHolder() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	return base32.StdEncoding.EncodeToString(b)
}

// TakeSession gives the user of g a session held by holder, or answers a
// *HeldError while another holder's session lasts.
func (s *Service) TakeSession(ctx context.Context, o Origin, g Grant, holder string) error {
	var held *HeldError
	err := s.st.Update(ctx, func(tx store.Tx) error {
		held = nil // a transaction run again (store.Store.Update) starts afresh
		u, err := s.granted(tx, g)
		if err != nil {
			return err
		}
		other, ok, err := tx.TakeLease(u.UserID, holder, s.now().Add(s.cfg.SessionHold), s.now())
		if err != nil || ok {
			return err
		}
		held = &HeldError{Open: other.Open, Until: other.Until}
		return tx.Audit(s.event(o, u.UserID, "session", outcome(ErrHeld), ""))
	})
	if err == nil && held != nil {
		return held
	}
	return err
}

// KeepSession keeps holder's session of the user of g from lapsing for
// another SessionHold while g holds; an open socket calls it more often
// than that. When g no longer holds (the user was reset, disabled, deleted
// or locked), the session ends at once and the error says why: the socket
// must close, and the real user may log in.
func (s *Service) KeepSession(ctx context.Context, g Grant, holder string) error {
	var stale error
	err := s.st.Update(ctx, func(tx store.Tx) error {
		if _, stale = s.granted(tx, g); stale != nil {
			_, err := tx.EndLease(g.UserID, holder, time.Time{})
			return err
		}
		return tx.RefreshLeases(holder, s.now().Add(s.cfg.SessionHold))
	})
	if err != nil {
		return err
	}
	return stale
}

// EndSession ends holder's session of userID: at once after a logout,
// SessionHold from now when the socket just closed.
func (s *Service) EndSession(ctx context.Context, userID, holder string, loggedOut bool) error {
	until := s.now().Add(s.cfg.SessionHold)
	if loggedOut {
		until = time.Time{}
	}
	return s.st.Update(ctx, func(tx store.Tx) error {
		_, err := tx.EndLease(userID, holder, until)
		return err
	})
}

// HoldUser holds the user of g for SessionHold, as a session closed
// without a logout does (a portal's verifylogin, where the site wants
// that), or answers a *HeldError while another holder's session lasts.
func (s *Service) HoldUser(ctx context.Context, o Origin, g Grant, holder string) error {
	if err := s.TakeSession(ctx, o, g, holder); err != nil {
		return err
	}
	return s.EndSession(ctx, g.UserID, holder, false)
}

// Logout ends the user's session, whoever holds it, so that they may log
// in again at once (an administrator's `user logout`). The socket that
// held it, if still open, goes on until it closes.
func (s *Service) Logout(ctx context.Context, o Origin, t Target) error {
	if err := adminOnly(t); err != nil {
		return err
	}
	_, err := s.change(ctx, o, t, "user logout", func(tx store.Tx, u *store.User) (string, error) {
		ended, err := tx.DropLease(u.UserID)
		if err == nil && !ended {
			err = ErrNoSession
		}
		return "", err
	})
	return err
}

// Sessions lists the sessions that hold users now that by may see
// (`session list`, the console; see Role).
func (s *Service) Sessions(ctx context.Context, by Actor) ([]Session, error) {
	var out []Session
	err := s.st.View(ctx, func(tx store.ReadTx) error {
		hidden, err := s.hiddenFrom(tx, by)
		if err != nil {
			return err
		}
		leases, err := tx.Leases(s.now())
		for _, l := range leases {
			if !hidden(l.UserID) {
				out = append(out, Session{UserID: l.UserID, Open: l.Open, Until: l.Until})
			}
		}
		return err
	})
	return out, err
}
