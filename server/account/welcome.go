package account

import (
	"context"

	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/store"
)

// NewInitialPasscode gives a user who has not enrolled yet a new initial
// passcode, for a welcome mail lost or expired (an operator's "resend the
// welcome mail"): the last one stops working, and the new one works for
// InitialPasscodeValidity. The welcome mail goes to the address on file
// when mail is configured; the passcode is returned too, to be read out to
// the user when it does not (Created.Mail says which). A user with a token
// or SMS passcodes is refused (ErrEnrolled): they have a second factor,
// and a new initial passcode would be a second way in.
func (s *Service) NewInitialPasscode(ctx context.Context, o Origin, t Target) (Created, error) {
	if err := adminOnly(t); err != nil {
		return Created{}, err
	}
	if err := s.authorised(ctx, o, t, "initial passcode"); err != nil {
		return Created{}, err // before any hash work
	}
	code, initial, err := s.newInitialPasscode(ctx)
	if err != nil {
		return Created{}, err
	}
	u, err := s.change(ctx, o, t, "initial passcode", func(tx store.Tx, u *store.User) (string, error) {
		enrolled, err := s.hasToken(tx, *u)
		switch {
		case err != nil:
			return "", err
		case enrolled || u.SMS:
			return "", ErrEnrolled
		case u.Service:
			return "", ErrNotAllowed
		}
		if err := tx.SetInitialPasscode(u.ID, initial); err != nil {
			return "", err
		}
		_, err = s.moved(tx, u, ProofPassword)
		return "valid until " + initial.Expires.UTC().Format("2006-01-02 15:04Z"), err
	})
	if err != nil {
		return Created{}, err
	}
	c := Created{User: viewOf(u), InitialPasscode: code}
	m := mail.Welcome(lang.Or(u.Lang), "", "", u.UserID, s.cfg.EnrolURL, code, initial.Expires, s.now())
	c.Mail = s.notify(ctx, t.origin(o), u, m)
	return c, nil
}
