package account

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/sms"
	"github.com/softtoken/softtoken/server/store"
)

// DefaultSMSCodeTTL is how long a passcode sent by SMS works.
const DefaultSMSCodeTTL = 5 * time.Minute

// smsPerHour bounds the text messages one user may be sent (in bursts of
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
// masked. It returns the number, masked. The code itself is never logged.
func (s *Service) sendCode(ctx context.Context, o Origin, g Grant, purpose string, phoneOf func(store.User) (string, error)) (string, error) {
	name := "sms " + purpose
	if s.cfg.SMS == nil {
		return "", ErrSMSOff
	}
	if !s.smsLimit.Allow(strconv.FormatInt(g.id, 10), s.now()) {
		s.Record(ctx, o, g.UserID, name, "rate limited", "")
		return "", ErrSMSTooMany
	}
	code, hash, err := s.newSecret(ctx, SMSCodeDigits)
	if err != nil {
		return "", err
	}
	c := store.SMSCode{Purpose: purpose, Hash: hash, Expires: s.expiresIn(s.cfg.SMSCodeTTL)}
	if _, err := s.change(ctx, o, g.Self(), name+" code", func(tx store.Tx, u *store.User) (string, error) {
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
	text := fmt.Sprintf("softtoken %s: %s. It works once, for %d minutes. Never give it to anyone.", what, code, int(s.cfg.SMSCodeTTL.Minutes()))
	err = s.cfg.SMS.Send(ctx, sms.Message{To: phone, Text: text, Date: s.now()})
	outcome, detail := "OK", fmt.Sprintf("%s sent to %s", what, sms.Mask(phone))
	if err != nil {
		outcome, detail = "failed", fmt.Sprintf("%s to %s not sent", what, sms.Mask(phone))
		s.cfg.Logger.Error("send SMS", "userid", g.UserID, "to", sms.Mask(phone), "err", err)
	}
	s.Record(ctx, o, g.UserID, name, outcome, detail)
	if err != nil {
		return "", fmt.Errorf("%w to %s: %v", ErrSMSNotSent, sms.Mask(phone), err)
	}
	return sms.Mask(phone), nil
}

// CompleteSMSEnrolment checks the code sent to the new number (a second
// factor: wrong codes count towards the lockout) and, in the settling
// transaction, makes the user an SMS user with that number: their token is
// revoked, and everything else a completed enrolment does is done (see
// CompleteEnrolment). It returns the new grant and the number, masked.
func (s *Service) CompleteSMSEnrolment(ctx context.Context, o Origin, g Grant, code string) (Grant, string, error) {
	if !g.Proof.passcode() {
		return Grant{}, "", ErrNotAllowed
	}
	sl, err := s.slot(ctx)
	if err != nil {
		return Grant{}, "", err
	}
	defer sl.Release()
	var c store.SMSCode
	u, err := s.reserveSecond(ctx, o, g, "sms enrolment", func(tx store.Tx, u store.User) error {
		var err error
		if c, err = tx.SMSCodeOf(u.ID, store.SMSPhone); errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return Grant{}, "", err
	}
	hash := c.Hash
	if !s.now().Before(c.Expires) {
		hash = ""
	}
	ok, err := compare(sl, hash, []byte(code))
	if err != nil {
		return Grant{}, "", err
	}
	sl.Release()
	var ng Grant
	var cur store.User
	_, err = s.settleSecond(ctx, o, g, u, "sms enrolment", ErrInvalidCode, func(tx store.Tx) (Proof, string, error) {
		if !ok {
			return 0, "", nil
		}
		if used, err := tx.DeleteSMSCode(u.ID, store.SMSPhone, c.Hash); err != nil || !used {
			return 0, "", err
		}
		cur = u
		if err := s.enrolled(tx, &cur, g.Proof, nil); err != nil {
			return 0, "", err
		}
		var err error
		ng, err = s.useSMS(tx, &cur, c.Phone)
		return ProofSMS, "passcodes by SMS to " + sms.Mask(c.Phone), err
	})
	if err != nil {
		return Grant{}, "", err
	}
	s.notify(ctx, o, cur, mail.PhoneNotice("", "", cur.UserID, sms.Mask(c.Phone), s.now()))
	return ng, sms.Mask(c.Phone), nil
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
	// Phone is the new number, masked, if one was given.
	Phone string
}

// Helpdesk carries out a self-help desk request of a user who gave their
// password and a security answer (g of ProofAnswer), in one transaction:
// the temporary passcode (30-day rule) and the new number (see useSMS)
// both happen, or neither. A passcode is then sent to the new number.
func (s *Service) Helpdesk(ctx context.Context, o Origin, g Grant, r HelpdeskRequest) (HelpdeskResult, error) {
	var res HelpdeskResult
	var phone string
	if g.Proof != ProofAnswer {
		return res, ErrNotAllowed
	}
	if r.Phone != "" {
		var err error
		if phone, err = sms.Normalize(r.Phone); err != nil {
			return res, fmt.Errorf("%w: %v", ErrBadPhone, err)
		}
		if s.cfg.SMS == nil {
			return res, ErrSMSOff
		}
	}
	if r.Days != 0 && (r.Days < 1 || r.Days > r.MaxDays) {
		return res, fmt.Errorf("%w: choose 1 to %d days", ErrBadDays, r.MaxDays)
	}
	code, hash, err := s.newSecret(ctx, TempPasscodeDigits)
	if err != nil {
		return res, err
	}
	temp := store.TempPasscode{Hash: hash, Issued: s.now(), Expires: s.expiresIn(time.Duration(r.Days) * 24 * time.Hour)}
	var ng Grant
	u, err := s.change(ctx, o, g.Self(), "help desk", func(tx store.Tx, u *store.User) (string, error) {
		return s.helpdesk(tx, u, r.Days, temp, phone, &ng)
	})
	if err != nil {
		return res, err
	}
	if r.Days != 0 {
		res.Temp = &TempPasscode{Code: code, Expires: temp.Expires}
		res.Temp.Notice = s.notify(ctx, o, u, mail.TempPasscodeNotice("", "", u.UserID, temp.Expires, s.now()))
	}
	if phone != "" {
		res.Phone = sms.Mask(phone)
		s.notify(ctx, o, u, mail.PhoneNotice("", "", u.UserID, res.Phone, s.now()))
		if _, err := s.SendLoginCode(ctx, o, ng); err != nil {
			s.cfg.Logger.Error("send SMS passcode to the new number", "userid", g.UserID, "err", err)
		}
	}
	return res, nil
}

// helpdesk does a Helpdesk request in tx and says what it did.
func (s *Service) helpdesk(tx store.Tx, u *store.User, days int, temp store.TempPasscode, phone string, ng *Grant) (string, error) {
	var detail string
	if days != 0 {
		if err := s.tempAllowed(tx, u.ID); err != nil {
			return "", err
		}
		if err := tx.SetTempPasscode(u.ID, temp); err != nil {
			return "", err
		}
		detail = "temporary passcode valid until " + temp.Expires.UTC().Format("2006-01-02 15:04Z")
	}
	if phone != "" {
		var err error
		if *ng, err = s.useSMS(tx, u, phone); err != nil {
			return "", err
		}
		detail += "; passcodes by SMS to " + sms.Mask(phone)
	}
	return detail, nil
}
