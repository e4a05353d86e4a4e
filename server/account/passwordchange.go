package account

import (
	"bytes"
	"context"

	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/store"
)

// ChangePassword is a password change that proves the current password
// (guide, section 6.1): by the user (t is their own grant) or by an
// administrator who knows it (an admin grant's For). The new password must
// differ from the current one and meet the policy; it needs no
// re-enrolment, and the first-logon flag is cleared. profile changes go
// with it, in the same transaction (an administrator's only). Every other
// sign-in of the user ends; a user's own change returns their new grant,
// and every change the user as it left them (for the reply).
//
// Who may ask, and the current password, are checked before anything of
// next: a new password that no one could type (a padding probe's random
// bytes) tells only someone who knows the current password that it was
// refused.
func (s *Service) ChangePassword(ctx context.Context, o Origin, t Target, current, next []byte, profile Profile) (Grant, UserView, error) {
	if t.admin == nil && !profile.empty() {
		return Grant{}, UserView{}, ErrNotAllowed
	}
	if err := profile.grantedBy(t); err != nil {
		return Grant{}, UserView{}, err
	}
	if err := s.authorised(ctx, o, t, "password change"); err != nil {
		return Grant{}, UserView{}, err // no password of another user is checked for a non-administrator
	}
	if _, _, err := s.CheckPassword(ctx, t.origin(o), t.userID, current); err != nil {
		return Grant{}, UserView{}, err
	}
	if bytes.Equal(current, next) {
		return Grant{}, UserView{}, ErrSamePassword
	}
	hash, err := s.hashPassword(ctx, next)
	if err != nil {
		return Grant{}, UserView{}, err
	}
	return s.setPassword(ctx, o, t, "password change", hash, false, profile)
}

// SetPassword is an administrator's reset of userID's password without the
// current one (protocol: adduser with updateprof and resetpass): the user
// must change it at the next login. profile changes go with it. It
// returns the user as the change left them (for the reply).
func (s *Service) SetPassword(ctx context.Context, o Origin, t Target, next []byte, profile Profile) (UserView, error) {
	if err := adminOnly(t); err != nil {
		return UserView{}, err
	}
	if err := profile.grantedBy(t); err != nil {
		return UserView{}, err
	}
	if err := s.authorised(ctx, o, t, "password reset"); err != nil {
		return UserView{}, err // before any hash work
	}
	hash, err := s.hashPassword(ctx, next)
	if err != nil {
		return UserView{}, err
	}
	_, v, err := s.setPassword(ctx, o, t, "password reset", hash, true, profile)
	return v, err
}

// setPassword stores a new password hash with the profile changes, and
// ends every other grant of the user; it returns the user's new grant
// (for their own change) and the user as the change left them.
func (s *Service) setPassword(ctx context.Context, o Origin, t Target, name, hash string, mustChange bool, profile Profile) (Grant, UserView, error) {
	var g Grant
	u, err := s.change(ctx, o, t, name, func(tx store.Tx, u *store.User) (string, error) {
		if u.Source == SourceDirectory {
			return "", errDirectoryPassword
		}
		if _, err := s.applyProfile(tx, u, profile); err != nil {
			return "", err
		}
		if err := tx.SetPassword(u.ID, hash, mustChange); err != nil {
			return "", err
		}
		u.MustChangePassword = mustChange
		if t.self == nil {
			// Someone else set it: the user's session ends with it.
			if _, err := tx.DropLease(u.UserID); err != nil {
				return "", err
			}
		}
		var err error
		proof := ProofPassword
		if t.self != nil {
			proof = t.self.Proof
		}
		g, err = s.moved(tx, u, proof)
		return "", err
	})
	if err != nil {
		return Grant{}, UserView{}, err
	}
	s.notify(ctx, t.origin(o), u, mail.PasswordNotice(lang.Or(u.Lang), "", "", u.UserID, mustChange, s.now()))
	return g, viewOf(u), nil
}
