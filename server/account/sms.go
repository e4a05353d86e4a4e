package account

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/sms"
	"github.com/softtoken/softtoken/server/store"
)

// DefaultSMSCodeTTL is how long a passcode sent by SMS works.
const DefaultSMSCodeTTL = 5 * time.Minute

// smsPerHour bounds the text messages of one purpose (sign-in passcodes,
// codes to confirm a number) one user may be sent (in bursts of
// smsBurst): enough for every honest retry, too few for a nuisance.
const (
	smsPerHour = 12
	smsBurst   = 5
)

// SendLoginCode sends the SMS user of g (signed in with the password) a
// passcode for this login, to the number on the account now, and returns
// that number, masked.
func (s *Service) SendLoginCode(ctx context.Context, o Origin, g Grant) (string, error) {
	return s.sendCode(ctx, o, g, store.SMSLogin, func(u store.User) (string, error) {
		if !u.SMS {
			return "", ErrNotSMSUser
		}
		return u.Phone, nil
	})
}

// SendPhoneCode sends a code to a new number typed by the user of g
// (signed in with a passcode), to prove it is theirs before
// CompleteSMSEnrolment (guide, section 4.2.3).
func (s *Service) SendPhoneCode(ctx context.Context, o Origin, g Grant, typed string) (string, error) {
	if !g.Proof.passcode() {
		return "", ErrNotAllowed
	}
	phone, err := sms.Normalize(typed)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadPhone, err)
	}
	return s.sendCode(ctx, o, g, store.SMSPhone, func(store.User) (string, error) { return phone, nil })
}

// sendCode makes a code for purpose, stores its hash (replacing the
// user's earlier code of that purpose) with the number phoneOf gives for
// the current account, and sends it there, audited with the number
// masked, in the user's language. It returns the number, masked. The
// code itself is never logged.
func (s *Service) sendCode(ctx context.Context, o Origin, g Grant, purpose string, phoneOf func(store.User) (string, error)) (string, error) {
	name := "sms " + purpose
	if s.cfg.SMS == nil {
		return "", ErrSMSOff
	}
	// The account is checked before the user's allowance of messages is
	// spent: a send refused (a lock, a disabled account) costs none.
	if err := s.st.View(ctx, func(tx store.ReadTx) error {
		u, err := s.granted(tx, g)
		if err == nil {
			_, err = phoneOf(u)
		}
		return err
	}); err != nil {
		s.refused(ctx, o, g.UserID, name+" code", err)
		return "", err
	}
	code, hash, err := s.newSecret(ctx, SMSCodeDigits)
	if err != nil {
		return "", err // a busy hashing pool costs no message either
	}
	// Codes for sign-ins and codes to confirm a new number have an
	// allowance each: someone at the help desk who asks for codes to
	// numbers of their own cannot use up the user's sign-in passcodes.
	if !s.smsLimit.Allow(strconv.FormatInt(g.id, 10)+":"+purpose, s.now()) {
		s.Record(ctx, o, g.UserID, name, CodeRateLimited, "")
		return "", ErrSMSTooMany
	}
	c := store.SMSCode{Purpose: purpose, Hash: hash, Expires: s.expiresIn(s.cfg.SMSCodeTTL)}
	var l lang.Lang // the user's, for the text
	if _, err := s.change(ctx, o, g.Self(), name+" code", func(tx store.Tx, u *store.User) (string, error) {
		l = lang.Or(u.Lang)
		var err error
		if c.Phone, err = phoneOf(*u); err != nil {
			return "", err
		}
		return "", tx.SetSMSCode(u.ID, c)
	}); err != nil {
		return "", err
	}
	phone := c.Phone
	what := map[string]string{store.SMSLogin: "passcode", store.SMSPhone: "code to confirm this number"}[purpose]
	kind := map[string]string{store.SMSLogin: sms.ForSignIn, store.SMSPhone: sms.ForNumber}[purpose]
	text := sms.CodeText(l, kind, code, int(s.cfg.SMSCodeTTL.Minutes()))
	err = s.cfg.SMS.Send(ctx, sms.Message{To: phone, Text: text, Date: s.now()})
	outcome, detail := CodeOK, fmt.Sprintf("%s sent to %s", what, sms.Mask(phone))
	if err != nil {
		outcome, detail = CodeFailed, fmt.Sprintf("%s to %s not sent", what, sms.Mask(phone))
		s.cfg.Logger.Error("send SMS", "userid", g.UserID, "to", sms.Mask(phone), "err", err)
	}
	s.Record(ctx, o, g.UserID, name, outcome, detail)
	if err != nil {
		return "", fmt.Errorf("%w to %s: %v", ErrSMSNotSent, sms.Mask(phone), err)
	}
	return sms.Mask(phone), nil
}

// PhoneSetUp is a new number for SMS passcodes, once its code came back.
type PhoneSetUp struct {
	// Phone is the number, masked.
	Phone string
	// Waits is when the number takes over by itself, if it waits for the
	// user's confirmation (it was set up with what the self-help desk
	// gave: see DeskCase); zero when it is the user's at once.
	Waits time.Time
}

// CompleteSMSEnrolment checks the code sent to the new number (a second
// factor: wrong codes count towards the lockout) and, in the settling
// transaction, makes the user an SMS user with that number: their token is
// revoked, and everything else a completed enrolment does is done (see
// CompleteEnrolment); or, set up with what the self-help desk gave, the
// number waits for the user's confirmation (see DeskCase). It returns the
// user's grant (a new one when the number is theirs at once).
func (s *Service) CompleteSMSEnrolment(ctx context.Context, o Origin, g Grant, code string) (Grant, PhoneSetUp, error) {
	if !g.Proof.passcode() {
		return Grant{}, PhoneSetUp{}, ErrNotAllowed
	}
	var (
		ng   Grant
		set  PhoneSetUp
		held store.DeskCase
	)
	u, phone, err := s.confirmPhone(ctx, o, g, "sms enrolment", code, func(tx store.Tx, u *store.User, phone string) (string, error) {
		c, holds, err := s.deskHolds(tx, u, g.Proof)
		if err != nil {
			return "", err
		}
		if holds {
			ng, held, set.Waits = g, c, c.Until
			held.Phone = phone
			return s.hold(tx, *u, c, nil, phone)
		}
		if err := s.enrolled(tx, u, g.Proof, nil); err != nil {
			return "", err
		}
		ng, err = s.useSMS(tx, u, phone)
		return "passcodes by SMS to " + sms.Mask(phone), err
	})
	if err != nil {
		return Grant{}, PhoneSetUp{}, err
	}
	set.Phone = sms.Mask(phone)
	if !set.Waits.IsZero() {
		s.deskNotice(ctx, o, u, held, "", time.Time{})
	} else {
		s.notify(ctx, o, u, mail.PhoneNotice(lang.Or(u.Lang), "", "", u.UserID, set.Phone, s.now()))
		_, _ = s.preload(ctx, o, u.UserID, false) // audited; the enrolment stands
	}
	return ng, set, nil
}

// confirmPhone checks code against the code sent to a new number of the
// user of g (a second factor: wrong codes count towards the lockout) and,
// when it is right, uses it up and calls apply in the settling
// transaction, on the current row, with the number the code went to. It
// returns the user as apply left them, and the number.
func (s *Service) confirmPhone(ctx context.Context, o Origin, g Grant, name, code string,
	apply func(tx store.Tx, u *store.User, phone string) (string, error)) (store.User, string, error) {
	sl, err := s.slot(ctx)
	if err != nil {
		return store.User{}, "", err
	}
	defer sl.Release()
	var c store.SMSCode
	u, err := s.reserveSecond(ctx, o, g, name, func(tx store.Tx, u store.User) error {
		var err error
		if c, err = tx.SMSCodeOf(u.ID, store.SMSPhone); errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return store.User{}, "", err
	}
	hash := c.Hash
	if !s.now().Before(c.Expires) {
		hash = ""
	}
	ok, err := compare(sl, hash, []byte(code))
	if err != nil {
		return store.User{}, "", err
	}
	sl.Release()
	var cur store.User
	_, err = s.settleSecond(ctx, o, g, u, name, ErrInvalidCode, func(tx store.Tx) (Proof, string, error) {
		if !ok {
			return 0, "", nil
		}
		if used, err := tx.DeleteSMSCode(u.ID, store.SMSPhone, c.Hash); err != nil || !used {
			return 0, "", err
		}
		// The rules apply to the row as it is now, not as the reservation
		// read it: another request (a temporary passcode from a second
		// help desk session) may have changed it during the comparison.
		var err error
		if cur, err = s.current(tx, g); err != nil {
			return 0, "", err
		}
		detail, err := apply(tx, &cur, c.Phone)
		return ProofSMS, detail, err
	})
	return cur, c.Phone, err
}

// useSMS makes u an SMS user with phone, in tx: the one rule for every way
// to SMS passcodes (enrol site, self-help desk). Passcodes then come by
// text message, and the token, which may be lost, is revoked, as are codes
// sent to the old number.
func (s *Service) useSMS(tx store.Tx, u *store.User, phone string) (Grant, error) {
	if _, err := tx.DeleteToken(u.ID); err != nil {
		return Grant{}, err
	}
	if err := tx.DeleteSMSCodes(u.ID); err != nil { // codes sent to the old number
		return Grant{}, err
	}
	u.Phone, u.SMS, u.Use2FA = phone, true, true
	if err := tx.UpdateUser(*u); err != nil {
		return Grant{}, err
	}
	return s.moved(tx, u, ProofSMS)
}

// HelpdeskRequest is what a user asks of the self-help desk (guide,
// section 5): a new number for SMS passcodes, a temporary passcode for
// Days, or both.
type HelpdeskRequest struct {
	Phone         string
	Days, MaxDays int
}

// HelpdeskResult is what the self-help desk did.
type HelpdeskResult struct {
	// Temp is the temporary passcode issued, if one was asked for.
	Temp *TempPasscode
	// ConfirmTo is the new number, masked, that a code was sent to: the
	// request waits for ConfirmHelpdesk with that code.
	ConfirmTo string
	// Phone is the new number, masked, once its code came back; it then
	// waits until Waits for the user's confirmation by mail (see
	// DeskCase).
	Phone string
	Waits time.Time
}

// Helpdesk carries out a self-help desk request of a user who gave their
// password and a security answer (g of ProofAnswer), under the 30-day
// rule: one temporary passcode or new number in 30 days. A temporary
// passcode alone is issued at once. A new number is only sent a code
// (ConfirmTo): a password and an answer, which someone may know, must not
// be enough to redirect the second factor; ConfirmHelpdesk with that code
// then does the whole request. Either way a case is opened and the user
// mailed at the address on file (see DeskCase).
func (s *Service) Helpdesk(ctx context.Context, o Origin, g Grant, r HelpdeskRequest) (HelpdeskResult, error) {
	phone, err := s.checkHelpdesk(g, r)
	if err != nil {
		return HelpdeskResult{}, err
	}
	if phone == "" {
		return s.helpdeskTemp(ctx, o, g, r.Days)
	}
	if err := s.st.View(ctx, func(tx store.ReadTx) error {
		u, err := s.granted(tx, g)
		if err == nil {
			err = deskServes(u)
		}
		if err == nil {
			err = s.tempAllowed(u)
		}
		return err
	}); err != nil {
		s.refused(ctx, o, g.UserID, "help desk", err)
		return HelpdeskResult{}, err
	}
	masked, err := s.sendCode(ctx, o, g, store.SMSPhone, func(store.User) (string, error) { return phone, nil })
	return HelpdeskResult{ConfirmTo: masked}, err
}

// checkHelpdesk checks a help desk request and returns its number,
// normalised ("" for none).
func (s *Service) checkHelpdesk(g Grant, r HelpdeskRequest) (string, error) {
	var phone string
	if g.Proof != ProofAnswer {
		return "", ErrNotAllowed
	}
	if r.Phone != "" {
		var err error
		if phone, err = sms.Normalize(r.Phone); err != nil {
			return "", fmt.Errorf("%w: %v", ErrBadPhone, err)
		}
		if s.cfg.SMS == nil {
			return "", ErrSMSOff
		}
	}
	if r.Days != 0 && (r.Days < 1 || r.Days > r.MaxDays) {
		return "", fmt.Errorf("%w: choose 1 to %d days", ErrBadDays, r.MaxDays)
	}
	return phone, nil
}

// helpdeskTemp issues the temporary passcode of a help desk request
// without a new number.
func (s *Service) helpdeskTemp(ctx context.Context, o Origin, g Grant, days int) (HelpdeskResult, error) {
	temp, code, err := s.newTemp(ctx, days)
	if err != nil {
		return HelpdeskResult{}, err
	}
	var (
		c      store.DeskCase
		secret string
	)
	u, err := s.change(ctx, o, g.Self(), "help desk", func(tx store.Tx, u *store.User) (string, error) {
		var err error
		if c, secret, err = s.helpdesk(tx, u, temp); err != nil {
			return "", err
		}
		return "temporary passcode valid until " + temp.Expires.UTC().Format("2006-01-02 15:04Z"), nil
	})
	if err != nil {
		return HelpdeskResult{}, err
	}
	notice := s.deskNotice(ctx, o, u, c, secret, temp.Expires)
	return HelpdeskResult{Temp: &TempPasscode{Code: code, Expires: temp.Expires, Notice: notice}}, nil
}

// ConfirmHelpdesk goes on with a help desk request for a new number: code
// is the one Helpdesk sent to it (wrong codes count towards the lockout).
// In one transaction, under the 30-day rule, the number is kept in a new
// case to wait for the user's confirmation through the mail sent to the
// address on file (see DeskCase), and the temporary passcode r asks for,
// if any, is issued.
func (s *Service) ConfirmHelpdesk(ctx context.Context, o Origin, g Grant, code string, r HelpdeskRequest) (HelpdeskResult, error) {
	r.Phone = ""
	if _, err := s.checkHelpdesk(g, r); err != nil {
		return HelpdeskResult{}, err
	}
	temp, tempCode, err := s.newTemp(ctx, r.Days)
	if err != nil {
		return HelpdeskResult{}, err
	}
	var (
		c      store.DeskCase
		secret string
	)
	u, phone, err := s.confirmPhone(ctx, o, g, "help desk number", code, func(tx store.Tx, u *store.User, phone string) (string, error) {
		var err error
		if c, secret, err = s.helpdesk(tx, u, temp); err != nil {
			return "", err
		}
		detail, err := s.hold(tx, *u, c, nil, phone)
		c.Phone = phone
		if temp.Hash != "" {
			detail = "temporary passcode valid until " + temp.Expires.UTC().Format("2006-01-02 15:04Z") + "; " + detail
		}
		return detail, err
	})
	if err != nil {
		return HelpdeskResult{}, err
	}
	res := HelpdeskResult{Phone: sms.Mask(phone), Waits: c.Until}
	notice := s.deskNotice(ctx, o, u, c, secret, temp.Expires)
	if r.Days != 0 {
		res.Temp = &TempPasscode{Code: tempCode, Expires: temp.Expires, Notice: notice}
	}
	return res, nil
}

// deskServes refuses the self-help desk to an operator of the console:
// a password and a security answer must never become, after the
// cooling-off, the second factor that signs someone in to the console
// (an operator's own, always). An administrator recovers operators.
func deskServes(u store.User) error {
	if u.ConsoleRole != "" {
		return fmt.Errorf("%w: an operator of the console is helped by an administrator, not the self-help desk", ErrNotAllowed)
	}
	return nil
}

// newTemp makes a temporary passcode valid for days (none for 0).
func (s *Service) newTemp(ctx context.Context, days int) (store.TempPasscode, string, error) {
	if days == 0 {
		return store.TempPasscode{}, "", nil
	}
	code, hash, err := s.newSecret(ctx, TempPasscodeDigits)
	return store.TempPasscode{Hash: hash, Issued: s.now(), Expires: s.expiresIn(time.Duration(days) * 24 * time.Hour)}, code, err
}

// helpdesk does, in tx, what every use of the self-help desk does, under
// the 30-day rule: it issues the temporary passcode (if temp has one) and
// opens the user's case, which it returns with its secret.
func (s *Service) helpdesk(tx store.Tx, u *store.User, temp store.TempPasscode) (store.DeskCase, string, error) {
	if err := deskServes(*u); err != nil {
		return store.DeskCase{}, "", err
	}
	if err := s.tempAllowed(*u); err != nil {
		return store.DeskCase{}, "", err
	}
	if err := s.recovered(tx, u); err != nil {
		return store.DeskCase{}, "", err
	}
	if temp.Hash != "" {
		if err := tx.SetTempPasscode(u.ID, temp); err != nil {
			return store.DeskCase{}, "", err
		}
	}
	return s.openDeskCase(tx, *u)
}
