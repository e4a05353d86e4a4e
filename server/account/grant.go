package account

import (
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// Proof is how a user proved who they are in a sign-in or an enrolment.
type Proof int

// The proofs softtoken accepts (guide, sections 4.2, 5 and 7).
const (
	// ProofPassword: the password alone; a passcode is still owed where
	// the user has two factors.
	ProofPassword Proof = iota + 1
	// ProofInitial: the initial passcode of the welcome mail.
	ProofInitial
	// ProofToken: a passcode of the user's current token.
	ProofToken
	// ProofTemporary: a temporary passcode (guide, section 5).
	ProofTemporary
	// ProofOneSwipe: a One Swipe enrolment code, issued to the user after
	// they signed in to the enrol page with their password and a passcode.
	ProofOneSwipe
	// ProofSMS: a passcode sent by SMS to an SMS user.
	ProofSMS
	// ProofAnswer: the password and a security answer, at the self-help
	// desk: enough to ask for a temporary passcode or a new number, never
	// to enrol.
	ProofAnswer
)

var proofNames = map[Proof]string{ProofPassword: "password", ProofInitial: "initial passcode", ProofToken: "token passcode",
	ProofTemporary: "temporary passcode", ProofOneSwipe: "One Swipe code", ProofSMS: "SMS passcode", ProofAnswer: "security answer"}

// String names the proof in words, for the audit.
func (p Proof) String() string { return proofNames[p] }

// passcode reports whether p proves the second factor.
func (p Proof) passcode() bool {
	return p == ProofInitial || p == ProofToken || p == ProofTemporary || p == ProofOneSwipe || p == ProofSMS
}

// Grant is what a sign-in proved: which user, how, and the user's epoch
// then. Adapters keep it for the session, never a copy of the user: every
// method that acts on a grant reads the current row, and refuses when the
// user was deleted, disabled or locked, or their credentials changed
// (ErrSignedOut).
type Grant struct {
	UserID string
	Proof  Proof
	// At is when the grant was made.
	At    time.Time
	id    int64
	epoch int64
	// mustChange: the password was set by an administrator for this user,
	// who must change it before anything else (it changes only with the
	// password, which moves the epoch on, so it never goes stale).
	mustChange bool
	// admin: the user is an administrator, whom no session holds.
	admin bool
}

// MustChangePassword reports that the user signed in with a password an
// administrator set for them (a new user's, or a reset's): a login or the
// enrol site lets them do nothing but change it (docs/protocol.md).
func (g Grant) MustChangePassword() bool { return g.mustChange }

// with is g proving p instead, at the time of the proof.
func (s *Service) with(g Grant, p Proof) Grant {
	g.Proof, g.At = p, s.now()
	return g
}

// grant is a Grant of u's current row.
func (s *Service) grant(u store.User, p Proof) Grant {
	return Grant{UserID: u.UserID, Proof: p, At: s.now(), id: u.ID, epoch: u.Epoch, mustChange: u.MustChangePassword, admin: u.IsAdmin}
}

// granted reads the user of g and checks that g still holds: the user
// exists, is active and not locked, and has the epoch g saw.
func (s *Service) granted(tx store.ReadTx, g Grant) (store.User, error) {
	u, err := s.current(tx, g)
	if err == nil && s.locked(u) {
		return store.User{}, ErrLocked
	}
	return u, err
}

// locked reports whether u is locked out now.
func (s *Service) locked(u store.User) bool {
	return !u.LockedUntil.IsZero() && s.now().Before(u.LockedUntil)
}

// Target names the user an operation is for, with the authority of the
// request: the user's own grant ([Grant.Self]), an administrator's grant
// over the websocket ([Grant.For]), or the admin command line ([ByAdmin]),
// which has the database in hand anyway.
type Target struct {
	userID string
	self   *Grant
	admin  *Grant
	// actor: an operator's or an API key's request (Actor.For).
	actor *Actor
}

// Self is the target of the user's own request.
func (g Grant) Self() Target { return Target{userID: g.UserID, self: &g} }

// For is the target of an administrator's request about userID; it is
// refused unless g is a live grant of an administrator.
func (g Grant) For(userID string) Target { return Target{userID: userID, admin: &g} }

// ByAdmin is the target of an admin command about userID.
func ByAdmin(userID string) Target { return Target{userID: userID} }

// name is the user ID the target names, for the audit.
func (t Target) name() string { return t.userID }

// origin is o naming the target's actor, if any, for the audit.
func (t Target) origin(o Origin) Origin {
	if t.actor != nil {
		return t.actor.Origin(o)
	}
	return o
}

// moved moves u's epoch on: every grant of u ends, as do the One Swipe
// enrolment codes not used yet, and the returned grant (of proof p) is the
// only live one. A change the user makes themselves returns it, so that
// their own session goes on.
func (s *Service) moved(tx store.Tx, u *store.User, p Proof) (Grant, error) {
	if err := tx.DeleteEnrolCodes(u.ID); err != nil {
		return Grant{}, err
	}
	epoch, err := tx.BumpEpoch(u.ID)
	if err != nil {
		return Grant{}, err
	}
	u.Epoch = epoch
	return s.grant(*u, p), nil
}

// HasPasscode reports whether g proves a passcode (or what stands in for
// one): a complete sign-in.
func (g Grant) HasPasscode() bool { return g.Proof.passcode() }
