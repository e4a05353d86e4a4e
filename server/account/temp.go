package account

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/store"
)

// TempPasscodeInterval is how often a user may get a temporary passcode:
// they are a risk, so once in 30 days (guide, section 5).
const TempPasscodeInterval = 30 * 24 * time.Hour

// TempPasscode is a temporary passcode just issued, to show once.
type TempPasscode struct {
	Code    string
	Expires time.Time
	// Notice says whether the user was told by e-mail.
	Notice string
}

// TooSoonError is ErrTooSoon with the dates the user needs: Issued is when
// the last temporary passcode or help-desk number was given.
type TooSoonError struct {
	Issued, Next time.Time
}

func (e *TooSoonError) Error() string {
	return fmt.Sprintf("%v: a temporary passcode or a new number was given on %s; the next is possible from %s", ErrTooSoon,
		e.Issued.UTC().Format("2 January 2006"), e.Next.UTC().Format("2 January 2006"))
}

// Unwrap makes errors.Is(err, ErrTooSoon) hold.
func (e *TooSoonError) Unwrap() error { return ErrTooSoon }

// IssueTempPasscode gives the target user a temporary passcode valid for
// days (1 to maxDays), at most once per TempPasscodeInterval, and returns
// it (stored only hashed). The self-help desk issues them on a grant of
// ProofAnswer; administrators with ByAdmin.
func (s *Service) IssueTempPasscode(ctx context.Context, o Origin, t Target, days, maxDays int) (TempPasscode, error) {
	if t.self != nil && t.self.Proof != ProofAnswer {
		return TempPasscode{}, ErrNotAllowed
	}
	return s.issueTemp(ctx, o, t, days, maxDays, "")
}

// MaxReason is how many characters of an administrator's reason the audit
// keeps.
const MaxReason = 200

// IssueTempPasscodeOverride is IssueTempPasscode despite the 30-day rule,
// for an administrator who has checked the user's identity (the trader in
// front of them). Only the admin command line (ByAdmin) and an operator
// or API key whose role issues temporary passcodes (Actor.For) may: any
// other target is refused (ErrNotAllowed), so the self-help desk and an
// administrator's socket keep the rule. reason is required and goes into
// the audit record, cut to MaxReason characters; it must hold no secret.
func (s *Service) IssueTempPasscodeOverride(ctx context.Context, o Origin, t Target, days, maxDays int, reason string) (TempPasscode, error) {
	if err := operatorOnly(t); err != nil {
		return TempPasscode{}, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return TempPasscode{}, fmt.Errorf("%w: overriding the 30-day rule needs a reason", ErrNotAllowed)
	}
	if r := []rune(reason); len(r) > MaxReason {
		reason = string(r[:MaxReason]) + "…"
	}
	return s.issueTemp(ctx, o, t, days, maxDays, reason)
}

// issueTemp issues a temporary passcode, under the 30-day rule unless an
// override's reason is given (see tempRule), and mails the user a notice.
func (s *Service) issueTemp(ctx context.Context, o Origin, t Target, days, maxDays int, override string) (TempPasscode, error) {
	if err := s.authorised(ctx, o, t, "temporary passcode"); err != nil {
		return TempPasscode{}, err
	}
	if days < 1 || days > maxDays {
		return TempPasscode{}, fmt.Errorf("%w: choose 1 to %d days", ErrBadDays, maxDays)
	}
	code, hash, err := s.newSecret(ctx, TempPasscodeDigits)
	if err != nil {
		return TempPasscode{}, err
	}
	p := store.TempPasscode{Hash: hash, Issued: s.now(), Expires: s.expiresIn(time.Duration(days) * 24 * time.Hour)}
	u, err := s.change(ctx, o, t, "temporary passcode", func(tx store.Tx, u *store.User) (string, error) {
		overridden, err := s.tempRule(*u, override)
		if err == nil {
			err = s.recovered(tx, u)
		}
		if err != nil {
			return "", err
		}
		return "valid until " + p.Expires.UTC().Format("2006-01-02 15:04Z") + overridden, tx.SetTempPasscode(u.ID, p)
	})
	if err != nil {
		return TempPasscode{}, err
	}
	notice := s.notify(ctx, t.origin(o), u, mail.TempPasscodeNotice(lang.Or(u.Lang), "", "", u.UserID, p.Expires, s.now()))
	return TempPasscode{Code: code, Expires: p.Expires, Notice: notice}, nil
}

// tempRule applies the 30-day rule to u, unless override gives an
// administrator's reason to pass it; it then says, for the audit, what was
// overridden and why.
func (s *Service) tempRule(u store.User, override string) (string, error) {
	err := s.tempAllowed(u)
	var soon *TooSoonError
	switch {
	case override == "" || err != nil && !errors.As(err, &soon):
		return "", err
	case err == nil:
		return "; an override was asked for but not needed: " + override, nil
	}
	return fmt.Sprintf("; 30-day rule overridden (the last was issued on %s): %s", soon.Issued.UTC().Format("2006-01-02"), override), nil
}

// tempAllowed applies the 30-day rule to u: one temporary passcode or
// self-help desk number change in TempPasscodeInterval.
func (s *Service) tempAllowed(u store.User) error {
	if !u.RecoveredAt.IsZero() && s.now().Sub(u.RecoveredAt) < TempPasscodeInterval {
		return &TooSoonError{Issued: u.RecoveredAt, Next: u.RecoveredAt.Add(TempPasscodeInterval)}
	}
	return nil
}

// recovered records in tx that u got a temporary passcode or a new number
// now, for the 30-day rule.
func (s *Service) recovered(tx store.Tx, u *store.User) error {
	u.RecoveredAt = s.now()
	return tx.UpdateUser(*u)
}
