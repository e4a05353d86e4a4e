package auth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/sms"
	"github.com/softtoken/softtoken/server/store"
)

// DefaultSMSCodeTTL is how long a passcode sent by SMS works.
const DefaultSMSCodeTTL = 5 * time.Minute

// SMSCodeDigits is the length of passcodes sent by SMS.
const SMSCodeDigits = 6

// NewSMSCode makes a passcode to send by SMS to phone, for purpose
// (store.SMSLogin or store.SMSPhone), stores its hash, valid for the
// configured time and once, replacing the user's earlier code of that
// purpose, and returns it for the text message.
func (s *Service) NewSMSCode(ctx context.Context, u store.User, purpose, phone string) (string, error) {
	code, err := randomDigits(SMSCodeDigits)
	if err != nil {
		return "", err
	}
	hash, err := password.Hash([]byte(code), s.cfg.Hash)
	if err != nil {
		return "", err
	}
	c := store.SMSCode{Purpose: purpose, Hash: hash, Phone: phone, Expires: s.cfg.Now().Add(s.cfg.SMSCodeTTL)}
	if err := s.st.SetSMSCode(ctx, u.ID, c); err != nil {
		return "", fmt.Errorf("SMS code for %s: %w", u.UserID, err)
	}
	return code, nil
}

// CheckSMSCode checks a code sent by SMS for purpose and uses it up; it
// returns the number it was sent to. A wrong or expired code answers
// ErrInvalidToken and counts as a failure.
func (s *Service) CheckSMSCode(ctx context.Context, u store.User, purpose, code string) (string, error) {
	if s.Locked(u) {
		return "", ErrLocked
	}
	phone, ok, err := s.smsMatches(ctx, u, purpose, code)
	if err != nil {
		return "", err
	}
	if !ok {
		if err := s.fail(ctx, u); err != nil {
			return "", err
		}
		return "", ErrInvalidToken
	}
	return phone, s.succeeded(ctx, u)
}

// smsMatches uses up u's SMS code of purpose if code is it and it has not
// expired.
func (s *Service) smsMatches(ctx context.Context, u store.User, purpose, code string) (string, bool, error) {
	code = strings.ReplaceAll(code, " ", "")
	if len(code) != SMSCodeDigits {
		return "", false, nil
	}
	c, err := s.st.SMSCodeOf(ctx, u.ID, purpose)
	if errors.Is(err, store.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	if !s.cfg.Now().Before(c.Expires) {
		return "", false, nil
	}
	ok, err := password.Check(c.Hash, []byte(code))
	if err != nil || !ok {
		return "", false, err
	}
	used, err := s.st.DeleteSMSCode(ctx, u.ID, purpose, c.Hash)
	return c.Phone, used, err
}

// ErrWrongAnswer is a wrong answer to a security question.
var ErrWrongAnswer = errors.New("wrong answer")

// CheckAnswer checks u's answer to their security question qid; a wrong
// answer counts as a failure towards the lockout, like a wrong passcode.
func (s *Service) CheckAnswer(ctx context.Context, u store.User, qid int, answer string) error {
	if s.Locked(u) {
		return ErrLocked
	}
	have, err := s.st.SecurityAnswers(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, a := range have {
		if a.QuestionID != qid {
			continue
		}
		ok, err := password.Check(a.Hash, []byte(NormaliseAnswer(answer)))
		if err != nil {
			return err
		}
		if ok {
			return s.succeeded(ctx, u)
		}
	}
	if err := s.fail(ctx, u); err != nil {
		return err
	}
	return ErrWrongAnswer
}

// ErrSMSOff is the answer when SMS is switched off on this server.
var ErrSMSOff = errors.New("passcodes by SMS are switched off on this server")

// ErrSMSTooMany is the answer when a user asked for too many text
// messages in a short time: each costs money and buzzes a phone.
var ErrSMSTooMany = errors.New("too many text messages: wait a few minutes")

// smsPerHour bounds the text messages one user may be sent (in bursts of
// smsBurst): enough for every honest retry, too few for a nuisance.
const (
	smsPerHour = 12
	smsBurst   = 5
)

// SendSMSCode makes a code for purpose and sends it by SMS to phone
// through sender (nil: SMS is off, ErrSMSOff), and audits the sending
// with the number masked. The code itself is never logged.
func (s *Service) SendSMSCode(ctx context.Context, u store.User, purpose, phone string, sender sms.Sender, client string) error {
	if sender == nil {
		return ErrSMSOff
	}
	if !s.smsLimit.Allow(strconv.FormatInt(u.ID, 10), s.cfg.Now()) {
		_ = s.st.Audit(ctx, store.AuditEvent{At: s.cfg.Now(), UserID: u.UserID, Client: client, Event: "sms " + purpose, Outcome: "rate limited"})
		return ErrSMSTooMany
	}
	code, err := s.NewSMSCode(ctx, u, purpose, phone)
	if err != nil {
		return err
	}
	what := map[string]string{store.SMSLogin: "passcode", store.SMSPhone: "code to confirm this number"}[purpose]
	text := fmt.Sprintf("softtoken %s: %s. It works once, for %d minutes. Never give it to anyone.", what, code, int(s.cfg.SMSCodeTTL.Minutes()))
	err = sender.Send(ctx, sms.Message{To: phone, Text: text, Date: s.cfg.Now()})
	outcome, detail := "OK", fmt.Sprintf("%s sent to %s", what, sms.Mask(phone))
	if err != nil {
		outcome, detail = "failed", fmt.Sprintf("%s to %s not sent: %v", what, sms.Mask(phone), err)
	}
	if aerr := s.st.Audit(ctx, store.AuditEvent{At: s.cfg.Now(), UserID: u.UserID, Client: client, Event: "sms " + purpose, Outcome: outcome, Detail: detail}); aerr != nil {
		return errors.Join(err, aerr)
	}
	if err != nil {
		return fmt.Errorf("send SMS to %s: %w", sms.Mask(phone), err)
	}
	return nil
}
