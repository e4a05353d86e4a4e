package account

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/softtoken/softtoken/server/store"
)

// UserFilter selects users to list: the zero filter selects everyone, and
// each field set narrows the list (they combine as AND).
type UserFilter struct {
	// Locked selects the users locked now.
	Locked bool
	// Unenrolled selects the active users with no token and no SMS
	// passcodes: not enrolled yet, or reset since (never a service
	// account, which has neither by design).
	Unenrolled bool
	// Disabled selects the users who are not active.
	Disabled bool
	// Firm selects the users of this firm (in any case).
	Firm string
	// Query selects the users whose user ID or e-mail address contains it
	// (in any case).
	Query string
}

// match reports whether f selects v.
func (f UserFilter) match(v UserDetail) bool {
	unenrolled := v.Active && !v.Service && v.TokenSerial == "" && !v.SMS
	q := strings.ToLower(strings.TrimSpace(f.Query))
	return (!f.Locked || v.Locked) && (!f.Unenrolled || unenrolled) && (!f.Disabled || !v.Active) &&
		(f.Firm == "" || strings.EqualFold(f.Firm, v.Firm)) &&
		(q == "" || strings.Contains(strings.ToLower(v.UserID), q) || strings.Contains(strings.ToLower(v.Email), q))
}

// Users lists the users f selects that by may see: every user for the
// admin command line and an admin, the people (no operators, no
// administrators) for the other roles.
func (s *Service) Users(ctx context.Context, by Actor, f UserFilter) ([]UserDetail, error) {
	var out []UserDetail
	err := s.st.View(ctx, func(tx store.ReadTx) error {
		role, err := s.reads(tx, by)
		if err != nil {
			return err
		}
		users, err := tx.ListUsers()
		if err != nil {
			return fmt.Errorf("list the users: %w", err)
		}
		for _, u := range users {
			if !role.sees(u) {
				continue
			}
			v, err := s.detail(tx, u)
			if err != nil {
				return err
			}
			if f.match(v) {
				out = append(out, v)
			}
		}
		return nil
	})
	return out, err
}

// User shows one user to by: ErrNoSuchUser when there is none, or when
// by's role may not see them (see Role), in the same words.
func (s *Service) User(ctx context.Context, by Actor, userID string) (UserDetail, error) {
	var v UserDetail
	err := s.st.View(ctx, func(tx store.ReadTx) error {
		role, err := s.reads(tx, by)
		if err != nil {
			return err
		}
		u, err := tx.UserByUserID(userID)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("user %s: %w", userID, ErrNoSuchUser)
		}
		if err != nil {
			return err
		}
		if !role.sees(u) {
			return &unseenError{userID: userID}
		}
		v, err = s.detail(tx, u)
		return err
	})
	return v, err
}

// detail is what an administrator sees of the row u.
func (s *Service) detail(tx store.ReadTx, u store.User) (UserDetail, error) {
	v := UserDetail{UserView: viewOf(u), Failures: u.Failures, LockedUntil: u.LockedUntil, Locked: s.locked(u)}
	tok, err := tx.TokenOf(u.ID)
	if err == nil {
		v.TokenSerial = tok.Serial
	} else if !errors.Is(err, store.ErrNotFound) {
		return v, err
	}
	return v, nil
}
