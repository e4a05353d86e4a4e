package account

import "context"

// NetworkLogIn is a login on behalf of a network device that asks for
// the user (a RADIUS client: a VPN concentrator, a remote desktop
// gateway, a firewall): Login, with a service account's right password
// answered as a wrong one, as Verify answers it (audited), since the
// device's address is not the account's and a service account needs no
// second factor; and the passcode an SMS user owes sent, as LogIn sends
// it, unless a pre-loaded one waits (SignIn.SentTo, SignIn.SMSErr). No
// session is held: the device keeps its own. A login that owes a
// passcode (SignIn.NeedPasscode) is completed with CheckPasscode.
func (s *Service) NetworkLogIn(ctx context.Context, o Origin, a Attempt) (SignIn, error) {
	in, err := s.Login(ctx, o, a.UserID, a.Password, a.Passcode)
	if err == nil && in.User.Service {
		s.Record(ctx, o, in.User.UserID, "login", outcome(ErrInvalidLogin), "a service account is not verified for a network device")
		return SignIn{}, ErrInvalidLogin
	}
	s.owed(ctx, o, &in, err)
	return in, err
}
