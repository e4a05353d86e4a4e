package account

import "context"

// NetworkLogIn is a login on behalf of a network device that asks for
// the user (a RADIUS client: a VPN concentrator, a remote desktop
// gateway, a firewall): Login, with a service account's right password
// answered as a wrong one, as Verify answers it (audited, and the
// throttle left as a wrong password leaves it), since the
// device's address is not the account's and a service account needs no
// second factor; and the passcode an SMS user owes sent, as LogIn sends
// it, unless a pre-loaded one waits (SignIn.SentTo, SignIn.SMSErr). No
// session is held: the device keeps its own. A login that owes a
// passcode (SignIn.NeedPasscode) is completed with NetworkPasscode. A
// completed login of a user who must change the password an
// administrator chose is refused (see NetworkPasscode).
func (s *Service) NetworkLogIn(ctx context.Context, o Origin, a Attempt) (SignIn, error) {
	o.peopleOnly = refusal{"login", "a service account is not verified for a network device"}
	in, err := s.Login(ctx, o, a.UserID, a.Password, a.Passcode)
	if err == nil && !in.NeedPasscode && in.Grant.mustChange {
		return SignIn{}, s.mustChangeFirst(ctx, o, in.Grant)
	}
	s.owed(ctx, o, &in, err)
	return in, err
}

// NetworkPasscode completes a NetworkLogIn that owed a passcode:
// CheckPasscode, and then ErrNotAllowed (audited) for a user who must
// change the password an administrator chose. The websocket lets such a
// user do nothing but change it; a network device cannot change it, and
// must not let into the network someone with a password another knows.
func (s *Service) NetworkPasscode(ctx context.Context, o Origin, g Grant, code string) (Grant, error) {
	g, err := s.CheckPasscode(ctx, o, g, code)
	if err == nil && g.mustChange {
		return Grant{}, s.mustChangeFirst(ctx, o, g)
	}
	return g, err
}

// mustChangeFirst records and answers the refusal of g's network login
// while its password must be changed.
func (s *Service) mustChangeFirst(ctx context.Context, o Origin, g Grant) error {
	s.Record(ctx, o, g.UserID, "login", outcome(ErrNotAllowed), "the password an administrator chose must be changed before a network device lets the user in")
	return ErrNotAllowed
}
