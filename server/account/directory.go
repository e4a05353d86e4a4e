package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/softtoken/softtoken/server/directory"
	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/store"
)

// SourceDirectory is the store.User Source of a user whose password the
// bank's directory checks (Config.Directory; docs/directory.md). Every
// other user (operators, service accounts, break-glass administrators)
// has a local password.
const SourceDirectory = "directory"

// ErrDirectoryUnavailable: the directory did not answer a password check
// (network, timeout, its service account refused). It is ErrBusy to the
// adapters (CodeBusy: try again shortly, nothing was counted), never a
// wrong password nor a lockout; the audit records it as busy with the
// directory named, and the log has the cause.
var ErrDirectoryUnavailable = fmt.Errorf("%w: the directory does not answer", ErrBusy)

// MaxDirectoryPasswordBytes bounds a password sent to the directory
// (Active Directory's longest is 256 characters, 1024 bytes at most in
// UTF-8). A longer one is wrong without asking: a directory drops or
// refuses a bind too large for it, which would otherwise look like an
// outage, refunded, and let anyone send such passwords without end.
const MaxDirectoryPasswordBytes = 1024

// errDirectoryPassword refuses a local password for a directory user: the
// directory's is changed or reset in the directory.
var errDirectoryPassword = fmt.Errorf("%w: the user's password is the directory's: change or reset it there", ErrNotAllowed)

// firstFactor checks pw, the first factor of userID whose row reserveFirst
// read (u, zero for no user): against the local hash, or for a directory
// user by the directory's bind as them. It runs after the throttle's
// reservation, so that a source throttled here never reaches the
// directory (and never locks the directory's account by hammering it).
// When the directory does not answer, the reservation is refunded, the
// outage audited, and ErrDirectoryUnavailable returned. The password is
// never stored, nor kept past the check. The bind runs without the
// hashing slot sl (released first): a directory slow to answer must not
// hold the pool's memory, and make the local users' sign-ins (a
// break-glass administrator's during an outage) busy; see reslot.
func (s *Service) firstFactor(ctx context.Context, o Origin, sl *password.Slot, u store.User, userID string, pw []byte) (bool, error) {
	if !byDirectory(u) {
		return compare(sl, u.PassHash, pw)
	}
	sl.Release()
	if len(pw) > MaxDirectoryPasswordBytes {
		return false, nil
	}
	err := directory.ErrUnavailable
	if s.cfg.Directory != nil {
		err = s.cfg.Directory.CheckPassword(ctx, u.UserID, u.DirectoryKey, pw)
	}
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, directory.ErrWrongPassword):
		return false, nil
	}
	s.cfg.Logger.Warn("the directory did not answer a password check", "userid", u.UserID, "err", err)
	err = s.st.Update(ctx, func(tx store.Tx) error {
		if err := tx.RefundFirstFactor(throttleKey(userID), o.source()); err != nil {
			return err
		}
		return tx.Audit(s.event(o, userID, "password", CodeBusy, "the directory does not answer"))
	})
	if err != nil {
		return false, err
	}
	return false, ErrDirectoryUnavailable
}

// byDirectory says whether u's password is the directory's.
func byDirectory(u store.User) bool { return u.ID != 0 && u.Source == SourceDirectory }

// reslot takes a hashing slot again after a directory's check (which ran
// without one), for the passcode that came with a right password (a wrong
// one needs none, and must stay counted). When the
// pool is busy, the first factor's reservation is refunded, as it is
// when the directory does not answer: ErrBusy counts nothing.
func (s *Service) reslot(ctx context.Context, o Origin, userID string) (*password.Slot, error) {
	sl, err := s.slot(ctx)
	if err == nil {
		return sl, nil
	}
	if rerr := s.st.Update(ctx, func(tx store.Tx) error { return tx.RefundFirstFactor(throttleKey(userID), o.source()) }); rerr != nil {
		return nil, rerr
	}
	return nil, err
}
