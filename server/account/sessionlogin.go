package account

import "context"

// Attempt is what a login presents: the user ID, the password, and the
// passcode that came with it ("" when it comes later).
type Attempt struct {
	UserID   string
	Password []byte
	Passcode string
}

// LogIn is a login over an adapter that holds sessions (the websocket),
// in one call: Login; then, when an SMS user owes a passcode, the
// passcode sent (SignIn.SentTo, or SignIn.SMSErr says why not, which
// fails no login); and, once the login is complete, the user's session
// taken for holder (TakeSession), unless the user is an administrator,
// whom no session holds.
func (s *Service) LogIn(ctx context.Context, o Origin, holder string, a Attempt) (SignIn, error) {
	in, err := s.Login(ctx, o, a.UserID, a.Password, a.Passcode)
	if s.owed(ctx, o, &in, err) {
		return in, err
	}
	return in, s.holdSession(ctx, o, in.Grant, holder)
}

// FinishLogIn completes a login that owed a passcode (SignIn.NeedPasscode
// of LogIn): CheckPasscode, then the session taken as LogIn takes it.
func (s *Service) FinishLogIn(ctx context.Context, o Origin, holder string, g Grant, code string) (Grant, error) {
	g, err := s.CheckPasscode(ctx, o, g, code)
	if err != nil {
		return Grant{}, err
	}
	if err := s.holdSession(ctx, o, g, holder); err != nil {
		return Grant{}, err
	}
	return g, nil
}

// VerifyLogIn is Verify for a web back-end on an adapter that holds
// sessions: a passcode owed by an SMS user is sent, as LogIn sends it;
// and when holder is not "", a verified user who is not an administrator
// is held for SessionHold (HoldUser), as a session closed without a
// logout holds them.
func (s *Service) VerifyLogIn(ctx context.Context, o Origin, admin Grant, a Attempt, holder string) (SignIn, error) {
	in, err := s.Verify(ctx, o, admin, a.UserID, a.Password, a.Passcode)
	if s.owed(ctx, o, &in, err) || holder == "" || in.Grant.admin {
		return in, err
	}
	if err := s.HoldUser(ctx, o, in.Grant, holder); err != nil {
		return SignIn{}, err
	}
	return in, nil
}

// LogOut ends holder's session of the user of g at once, so that they may
// log in again, and audits the logout.
func (s *Service) LogOut(ctx context.Context, o Origin, g Grant, holder string) error {
	err := s.EndSession(ctx, g.UserID, holder, true)
	s.Record(ctx, o, g.UserID, "logout", CodeOK, "")
	return err
}

// owed sends the passcode that the sign-in in, which ended with err,
// owes an SMS user, unless Login pre-loaded one just now; under
// SMSPreload it sends none (ErrSMSPreloaded: the user has one). It
// reports whether in is settled: failed, or owing a passcode.
func (s *Service) owed(ctx context.Context, o Origin, in *SignIn, err error) bool {
	if err == nil && in.NeedPasscode && in.User.SMS && in.SentTo == "" {
		switch {
		case s.cfg.SMSMode.onDemand():
			in.SentTo, in.SMSErr = s.SendLoginCode(ctx, o, in.Grant)
		case in.SMSErr == nil:
			in.SMSErr = ErrSMSPreloaded
		}
	}
	return err != nil || in.NeedPasscode
}

// holdSession takes the session of the user of g for holder, unless the
// user is an administrator.
func (s *Service) holdSession(ctx context.Context, o Origin, g Grant, holder string) error {
	if g.admin {
		return nil
	}
	return s.TakeSession(ctx, o, g, holder)
}
