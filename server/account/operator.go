package account

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// Role is what an operator of the console, or a key of the admin API,
// may do (docs/console.md). Roles are granted on the admin command line
// only (`user add|update --console-role`, `apikey add --role`).
type Role string

// The console's roles.
const (
	// RoleAdmin may do everything an operator can, on every user but
	// themselves, other operators included.
	RoleAdmin Role = "admin"
	// RoleHelpdesk finds users and recovers them: unlock, log out, a
	// temporary passcode (the 30-day override with a reason too), a new
	// initial passcode with the welcome mail, a new mobile number. It
	// never sees or changes an operator or an administrator.
	RoleHelpdesk Role = "helpdesk"
	// RoleAuditor reads users (operators too), sessions and the whole
	// audit, and changes nothing.
	RoleAuditor Role = "auditor"
)

// Roles are every role, in the order the help text names them.
var Roles = []Role{RoleAdmin, RoleHelpdesk, RoleAuditor}

// ErrBadRole: a role the console does not have.
var ErrBadRole = fmt.Errorf("%w: not a console role (choose admin, helpdesk or auditor)", ErrNotAllowed)

// errServiceOperator: a service account, which signs in with its
// password alone (and may give itself a token over the websocket), is
// never an operator of the console.
var errServiceOperator = fmt.Errorf("%w: a service account is no operator of the console", ErrNotAllowed)

// ParseRole reads a role; "" and "none" are no role.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if r == "none" {
		r = ""
	}
	if r != "" && !slices.Contains(Roles, r) {
		return "", fmt.Errorf("%w: %q", ErrBadRole, s)
	}
	return r, nil
}

// roleMay is what each role may do, by the audit's name of the change
// (the name each method gives s.change); reading users, sessions and the
// audit is every role's. RoleAdmin may do everything.
var roleMay = map[Role][]string{
	RoleHelpdesk: {"user unlock", "user logout", "temporary passcode", "initial passcode", "phone"},
}

// may reports whether r may make the change name.
func (r Role) may(name string) bool {
	return r == RoleAdmin || slices.Contains(roleMay[r], name)
}

// sees reports whether r may see (and so act on) the row u at all: a
// help-desk operator sees the people they help, never an operator or an
// administrator (whose data is not theirs to read); an admin and an
// auditor see everyone.
func (r Role) sees(u store.User) bool {
	return r != RoleHelpdesk || u.ConsoleRole == "" && !u.IsAdmin
}

// OperatorSessionMax is how long an operator's console sign-in holds at
// most, however active the operator is: the console ends a session that
// is idle sooner (docs/console.md).
const OperatorSessionMax = 4 * time.Hour

// actorKind tells operators from API keys.
type actorKind int

const (
	actorNone actorKind = iota
	actorCommandLine
	actorOperator
	actorKey
)

// Actor is who acts through the console or the admin API: an operator
// signed in with their password and their own second factor
// (OperatorSignIn), or a key of the admin API (APIKeyActor). The rules
// check, in the transaction of every request, that the actor still
// holds (the operator's credentials and role unchanged, the key not
// revoked), that its role allows the request, and record its name with
// the change. The zero Actor may do nothing.
type Actor struct {
	kind  actorKind
	name  string
	role  Role
	grant Grant
	// hash is an API key's SHA-256.
	hash []byte
}

// CommandLine is the admin command line's actor: whoever has the
// database and the master key in hand may do anything.
var CommandLine = Actor{kind: actorCommandLine, name: "admin command line", role: RoleAdmin}

// Name is the operator's user ID or the key's name.
func (a Actor) Name() string { return a.name }

// Role is the actor's role.
func (a Actor) Role() Role { return a.role }

// IsKey reports whether the actor is an API key.
func (a Actor) IsKey() bool { return a.kind == actorKey }

// String names the actor as the audit does.
func (a Actor) String() string {
	switch a.kind {
	case actorOperator:
		return fmt.Sprintf("%s operator %s", a.role, printable(a.name))
	case actorKey:
		return fmt.Sprintf("%s API key %s", a.role, printable(a.name))
	case actorCommandLine:
		return a.name
	}
	return "nobody"
}

// For is the target of the actor's request about userID.
func (a Actor) For(userID string) Target { return Target{userID: userID, actor: &a} }

// Origin is o naming the actor, for the audit of what it does.
func (a Actor) Origin(o Origin) Origin {
	if a.kind == actorOperator || a.kind == actorKey {
		o.by = a.String()
	}
	return o
}

// holds checks, in tx, that a still holds: the command line always does;
// an operator's sign-in is live (see granted), not older than
// OperatorSessionMax, and of the role the operator has now; a key is not
// revoked and has its role. It returns the operator's row (zero for a
// key or the command line).
func (s *Service) holds(tx store.ReadTx, a Actor) (store.User, error) {
	switch a.kind {
	case actorCommandLine:
		return store.User{}, nil
	case actorOperator:
		u, err := s.granted(tx, a.grant)
		if err != nil {
			return store.User{}, err
		}
		if Role(u.ConsoleRole) != a.role || s.now().Sub(a.grant.At) > OperatorSessionMax {
			return store.User{}, ErrSignedOut
		}
		return u, nil
	case actorKey:
		k, err := tx.APIKeyByHash(a.hash)
		if errors.Is(err, store.ErrNotFound) || err == nil && (!k.Revoked.IsZero() || Role(k.Role) != a.role) {
			return store.User{}, ErrBadKey
		}
		return store.User{}, err
	}
	return store.User{}, ErrNotAllowed
}

// permits checks that a, whose row (for an operator) is op, may make
// the change name to u: u is not the operator themselves, a's role sees
// u (a user it does not see is answered as one nobody has: see unseen)
// and allows the change.
func permits(a Actor, op, u store.User, name string) error {
	switch {
	case a.kind == actorOperator && op.ID == u.ID:
		return fmt.Errorf("%w: an operator does not change their own account through the console", ErrNotAllowed)
	case !a.role.sees(u):
		return &unseenError{userID: u.UserID}
	case !a.role.may(name):
		return fmt.Errorf("%w: the %s role may not do %s", ErrNotAllowed, a.role, name)
	}
	return nil
}

// unseenError answers a request about a user the actor's role does not
// see (an operator or an administrator, to a help-desk operator or key)
// as one about a user nobody has, word for word, so that probing user
// IDs finds no operator; the audit records it as the refusal it is.
type unseenError struct{ userID string }

func (e *unseenError) Error() string { return fmt.Sprintf("user %s: %v", e.userID, ErrNoSuchUser) }

// Unwrap makes errors.Is(err, ErrNoSuchUser) hold.
func (e *unseenError) Unwrap() error { return ErrNoSuchUser }

// OperatorSignIn makes the actor of an operator who signed in to the
// console with their password and then a passcode of their own second
// factor (g, from CheckPasscode): a token or an SMS passcode, never a
// temporary or initial passcode someone else gave them. The user must
// have a console role and no password to change. The sign-in is audited.
func (s *Service) OperatorSignIn(ctx context.Context, o Origin, g Grant) (Actor, error) {
	var a Actor
	err := s.st.View(ctx, func(tx store.ReadTx) error {
		u, err := s.granted(tx, g)
		switch {
		case err != nil:
			return err
		case g.Proof != ProofToken && g.Proof != ProofSMS:
			return fmt.Errorf("%w: an operator signs in with their own token or SMS passcode", ErrNotAllowed)
		case u.ConsoleRole == "":
			return fmt.Errorf("%w: %s is not an operator", ErrNotAllowed, u.UserID)
		case u.Service:
			return errServiceOperator
		case u.MustChangePassword:
			return fmt.Errorf("%w: change the password on the enrol site first", ErrNotAllowed)
		}
		a = Actor{kind: actorOperator, name: u.UserID, role: Role(u.ConsoleRole), grant: g}
		return nil
	})
	if err != nil {
		s.refused(ctx, o, g.UserID, "console sign-in", err)
		return Actor{}, err
	}
	s.Record(ctx, o, a.name, "console sign-in", CodeOK, "as "+string(a.role)+" with "+g.Proof.String())
	return a, nil
}

// Check tells whether a still holds (an adapter asks on each request, so
// that an operator whose password changed meets the sign-in page at once,
// and a revoked key is refused before anything is parsed).
func (s *Service) Check(ctx context.Context, a Actor) error {
	return s.st.View(ctx, func(tx store.ReadTx) error {
		_, err := s.holds(tx, a)
		return err
	})
}

// reads checks that a holds and may read, and returns its role: every
// role reads.
func (s *Service) reads(tx store.ReadTx, a Actor) (Role, error) {
	if _, err := s.holds(tx, a); err != nil {
		return "", err
	}
	return a.role, nil
}

// hiddenFrom checks that a holds and may read, and tells which user IDs'
// sessions and audit records a may not see: for a help-desk operator,
// the other operators' and the administrators' (see Role.sees), and the
// records of no user (the admin API's keys made and revoked, the
// server's own policies and rekeys); for the rest, none.
func (s *Service) hiddenFrom(tx store.ReadTx, a Actor) (func(userID string) bool, error) {
	op, err := s.holds(tx, a)
	if err != nil || a.role != RoleHelpdesk {
		return func(string) bool { return false }, err
	}
	users, err := tx.ListUsers()
	if err != nil {
		return nil, fmt.Errorf("list the users: %w", err)
	}
	hidden := map[string]bool{"": true}
	for _, u := range users {
		if !a.role.sees(u) && u.ID != op.ID {
			hidden[strings.ToLower(u.UserID)] = true
		}
	}
	return func(userID string) bool { return hidden[strings.ToLower(userID)] }, nil
}
