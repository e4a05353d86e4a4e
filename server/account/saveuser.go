package account

import (
	"context"
	"errors"

	"github.com/softtoken/softtoken/token"
)

// ErrPasswordNeeded: a user is to be created, but no password was given
// for them (the websocket's adduser for a user who does not exist yet).
var ErrPasswordNeeded error = &Error{Code: CodePasswordNeeded, Message: "the new user's password is required"}

// SaveUser is the websocket's adduser of an administrator's grant, in one
// call: the user n.UserID's profile changed as change says when they
// exist (UpdateProfile), or else the user created as n says
// (CreateUser), which needs n.Password (ErrPasswordNeeded). It returns
// the new token of either, once, when one was made (change.NewSeed, or
// n.Seed).
func (s *Service) SaveUser(ctx context.Context, o Origin, admin Grant, n NewUser, change Profile) (*token.Token, error) {
	tok, err := s.UpdateProfile(ctx, o, admin.For(n.UserID), change)
	if !errors.Is(err, ErrNoSuchUser) {
		return tok, err
	}
	if len(n.Password) == 0 {
		return nil, ErrPasswordNeeded
	}
	created, err := s.CreateUser(ctx, o, &admin, n)
	return created.Token, err
}
