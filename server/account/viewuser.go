package account

import (
	"context"

	"github.com/softtoken/softtoken/server/store"
)

// ViewUser is what the target's authority may know of the user it names:
// their own view for a user's own grant, an ordinary user's (or their
// own) for an administrator who may manage users, anyone's for the admin
// command line; the refusals are userOf's. An adapter reads it to render
// a reply after a change (the protocol's password replies carry the
// user's attributes), never to decide with: every change reads the
// current row again.
func (s *Service) ViewUser(ctx context.Context, t Target) (UserView, error) {
	var v UserView
	err := s.st.View(ctx, func(tx store.ReadTx) error {
		u, err := s.userOf(tx, t)
		v = viewOf(u)
		return err
	})
	return v, err
}
