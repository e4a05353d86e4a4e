package account

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/sms"
	"github.com/softtoken/softtoken/server/store"
)

// Pre-loaded SMS passcodes (the guide, sections 3 and 4.2.3; SecurEnvoy's
// "pre-loaded SMS"): an SMS user always has the passcode for their next
// logon on the handset, so that a logon form that sends the password and
// the passcode in one submit (one verifylogin) works. The passcode is
// sent when the user becomes an SMS user or their number takes effect,
// and again after each use of an SMS passcode; it works once, until it is
// used or replaced, for at most Config.SMSPreloadMaxAge. It is stored as
// its own purpose (store.SMSPreload): a passcode asked for at a login
// (store.SMSLogin) does not revoke it, nor it that one. Both are checked
// at every login, with the same lockout, single use and audit as every
// second factor (see CheckPasscode).

// SMSMode says when SMS users are sent passcodes.
type SMSMode string

// The SMS modes (serve --sms-mode).
const (
	// SMSBoth: pre-loaded passcodes, and one sent when a login without a
	// passcode asks for it (the default).
	SMSBoth SMSMode = "both"
	// SMSPreload: pre-loaded passcodes only. A login without a passcode
	// is sent none, unless the user has no pre-loaded passcode that still
	// works (never sent, expired, or for an old number): then that is
	// sent, so that no user is left without one.
	SMSPreload SMSMode = "preload"
	// SMSOnDemand: a passcode is sent when a login asks for it, and no
	// other (the behaviour before pre-loaded passcodes); the pre-loaded
	// ones sent before no longer work.
	SMSOnDemand SMSMode = "on-demand"
)

// ParseSMSMode reads an SMS mode as --sms-mode spells it.
func ParseSMSMode(v string) (SMSMode, error) {
	switch m := SMSMode(strings.TrimSpace(v)); m {
	case SMSBoth, SMSPreload, SMSOnDemand:
		return m, nil
	}
	return "", fmt.Errorf("%q is no SMS mode: say preload, on-demand or both", v)
}

func (m SMSMode) preloads() bool { return m != SMSOnDemand }
func (m SMSMode) onDemand() bool { return m != SMSPreload }

// DefaultSMSPreloadMaxAge is how long a pre-loaded passcode works at
// most: a month, long enough for an occasional user who logs on a few
// times a month, short enough that the message on a handset lost or
// handed on goes stale. A user whose passcode expired gets the next one
// at their next logon (docs/deploy.md, "SMS passcodes").
const DefaultSMSPreloadMaxAge = 30 * 24 * time.Hour

// ErrSMSPreloaded is SignIn.SMSErr when a login was sent no passcode
// because the site sends pre-loaded ones only (SMSPreload) and the user
// has one: they type the one on their handset.
var ErrSMSPreloaded = errors.New("no passcode sent: the one for this logon was sent by SMS before")

// errNoPreload: the user gets no pre-loaded passcodes (not an active SMS
// user with a number).
var errNoPreload = errors.New("not an SMS user")

// preloadable says whether u is sent pre-loaded passcodes.
func preloadable(u store.User) bool { return u.Active && u.SMS && u.Phone != "" }

// preload sends the SMS user userID the passcode for their next logon, in
// their language, to the number on the account, replacing (revoking) the
// one before; with onlyIfDue, only when they have none that works for
// that number. It returns the number, masked ("" when none was sent: the
// mode sends none, or the user is no SMS user). Every send is audited
// ("sms preload"), the passcode never; the per-user allowance of text
// messages counts pre-loaded ones on their own, so that a user's own
// logons never use up the passcodes they ask for, nor those these.
func (s *Service) preload(ctx context.Context, o Origin, userID string, onlyIfDue bool) (string, error) {
	switch {
	case !s.cfg.SMSMode.preloads():
		return "", nil
	case s.cfg.SMS == nil:
		return "", ErrSMSOff
	}
	u, due, err := s.preloadDue(ctx, userID)
	if err != nil || !preloadable(u) || onlyIfDue && !due {
		return "", err
	}
	const name = "sms preload"
	if !s.smsLimit.Allow(strconv.FormatInt(u.ID, 10)+":"+store.SMSPreload, s.now()) {
		s.Record(ctx, o, u.UserID, name, CodeRateLimited, "passcode for the next logon not sent: too many text messages")
		return "", ErrSMSTooMany
	}
	code, hash, err := s.newSecret(ctx, SMSCodeDigits)
	if err != nil {
		return "", err
	}
	c := store.SMSCode{Purpose: store.SMSPreload, Hash: hash, Expires: s.expiresIn(s.cfg.SMSPreloadMaxAge)}
	var l lang.Lang
	if err := s.st.Update(ctx, func(tx store.Tx) error {
		cur, err := tx.UserByID(u.ID)
		if err == nil && !preloadable(cur) {
			err = errNoPreload // changed meanwhile
		}
		if err != nil {
			return err
		}
		c.Phone, l = cur.Phone, lang.Or(cur.Lang)
		return tx.SetSMSCode(cur.ID, c)
	}); err != nil {
		if errors.Is(err, errNoPreload) {
			return "", nil
		}
		return "", err
	}
	days := int((s.cfg.SMSPreloadMaxAge + 24*time.Hour - 1) / (24 * time.Hour))
	return s.sendPreload(ctx, o, u, c, sms.PreloadText(l, code, days))
}

// preloadDue reads the user userID and says whether they are due a
// pre-loaded passcode: an SMS user without one that works for their
// number now.
func (s *Service) preloadDue(ctx context.Context, userID string) (store.User, bool, error) {
	var u store.User
	due := false
	err := s.st.View(ctx, func(tx store.ReadTx) error {
		var err error
		if u, err = tx.UserByUserID(userID); err != nil || !preloadable(u) {
			return err
		}
		c, err := tx.SMSCodeOf(u.ID, store.SMSPreload)
		if errors.Is(err, store.ErrNotFound) {
			due = true
			return nil
		}
		due = c.Phone != u.Phone || !s.now().Before(c.Expires)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return u, false, nil // deleted meanwhile: nothing to send
	}
	return u, due, err
}

// sendPreload sends text, the pre-loaded passcode c of u, and audits it.
// A failure is logged and audited with the number masked, never the
// text, and c is withdrawn: the user is due one again (a login sends it).
func (s *Service) sendPreload(ctx context.Context, o Origin, u store.User, c store.SMSCode, text string) (string, error) {
	masked := sms.Mask(c.Phone)
	err := s.cfg.SMS.Send(ctx, sms.Message{To: c.Phone, Text: text, Date: s.now()})
	if err != nil {
		s.cfg.Logger.Error("send SMS", "userid", u.UserID, "to", masked, "err", err)
		s.Record(ctx, o, u.UserID, "sms preload", CodeFailed, "passcode for the next logon to "+masked+" not sent")
		if werr := s.st.Update(ctx, func(tx store.Tx) error {
			_, err := tx.DeleteSMSCode(u.ID, store.SMSPreload, c.Hash)
			return err
		}); werr != nil {
			s.cfg.Logger.Error("withdraw an SMS passcode not sent", "userid", u.UserID, "err", werr)
		}
		return "", fmt.Errorf("%w to %s: %v", ErrSMSNotSent, masked, err)
	}
	s.Record(ctx, o, u.UserID, "sms preload", CodeOK, "passcode for the next logon sent to "+masked)
	return masked, nil
}

// Login checks a password and, for a user with two factors, the passcode
// code that came with it ("" when it comes later: NeedPasscode). An SMS
// user is then sent their next pre-loaded passcode: after an SMS passcode
// was used, always; after a login that owes a passcode (SignIn.SentTo
// says where it went) or a wrong passcode, when they have none that
// works. A send that fails is audited and fails no login.
func (s *Service) Login(ctx context.Context, o Origin, userID string, pw []byte, code string) (SignIn, error) {
	in, err := s.login(ctx, o, userID, pw, code)
	switch {
	case err == nil && in.Grant.Proof == ProofSMS:
		_, _ = s.preload(ctx, o, in.Grant.UserID, false) // audited; the login stands
	case err == nil && in.NeedPasscode && in.User.SMS:
		in.SentTo, in.SMSErr = s.preload(ctx, o, in.Grant.UserID, true)
	case errors.Is(err, ErrInvalidCode) && code != "":
		_, _ = s.preload(ctx, o, userID, true) // audited
	}
	return in, err
}
