package account

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/sms"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/token"
)

// InitialPasscodeValidity is how long a welcome mail's passcode works; a
// user who has not enrolled by then is disabled (guide, section 4).
const InitialPasscodeValidity = 30 * 24 * time.Hour

// NewUser is what an administrator gives for a new user.
type NewUser struct {
	UserID   string
	Password []byte
	Firm     string
	Roles    string
	Attr     json.RawMessage
	Admin    bool
	// Service makes the administrator a service account, which a web
	// back-end signs in as (verifylogin, adduser) with its password alone:
	// it has no token, SMS passcodes or initial passcode, and each of its
	// logins is audited. Limits bound what it may do and where from.
	Service bool
	Limits  ServiceLimits
	// Use2FA asks for a passcode at every login; SMS sends it by text
	// message to Phone.
	Use2FA, SMS  bool
	Email, Phone string
	// InitialPasscode issues the welcome mail's passcode (30 days).
	InitialPasscode bool
	// Seed gives the user a token now (adduser with use2fa "Y").
	Seed bool
	// Lang is the language of the user's mails and text messages (a
	// server/lang code; "" is English).
	Lang string
	// OwnPassword says the password is its owner's (typed by them, such as
	// an administrator's or a service account's): no change is forced at
	// the first login. Otherwise an administrator chose it for the user,
	// who must change it before anything else.
	OwnPassword bool
	// ConsoleRole makes the user an operator of the console (see Role);
	// only the admin command line and an admin operator or key may.
	ConsoleRole Role
	// source is SourceDirectory for a user the directory sync makes
	// (no password here); "" for everyone else.
	source string
	// directoryKey is the entry's identity of such a user
	// (store.User.DirectoryKey).
	directoryKey string
}

// Created is a new user, with the secrets to hand over once.
type Created struct {
	User            UserView
	InitialPasscode string
	// Token is the new seed, when NewUser.Seed asked for one.
	Token *token.Token
	// SMSTo is where an SMS user's first passcode, pre-loaded, went (the
	// number masked); SMSErr says why none went (see Config.SMSMode).
	SMSTo  string
	SMSErr error
	// Mail says where the welcome mail with the initial passcode went, or
	// why it did not (NewInitialPasscode; the admin command line mails
	// its own).
	Mail string
}

// CreateUser adds a user, in one transaction with their initial passcode
// and seed. by is an administrator's grant (websocket adduser), or nil for
// the admin command line. Unless n.OwnPassword, the first login must
// change the password.
func (s *Service) CreateUser(ctx context.Context, o Origin, by *Grant, n NewUser) (Created, error) {
	return s.createUser(ctx, o, n, func(tx store.ReadTx) error {
		switch {
		case by == nil:
			return nil
		case n.ConsoleRole != "":
			return fmt.Errorf("%w: console roles are granted by an administrator, not a service account", ErrNotAllowed)
		}
		return s.isAdmin(tx, *by, ScopeManage)
	})
}

// AddUser is CreateUser by an operator or API key whose role adds users
// (an admin), recorded under its name.
func (s *Service) AddUser(ctx context.Context, o Origin, by Actor, n NewUser) (Created, error) {
	o = by.Origin(o)
	allowed := func(tx store.ReadTx) error {
		if _, err := s.holds(tx, by); err != nil {
			return err
		}
		if !by.role.may("user add") {
			return fmt.Errorf("%w: the %s role may not add users", ErrNotAllowed, by.role)
		}
		return nil
	}
	// A role that adds no users is refused for that (and on record)
	// before anything of n is checked or hashed; the transaction that
	// adds checks again.
	if err := s.st.View(ctx, func(tx store.ReadTx) error { return allowed(tx) }); err != nil {
		s.refused(ctx, o, n.UserID, "user add", err)
		return Created{}, err
	}
	return s.createUser(ctx, o, n, allowed)
}

// createUser adds n, in one transaction with its initial passcode and
// seed, once allowed says the request may.
func (s *Service) createUser(ctx context.Context, o Origin, n NewUser, allowed func(store.ReadTx) error) (Created, error) {
	n, err := n.checked()
	if err != nil {
		return Created{}, err
	}
	hash := "" // a directory user's password is the directory's, never stored
	if n.source != SourceDirectory {
		if hash, err = s.hashPassword(ctx, n.Password); err != nil {
			return Created{}, err
		}
	}
	var c Created
	var initial store.InitialPasscode
	if n.InitialPasscode {
		if c.InitialPasscode, initial, err = s.newInitialPasscode(ctx); err != nil {
			return Created{}, err
		}
	}
	err = s.st.Update(ctx, func(tx store.Tx) error {
		if err := allowed(tx); err != nil {
			return err
		}
		scope, networks := "", ""
		if n.Service {
			scope, networks = n.Limits.columns()
		}
		u, err := tx.CreateUser(store.User{Scope: scope, Networks: networks, UserID: n.UserID, Firm: n.Firm, Roles: n.Roles, Attr: n.Attr, IsAdmin: n.Admin, Service: n.Service, Active: true,
			Use2FA: n.Use2FA || n.Seed, SMS: n.SMS, PassHash: hash, MustChangePassword: !n.OwnPassword, Email: n.Email, Phone: n.Phone,
			Created: s.now(), Epoch: firstEpoch(), Lang: n.Lang, ConsoleRole: string(n.ConsoleRole), Source: n.source,
			DirectoryKey: n.directoryKey})
		if errors.Is(err, store.ErrExists) {
			return fmt.Errorf("user %s: %w", n.UserID, ErrUserExists)
		}
		if err != nil {
			return err
		}
		if n.InitialPasscode {
			if err := tx.SetInitialPasscode(u.ID, initial); err != nil {
				return err
			}
		}
		if n.Seed {
			if c.Token, err = s.newToken(tx, u); err != nil {
				return err
			}
		}
		c.User = viewOf(u)
		detail := ""
		if n.ConsoleRole != "" {
			detail = "console role " + string(n.ConsoleRole)
		}
		return tx.Audit(s.event(o, u.UserID, "user add", CodeOK, detail))
	})
	if err != nil {
		s.refused(ctx, o, n.UserID, "user add", err)
	} else if n.SMS {
		c.SMSTo, c.SMSErr = s.preload(ctx, o, c.User.UserID, false)
	}
	return c, err
}

// checked is n with its user ID trimmed and checked, its attributes and
// number checked (the number normalised), and Use2FA set for SMS.
func (n NewUser) checked() (NewUser, error) {
	n.UserID = strings.TrimSpace(n.UserID)
	if n.UserID == "" || len(n.UserID) > 128 || strings.ContainsAny(n.UserID, "\x00\r\n") {
		return n, fmt.Errorf("%w: a user ID is 1 to 128 characters on one line", ErrNotAllowed)
	}
	var err error
	if n.Attr, err = CheckAttr(n.Attr); err != nil {
		return n, err
	}
	if n.Lang, err = checkLang(n.Lang); err != nil {
		return n, err
	}
	if n.ConsoleRole, err = ParseRole(string(n.ConsoleRole)); err != nil {
		return n, err
	}
	if n.Phone != "" || n.SMS {
		phone, err := sms.Normalize(n.Phone)
		if err != nil {
			return n, fmt.Errorf("%w: %v", ErrBadPhone, err)
		}
		n.Phone = phone
	}
	if n.SMS && n.Seed {
		return n, fmt.Errorf("%w: passcodes come by SMS or from a token, not both", ErrNotAllowed)
	}
	n.Use2FA = n.Use2FA || n.SMS
	if n.Service && (!n.Admin || n.Use2FA || n.Seed) {
		return n, fmt.Errorf("%w: a service account is an administrator without a second factor", ErrNotAllowed)
	}
	if n.Service && n.ConsoleRole != "" {
		return n, errServiceOperator
	}
	if !n.Service && (len(n.Limits.Scopes) > 0 || len(n.Limits.Networks) > 0) {
		return n, fmt.Errorf("%w: only a service account has scopes and networks", ErrBadScope)
	}
	if n.Service {
		n.InitialPasscode, n.OwnPassword, n.Limits = false, true, n.Limits.withDefaults()
	}
	return n, nil
}

// checkLang returns a user's language code as stored: English for "", and
// ErrNotAllowed wrapping lang.ErrUnknown for a language the server does not
// speak.
func checkLang(code string) (string, error) {
	if code == "" {
		return string(lang.English), nil
	}
	l, err := lang.Parse(code)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNotAllowed, err)
	}
	return string(l), nil
}

// firstEpoch is a new user's epoch: random, so that a grant of a deleted
// user never matches a new user who gets the same row ID.
func firstEpoch() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.BigEndian.Uint64(b[:]) >> 2) // room to count up
}

// newInitialPasscode makes a 6-digit passcode for the welcome mail and its
// hashed record.
func (s *Service) newInitialPasscode(ctx context.Context) (string, store.InitialPasscode, error) {
	code, err := randomDigits(InitialPasscodeDigits)
	if err != nil {
		return "", store.InitialPasscode{}, err
	}
	hash, err := s.hash(ctx, []byte(code))
	if err != nil {
		return "", store.InitialPasscode{}, err
	}
	return code, store.InitialPasscode{Hash: hash, Expires: s.now().Add(InitialPasscodeValidity)}, nil
}

// newToken gives u a fresh token in tx, replacing any other, and ends SMS
// passcodes and every grant of u.
func (s *Service) newToken(tx store.Tx, u store.User) (*token.Token, error) {
	tok, sealed, err := s.pendingSeed(u)
	if err != nil {
		return nil, err
	}
	if err := tx.SetToken(u.ID, sealed); err != nil {
		return nil, err
	}
	u.SMS, u.Use2FA = false, true
	if err := tx.UpdateUser(u); err != nil {
		return nil, err
	}
	_, err = s.moved(tx, &u, ProofPassword)
	return &tok, err
}

// SetActive enables or disables a user; disabling ends every sign-in.
func (s *Service) SetActive(ctx context.Context, o Origin, t Target, active bool) error {
	if err := adminOnly(t); err != nil {
		return err
	}
	return s.setActive(ctx, o, t, active, "")
}

// setActive is SetActive, with detail for its audit record.
func (s *Service) setActive(ctx context.Context, o Origin, t Target, active bool, detail string) error {
	name := map[bool]string{true: "user enable", false: "user disable"}[active]
	_, err := s.change(ctx, o, t, name, func(tx store.Tx, u *store.User) (string, error) {
		u.Active = active
		if err := tx.UpdateUser(*u); err != nil {
			return "", err
		}
		if !active {
			if _, err := tx.DropLease(u.UserID); err != nil {
				return "", err
			}
			_, err := s.moved(tx, u, ProofPassword)
			return detail, err
		}
		return detail, nil
	})
	return err
}

// DeleteUser deletes a user with their token and passcodes; the audit
// keeps their events.
func (s *Service) DeleteUser(ctx context.Context, o Origin, t Target) error {
	if err := adminOnly(t); err != nil {
		return err
	}
	_, err := s.change(ctx, o, t, "user delete", func(tx store.Tx, u *store.User) (string, error) {
		if _, err := tx.DropLease(u.UserID); err != nil {
			return "", err
		}
		return "", tx.DeleteUser(u.ID)
	})
	return err
}

// RevokeToken deletes the user's token: its passcodes stop working. A
// user with no token is told so (ErrNoToken).
func (s *Service) RevokeToken(ctx context.Context, o Origin, t Target) error {
	if err := adminOnly(t); err != nil {
		return err
	}
	_, err := s.change(ctx, o, t, "token revoke", func(tx store.Tx, u *store.User) (string, error) {
		had, err := tx.DeleteToken(u.ID)
		if err != nil {
			return "", err
		}
		if !had {
			return "", ErrNoToken
		}
		_, err = s.moved(tx, u, ProofPassword)
		return "", err
	})
	return err
}

// Reset is the forgotten-password procedure (guide, section 6.2), in one
// transaction: a new password to change at the next login, a new initial
// passcode (returned, for the welcome mail), the token revoked, SMS
// passcodes ended, temporary passcodes and One Swipe codes revoked, the
// security answers cleared (the account may have been someone else's
// meanwhile), the lock cleared. The user enrols again and chooses new
// questions.
func (s *Service) Reset(ctx context.Context, o Origin, t Target, pw []byte) (Created, error) {
	if err := adminOnly(t); err != nil {
		return Created{}, err
	}
	if err := s.authorised(ctx, o, t, "user reset"); err != nil {
		return Created{}, err // before any hash work
	}
	hash, err := s.hashPassword(ctx, pw)
	if err != nil {
		return Created{}, err
	}
	code, initial, err := s.newInitialPasscode(ctx)
	if err != nil {
		return Created{}, err
	}
	u, err := s.change(ctx, o, t, "user reset", func(tx store.Tx, u *store.User) (string, error) {
		if u.Source == SourceDirectory {
			return "", errDirectoryPassword
		}
		if _, err := tx.DeleteToken(u.ID); err != nil {
			return "", err
		}
		u.SMS, u.DeskQuestion = false, 0
		for _, step := range []func() error{
			func() error { return tx.UpdateUser(*u) },
			func() error { return tx.SetPassword(u.ID, hash, true) },
			func() error { return tx.ResetFailures(u.ID) },
			func() error { return tx.RevokeTempPasscode(u.ID) },
			func() error { return tx.DeleteSMSCodes(u.ID) },
			func() error { return tx.SetSecurityAnswers(u.ID, nil) },
			func() error { _, err := tx.DeleteDeskCase(u.ID); return err },
			func() error { _, err := tx.DropLease(u.UserID); return err },
			func() error { return tx.SetInitialPasscode(u.ID, initial) },
		} {
			if err := step(); err != nil {
				return "", err
			}
		}
		u.MustChangePassword, u.Failures, u.LockedUntil = true, 0, time.Time{}
		_, err := s.moved(tx, u, ProofPassword)
		return "", err
	})
	return Created{User: viewOf(u), InitialPasscode: code}, err
}

// DisableUnenrolled disables every user who let their welcome mail's
// passcode expire without enrolling (guide, section 4.2), with an audit
// record each, and returns their IDs. It also forgets first-factor
// throttles untouched for a day.
func (s *Service) DisableUnenrolled(ctx context.Context) ([]string, error) {
	var ids []string
	err := s.st.Update(ctx, func(tx store.Tx) error {
		var err error
		if ids, err = tx.DisableUnenrolled(s.now()); err != nil {
			return err
		}
		for _, id := range ids {
			if err := tx.Audit(s.event(Admin, id, "disable unenrolled", CodeOK, "the initial passcode expired unused")); err != nil {
				return err
			}
		}
		return tx.ForgetFirstFactors(s.now().Add(-24 * time.Hour))
	})
	return ids, err
}
