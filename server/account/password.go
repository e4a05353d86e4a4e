package account

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/store"
)

// Password policy.
const (
	MinPasswordLen   = 8
	MaxPasswordBytes = 200
)

// hashPassword checks a new password against the policy and hashes it.
func (s *Service) hashPassword(ctx context.Context, pw []byte) (string, error) {
	if n := utf8.RuneCount(pw); n < MinPasswordLen || len(pw) > MaxPasswordBytes || !typeable(pw) {
		return "", ErrWeakPassword
	}
	return s.hash(ctx, pw)
}

// typeable reports text someone could type: valid UTF-8 without control
// characters. New passwords and security answers must be. Random bytes
// almost never are: what a protocol field that does not decrypt opens to
// (package challenge), or a padding probe that does, is refused with the
// same error as a password too short, whichever it was.
func typeable(b []byte) bool {
	return utf8.Valid(b) && !bytes.ContainsFunc(b, unicode.IsControl)
}

// slot takes room for one argon2id hash or check at a time (see
// Config.Hashing): ErrBusy when there is none within the pool's wait.
// Checks of a secret take it before they count an attempt, so that a busy
// server never counts one, let alone locks a user out.
func (s *Service) slot(ctx context.Context) (*password.Slot, error) {
	sl, err := s.cfg.Hashing.Acquire(ctx, s.cfg.Hash)
	if errors.Is(err, password.ErrBusy) {
		s.cfg.Logger.Warn("password hashing busy: a request was answered busy")
		return nil, ErrBusy
	}
	return sl, err
}

// hash hashes a new secret with the cost of new hashes, in the pool.
func (s *Service) hash(ctx context.Context, secret []byte) (string, error) {
	sl, err := s.slot(ctx)
	if err != nil {
		return "", err
	}
	defer sl.Release()
	return sl.Hash(secret)
}

// compare checks secret against a stored hash in sl; with no hash ("":
// no such user, no such code) it spends the same time and is false.
func compare(sl *password.Slot, hash string, secret []byte) (bool, error) {
	if hash == "" {
		sl.CheckNothing()
		return false, nil
	}
	return sl.Check(hash, secret)
}

// CheckPassword checks userID's password, as the first step of a sign-in.
// A wrong user ID answers ErrInvalidLogin like a wrong password, after the
// same hash work. A locked user gets ErrLocked whatever the password, and
// nothing is checked. Wrong passwords never lock the account: they are
// throttled per user ID and source (ErrThrottled). With the right password
// a disabled user gets ErrDisabled and the user's profile (verifylogin
// tells a back-end the account is inactive); otherwise the grant, of
// ProofPassword, and the profile to render.
func (s *Service) CheckPassword(ctx context.Context, o Origin, userID string, pw []byte) (Grant, UserView, error) {
	g, u, err := s.checkPasswordAlone(ctx, o, userID, pw)
	return g, viewOf(u), err
}

// checkPasswordAlone is checkPassword for a sign-in that is not a login
// (the enrol site, the self-help desk, an enrolment over the protocol):
// a number that took over at this password (a help desk case past its
// cooling-off) is sent the passcode for the next logon, as Login sends
// it when it lets one take over.
func (s *Service) checkPasswordAlone(ctx context.Context, o Origin, userID string, pw []byte) (Grant, store.User, error) {
	g, before, u, err := s.passwordOn(ctx, o, userID, pw)
	if err == nil && u.SMS && (!before.SMS || before.Phone != u.Phone) {
		_, _ = s.preload(ctx, o, u.UserID, true) // audited; the sign-in stands
	}
	return g, u, err
}

// checkPassword is CheckPassword with the user's row, which the rules
// decide with.
func (s *Service) checkPassword(ctx context.Context, o Origin, userID string, pw []byte) (Grant, store.User, error) {
	g, _, u, err := s.passwordOn(ctx, o, userID, pw)
	return g, u, err
}

// passwordOn is checkPassword that also returns the row as it was before
// the password settled (before a help desk case could take over).
func (s *Service) passwordOn(ctx context.Context, o Origin, userID string, pw []byte) (g Grant, before, after store.User, err error) {
	sl, err := s.slot(ctx)
	if err != nil {
		return Grant{}, before, after, err
	}
	defer sl.Release()
	if before, err = s.reserveFirst(ctx, o, userID); err != nil {
		return Grant{}, before, after, err
	}
	ok, err := s.firstFactor(ctx, o, sl, before, userID, pw)
	if err != nil {
		return Grant{}, before, after, err
	}
	sl.Release()
	g, after, err = s.settleFirst(ctx, o, userID, before, ok, nil)
	return g, before, after, err
}

// settleFirst ends a password check on the current row: a right password
// clears the source's throttle, if the password was not changed meanwhile.
// next, if not nil, runs in the same transaction after a right password
// of an active, unlocked user (a login's second step, begun at once); it
// says whether it took the step over, and then the password's own audit
// record is left to that step's.
func (s *Service) settleFirst(ctx context.Context, o Origin, userID string, checked store.User, ok bool,
	next func(tx store.Tx, u store.User) (bool, error)) (Grant, store.User, error) {
	var u store.User
	result := ErrInvalidLogin
	err := s.st.Update(ctx, func(tx store.Tx) error {
		if !ok {
			return tx.Audit(s.event(o, userID, "password", outcome(ErrInvalidLogin), ""))
		}
		var err error
		u, err = tx.UserByID(checked.ID)
		switch {
		case errors.Is(err, store.ErrNotFound) || err == nil && u.PassHash != checked.PassHash:
			return tx.Audit(s.event(o, userID, "password", outcome(ErrInvalidLogin), "the password changed meanwhile"))
		case err != nil:
			return err
		}
		// A service account's right password answered as a wrong one
		// leaves the throttle as a wrong one would: nothing tells it was
		// right. The audit says why.
		if u.Service && o.peopleOnly.detail != "" {
			return tx.Audit(s.event(o, u.UserID, o.peopleOnly.event, outcome(ErrInvalidLogin), o.peopleOnly.detail))
		}
		if u.Service && !fromAllowed(u, o.Client) {
			return tx.Audit(s.event(o, u.UserID, "service login", outcome(ErrNotAllowed), "from "+printable(o.Client)+", outside the account's networks"))
		}
		if err := tx.ClearFirstFactor(throttleKey(userID), o.source()); err != nil {
			return err
		}
		switch {
		case s.locked(u):
			result = ErrLocked
		case !u.Active:
			result = ErrDisabled
		default:
			result = nil
		}
		if result == nil {
			if err := s.deskTakesOver(tx, o, &u); err != nil {
				return err
			}
		}
		if result == nil && next != nil {
			if taken, err := next(tx, u); err != nil || taken {
				return err
			}
		}
		return tx.Audit(s.event(o, u.UserID, "password", outcome(result), ""))
	})
	switch {
	case err != nil:
		return Grant{}, store.User{}, err
	case result == nil:
		return s.grant(u, ProofPassword), u, nil
	case errors.Is(result, ErrDisabled):
		return Grant{}, u, result
	}
	return Grant{}, store.User{}, result
}

// deskTakesOver lets what waited in a help desk case past its cooling-off
// take over u, before a grant is made, and audits it.
func (s *Service) deskTakesOver(tx store.Tx, o Origin, u *store.User) error {
	detail, err := s.deskDue(tx, u)
	if err != nil || detail == "" {
		return err
	}
	return tx.Audit(s.event(o, u.UserID, "help desk cooling-off", CodeOK, detail))
}

// SignIn is a completed or half-done login.
type SignIn struct {
	Grant Grant
	// User is the profile to render (attributes, first-logon flag).
	User UserView
	// NeedPasscode says the password was right and a passcode is owed:
	// CheckPasscode with Grant completes the login.
	NeedPasscode bool
	// SentTo is where LogIn or VerifyLogIn sent by SMS the passcode that
	// an SMS user owes (the number masked); SMSErr says why none was sent
	// (ErrSMSOff, ErrSMSTooMany, or a failure of the gateway).
	SentTo string
	SMSErr error
}

// login is Login without the pre-loaded passcodes that follow it.
func (s *Service) login(ctx context.Context, o Origin, userID string, pw []byte, code string) (SignIn, error) {
	if code != "" {
		return s.loginWithCode(ctx, o, userID, pw, code)
	}
	g, u, err := s.checkPassword(ctx, o, userID, pw)
	if err != nil {
		return SignIn{User: viewOf(u)}, err
	}
	if !s.twoFactor(u) {
		if u.Service {
			s.Record(ctx, o, u.UserID, "service login", CodeOK, "password alone: a service account")
		}
		return SignIn{Grant: g, User: viewOf(u)}, nil
	}
	if err := s.canGiveSecond(ctx, u); err != nil {
		if !errors.Is(err, ErrUnavailable) {
			s.Record(ctx, o, u.UserID, "login", outcome(err), "")
		}
		return SignIn{}, err
	}
	return SignIn{Grant: g, User: viewOf(u), NeedPasscode: true}, nil
}

// loginWithCode is a login whose passcode came with the password
// (verifylogin always; login when the client sends both). It is
// CheckPassword then CheckPasscode, with the password's settling and the
// passcode's reservation in one transaction: three short transactions
// around the two hash comparisons instead of four, the busiest path's
// cost (docs/benchmarks.md).
func (s *Service) loginWithCode(ctx context.Context, o Origin, userID string, pw []byte, code string) (SignIn, error) {
	sl, err := s.slot(ctx)
	if err != nil {
		return SignIn{}, err
	}
	defer sl.Release()
	checked, err := s.reserveFirst(ctx, o, userID)
	if err != nil {
		return SignIn{}, err
	}
	ok, err := s.firstFactor(ctx, o, sl, checked, userID, pw)
	if err != nil {
		return SignIn{}, err
	}
	if byDirectory(checked) && ok { // a wrong password needs no slot: it stays counted
		if sl, err = s.reslot(ctx, o, userID); err != nil {
			return SignIn{}, err
		}
		defer sl.Release()
	}
	c := passcodeCheck{code: strings.ReplaceAll(strings.TrimSpace(code), " ", "")}
	ctx, end := store.Hold(ctx)
	defer end()
	var reserved store.User // the row the passcode's attempt was reserved on
	g, u, err := s.settleFirst(ctx, o, userID, checked, ok, s.reserveCode(&c, &reserved))
	switch {
	case err != nil:
		return SignIn{User: viewOf(u)}, err
	case !s.twoFactor(u):
		if u.Service {
			s.Record(ctx, o, u.UserID, "service login", CodeOK, "password alone: a service account")
		}
		return SignIn{Grant: g, User: viewOf(u)}, nil
	case reserved.ID == 0:
		s.refused(ctx, o, u.UserID, "passcode", ErrLocked)
		return SignIn{}, ErrLocked
	}
	m, err := s.match(sl, reserved, c)
	if err != nil {
		return SignIn{}, err
	}
	sl.Release()
	proof, err := s.settleSecond(ctx, o, g, reserved, "passcode", ErrInvalidCode, func(tx store.Tx) (Proof, string, error) {
		return s.usePasscode(tx, reserved, c, m)
	})
	if err != nil {
		return SignIn{}, err
	}
	return SignIn{Grant: s.with(g, proof), User: viewOf(u)}, nil
}

// reserveCode is a login's second step begun in the password's settling
// (settleFirst's next): it reserves the passcode's attempt on the current
// row, sets reserved to it, and reads what c may be; not taken when the
// user needs no second factor, nor when they were locked meanwhile
// (reserved stays zero).
func (s *Service) reserveCode(c *passcodeCheck, reserved *store.User) func(tx store.Tx, cur store.User) (bool, error) {
	return func(tx store.Tx, cur store.User) (bool, error) {
		if !s.twoFactor(cur) {
			return false, nil
		}
		a, got, err := tx.ReserveAttempt(cur.ID, s.cfg.MaxFailures, s.cfg.LockFor, s.now())
		if err != nil || !got {
			return false, err // not got: locked meanwhile, told by the caller
		}
		cur.Failures, cur.LockedUntil = a.Failures, a.LockedUntil
		*reserved = cur
		if err := s.loadPasscode(tx, cur, c); err != nil {
			return true, err
		}
		s.settleAhead(tx, cur, *c)
		return true, nil
	}
}

// twoFactor says whether u's logins need a second factor: everyone's but
// a service account's, unless the server lets users without a token
// (Use2FA off) in with their password alone (Config.PasswordOnly).
func (s *Service) twoFactor(u store.User) bool {
	return !u.Service && (u.Use2FA || !s.cfg.PasswordOnly)
}

// canGiveSecond answers ErrNotEnrolled for a user who has no second factor
// to give: no token, no SMS passcodes, no temporary passcode. Such a user
// can only enrol (with the initial or a temporary passcode), and is told
// so rather than asked for a passcode that does not exist.
func (s *Service) canGiveSecond(ctx context.Context, u store.User) error {
	if u.SMS {
		return nil
	}
	return s.st.View(ctx, func(tx store.ReadTx) error {
		if _, err := tx.TokenOf(u.ID); !errors.Is(err, store.ErrNotFound) {
			return err
		}
		tp, err := tx.TempPasscodeOf(u.ID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return ErrNotEnrolled
		case err != nil:
			return err
		case tp.Revoked || !s.now().Before(tp.Expires):
			return ErrNotEnrolled
		}
		return nil
	})
}

// Verify is a web back-end's verifylogin: Login on behalf of the
// administrator admin, whose grant must still hold. It verifies people: a
// service account's right password answers ErrInvalidLogin like a wrong
// one (audited, and the throttle left as a wrong one leaves it), so that
// one back-end cannot use verifylogin to try the passwords of others,
// which need no second factor.
func (s *Service) Verify(ctx context.Context, o Origin, admin Grant, userID string, pw []byte, code string) (SignIn, error) {
	o.peopleOnly = refusal{"verifylogin", "a service account is not verified for " + printable(admin.UserID)}
	o.verifier = &admin // checked before anything is counted, in the first transaction
	in, err := s.Login(ctx, o, userID, pw, code)
	if v := (verifierRefused{}); errors.As(err, &v) {
		s.refused(ctx, o, userID, "verifylogin", err)
		return SignIn{}, err // wraps the refusal, or the store's outage (store.ErrUnavailable)
	}
	return in, err
}

// authorised checks, before any slow work (a hash, a check of a
// password), that an administrator's target comes with a live grant of an
// administrator who may manage users, and that an operator's or key's
// target is one its role may make the change name to (see permits): a
// help-desk key never has a password checked, nor a hash made, for what
// its role refuses. The change checks again in its own transaction.
func (s *Service) authorised(ctx context.Context, o Origin, t Target, name string) error {
	var err error
	switch {
	case t.admin != nil:
		err = s.st.View(ctx, func(tx store.ReadTx) error { return s.isAdmin(tx, *t.admin, ScopeManage) })
	case t.actor != nil:
		err = s.st.View(ctx, func(tx store.ReadTx) error { _, err := s.actorsTarget(tx, t, name); return err })
	}
	if err != nil {
		s.refused(ctx, t.origin(o), t.userID, name, err)
	}
	return err
}

// isAdmin checks that g is a live grant of an administrator who may act
// with scope need (see Scope).
func (s *Service) isAdmin(tx store.ReadTx, g Grant, need Scope) error {
	u, err := tx.UserByID(g.id)
	switch {
	case errors.Is(err, store.ErrNotFound), err == nil && (u.Epoch != g.epoch || !strings.EqualFold(u.UserID, g.UserID) || !u.Active || s.locked(u)):
		return ErrSignedOut
	case err != nil:
		return err
	case !u.IsAdmin:
		return ErrNotAllowed
	}
	return may(u, need)
}
