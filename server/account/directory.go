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
// never stored, nor kept past the check.
func (s *Service) firstFactor(ctx context.Context, o Origin, sl *password.Slot, u store.User, userID string, pw []byte) (bool, error) {
	if u.ID == 0 || u.Source != SourceDirectory {
		return compare(sl, u.PassHash, pw)
	}
	err := directory.ErrUnavailable
	if s.cfg.Directory != nil {
		err = s.cfg.Directory.CheckPassword(ctx, u.UserID, pw)
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
