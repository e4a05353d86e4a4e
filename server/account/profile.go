package account

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/sms"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/token"
)

// Profile is a change to a user's profile: nil fields keep their value.
type Profile struct {
	Firm, Roles *string
	// Email and Phone replace the e-mail address and the mobile number;
	// "" clears them. A number is normalised to international form
	// (ErrBadPhone when it is none). A new number of an SMS user is a
	// change of credentials: their passcodes go there from then on, so
	// every sign-in of theirs ends and the codes sent to the old number
	// stop working.
	Email, Phone *string
	// Attr replaces the attributes when it is a JSON object (see
	// CheckAttr).
	Attr json.RawMessage
	// Lang is the language of the user's mails and text messages (a
	// server/lang code).
	Lang *string
	// Use2FA false also revokes the token and ends SMS passcodes.
	Use2FA *bool
	// SMS makes the user an SMS user, on Phone or the number on file: as
	// the enrol site's SMS enrolment does, the token is revoked, every
	// sign-in ends, and the number is sent the passcode for the next
	// logon.
	SMS bool
	// NewSeed gives the user a new token at once (returned once by
	// UpdateProfile), replacing any other.
	NewSeed bool
	// ConsoleRole grants (or, with "", takes away) a role in the
	// operators' console: only the admin command line and an admin
	// operator or key may.
	ConsoleRole *Role
}

func (p Profile) empty() bool { return len(p.Changes()) == 0 && !p.NewSeed }

// Changes names the fields p changes (NewSeed aside), as the audit does.
func (p Profile) Changes() []string {
	var names []string
	for _, f := range []struct {
		name  string
		given bool
	}{{"firm", p.Firm != nil}, {"roles", p.Roles != nil}, {"attr", len(p.Attr) > 0 && string(p.Attr) != "null"},
		{"email", p.Email != nil}, {"phone", p.Phone != nil}, {"use2fa", p.Use2FA != nil}, {"lang", p.Lang != nil}, {"sms", p.SMS},
		{"console_role", p.ConsoleRole != nil}} {
		if f.given {
			names = append(names, f.name)
		}
	}
	return names
}

// CheckAttr returns a user's attributes as given, or nil for none ("" or
// JSON null), and refuses anything but a JSON object (ErrNotAllowed).
func CheckAttr(attr json.RawMessage) (json.RawMessage, error) {
	if len(attr) == 0 || string(attr) == "null" {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(attr, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("%w: attr must be a JSON object", ErrNotAllowed)
	}
	return attr, nil
}

// applyProfile writes p to u in tx. A change of credentials (two factors
// switched off, a new number for an SMS user) ends every grant of u; it
// reports whether an SMS user got a new number.
func (s *Service) applyProfile(tx store.Tx, u *store.User, p Profile) (newNumber bool, err error) {
	if p.empty() {
		return false, nil
	}
	if newNumber, err = p.set(u); err != nil {
		return false, err
	}
	if p.SMS && !u.SMS {
		if err := s.profileToSMS(tx, u, p); err != nil {
			return false, err
		}
		newNumber = true
	}
	noTwoFactor := p.Use2FA != nil && u.Use2FA && !*p.Use2FA
	if noTwoFactor {
		u.Use2FA, u.SMS, newNumber = false, false, false
		if _, err := tx.DeleteToken(u.ID); err != nil {
			return false, fmt.Errorf("revoke the token of %s: %w", u.UserID, err)
		}
	} else if p.Use2FA != nil {
		u.Use2FA = *p.Use2FA
	}
	if err := tx.UpdateUser(*u); err != nil {
		return false, fmt.Errorf("update %s: %w", u.UserID, err)
	}
	if !newNumber && !noTwoFactor {
		return newNumber, nil
	}
	if err := tx.DeleteSMSCodes(u.ID); err != nil {
		return false, fmt.Errorf("revoke the SMS codes of %s: %w", u.UserID, err)
	}
	_, err = s.moved(tx, u, ProofPassword)
	return newNumber, err
}

// profileToSMS makes u an SMS user on the number on file (p.SMS), in tx:
// useSMS's rule, for an administrator.
func (s *Service) profileToSMS(tx store.Tx, u *store.User, p Profile) error {
	switch {
	case u.Phone == "":
		return fmt.Errorf("%w: an SMS user needs a number", ErrBadPhone)
	case p.Use2FA != nil && !*p.Use2FA:
		return fmt.Errorf("%w: SMS passcodes are a second factor: they exclude use2fa off", ErrNotAllowed)
	case p.NewSeed:
		return fmt.Errorf("%w: an SMS user has no token: make them one or the other", ErrNotAllowed)
	}
	_, err := s.useSMS(tx, u, u.Phone)
	return err
}

// set writes p's profile fields (not Use2FA) to u and reports whether an
// SMS user got a new number.
func (p Profile) set(u *store.User) (newNumber bool, err error) {
	attr, err := CheckAttr(p.Attr)
	if err != nil {
		return false, err
	}
	if attr != nil {
		u.Attr = attr
	}
	if p.Lang != nil {
		if u.Lang, err = checkLang(*p.Lang); err != nil {
			return false, err
		}
	}
	if p.ConsoleRole != nil {
		r, err := ParseRole(string(*p.ConsoleRole))
		if err != nil {
			return false, err
		}
		if r != "" && u.Service {
			return false, errServiceOperator
		}
		u.ConsoleRole = string(r)
	}
	for _, f := range []struct{ to, from *string }{{&u.Firm, p.Firm}, {&u.Roles, p.Roles}, {&u.Email, p.Email}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	if p.Phone == nil {
		return false, nil
	}
	phone := strings.TrimSpace(*p.Phone)
	switch {
	case phone == "" && u.SMS:
		return false, fmt.Errorf("%w: the user gets passcodes by SMS and needs a number", ErrBadPhone)
	case phone != "":
		if phone, err = sms.Normalize(phone); err != nil {
			return false, fmt.Errorf("%w: %v", ErrBadPhone, err)
		}
	}
	newNumber = u.SMS && phone != u.Phone
	u.Phone = phone
	return newNumber, nil
}

// UpdateProfile changes a user's profile (websocket adduser for an
// existing user, softtoken-server user update): only the fields p gives,
// in one transaction. With p.NewSeed it returns the new token, once. An
// SMS user given a new number is told by e-mail. A console role is
// granted by the admin command line or an admin operator only.
func (s *Service) UpdateProfile(ctx context.Context, o Origin, t Target, p Profile) (*token.Token, error) {
	if err := adminOnly(t); err != nil {
		return nil, err
	}
	if err := p.grantedBy(t); err != nil {
		return nil, err
	}
	return s.updateProfile(ctx, o, t, "profile", p)
}

// grantedBy refuses a console role in p from a websocket administrator,
// with whatever change it comes (a profile, a password's): roles are
// granted by the admin command line or an admin operator only.
func (p Profile) grantedBy(t Target) error {
	if p.ConsoleRole != nil && t.admin != nil {
		return fmt.Errorf("%w: console roles are granted by an administrator, not a service account", ErrNotAllowed)
	}
	return nil
}

// SetPhone gives the target user a new mobile number (a help-desk
// operator's "set a number"): for an SMS user a change of credentials,
// as UpdateProfile has it. A new number of an SMS user is where their
// passcodes go from then on, so from a help-desk operator or key it is a
// recovery under the 30-day rule, as the self-help desk's number change
// and a temporary passcode are (ErrTooSoon; an admin is not bound).
func (s *Service) SetPhone(ctx context.Context, o Origin, t Target, phone string) error {
	if err := adminOnly(t); err != nil {
		return err
	}
	_, err := s.updateProfile(ctx, o, t, "phone", Profile{Phone: &phone})
	return err
}

// updateProfile is UpdateProfile's change, audited as name.
func (s *Service) updateProfile(ctx context.Context, o Origin, t Target, name string, p Profile) (*token.Token, error) {
	var tok *token.Token
	var newNumber, replaced bool
	u, err := s.change(ctx, o, t, name, func(tx store.Tx, u *store.User) (string, error) {
		var err error
		if newNumber, err = s.applyProfile(tx, u, p); err != nil {
			return "", err
		}
		if newNumber && name == "phone" && t.actor != nil && t.actor.role != RoleAdmin {
			if err := s.tempAllowed(*u); err != nil {
				return "", err
			}
			if err := s.recovered(tx, u); err != nil {
				return "", err
			}
		}
		var detail []string
		if changed := p.Changes(); len(changed) > 0 {
			detail = append(detail, "changed "+strings.Join(changed, ", "))
		}
		if p.ConsoleRole != nil {
			detail = append(detail, "console role "+cmp.Or(u.ConsoleRole, "none"))
		}
		if newNumber {
			detail = append(detail, "passcodes by SMS to "+sms.Mask(u.Phone))
		}
		if p.NewSeed {
			if replaced, err = s.hasToken(tx, *u); err != nil {
				return "", err
			}
			if tok, err = s.newToken(tx, *u); err != nil {
				return "", err
			}
			detail = append(detail, "new token "+tok.Serial)
		}
		return strings.Join(detail, "; "), nil
	})
	o = t.origin(o)
	if err == nil && newNumber {
		s.notify(ctx, o, u, mail.PhoneNotice(lang.Or(u.Lang), "", "", u.UserID, sms.Mask(u.Phone), s.now()))
		_, _ = s.preload(ctx, o, u.UserID, false) // audited; the change stands
	}
	if err == nil && tok != nil {
		s.notify(ctx, o, u, mail.TokenNotice(lang.Or(u.Lang), "", "", u.UserID, tok.Serial, replaced, s.now()))
	}
	return tok, err
}

// SetLanguage makes l the language of the user's own mails and text
// messages (the enrol site, when a signed-in user switches its language):
// what a user chose to read in, they get mails in too. It is no change of
// credentials: the grant holds on.
func (s *Service) SetLanguage(ctx context.Context, o Origin, g Grant, l lang.Lang) error {
	_, err := s.change(ctx, o, g.Self(), "language", func(tx store.Tx, u *store.User) (string, error) {
		code, err := checkLang(string(l))
		if err != nil {
			return "", err
		}
		if u.Lang == code {
			return "", errSameLanguage // nothing to write, nor to audit
		}
		u.Lang = code
		return "language " + code, tx.UpdateUser(*u)
	})
	if errors.Is(err, errSameLanguage) {
		return nil
	}
	return err
}

// errSameLanguage ends SetLanguage's transaction when the user already
// has the language: a switch clicked again, or a page that loads the
// switch's link over and over, writes no row and no audit record.
var errSameLanguage = errors.New("the same language")
