package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/lang"
)

// The commands that recover a user with the fewest side effects: unlock
// and update (list filters and the temporary passcode's override are with
// user list and user temp-passcode). docs/web.md ("Recovering a user")
// says when to use which.

// userUnlock clears a user's lock and failure count, and nothing else:
// see account.Service.Unlock.
func userUnlock(ctx context.Context, env Env, args []string) error {
	return onUser(ctx, env, "user unlock", args, nil, nil, func(d *deps, c common, userID string) error {
		was, err := d.acct.Unlock(ctx, account.Admin, account.ByAdmin(userID))
		if err != nil {
			return err
		}
		out := struct {
			UserID      string     `json:"userid"`
			WasLocked   bool       `json:"was_locked"`
			LockedUntil *time.Time `json:"was_locked_until,omitempty"`
			Failures    int        `json:"failures_cleared"`
		}{UserID: userID, WasLocked: !was.LockedUntil.IsZero(), Failures: was.Failures}
		if out.WasLocked {
			out.LockedUntil = &was.LockedUntil
		}
		return c.report(env, out, fmt.Sprintf("Unlocked user %s (%s)", userID, was))
	})
}

// userUpdate changes only the profile fields given, in one transaction:
// see account.Service.UpdateProfile. An SMS user given a new number is
// told by mail.
func userUpdate(ctx context.Context, env Env, args []string) error {
	var mf mailFlags
	var sf smsFlags
	var p account.Profile
	define := func(env Env, fs *flag.FlagSet) {
		mf.defineTransport(env, fs)
		sf.defineAs(env, fs, "sms-transport")
		for name, field := range map[string]**string{"firm": &p.Firm, "roles": &p.Roles, "email": &p.Email, "phone": &p.Phone} {
			fs.Func(name, "the new "+name+` ("" clears it)`, func(v string) error { *field = &v; return nil })
		}
		fs.BoolVar(&p.SMS, "sms", false, "make the user an SMS user, on --phone or the number on file: their token is revoked, and the number sent the passcode for the next logon")
		fs.Func("attr", "the new attributes, a JSON object", func(v string) (err error) {
			p.Attr, err = attrFlag(v)
			return err
		})
		fs.Func("lang", "the language of the user's mails and text messages: "+lang.Codes(), func(v string) error {
			code, err := langFlag(v)
			p.Lang = &code
			return err
		})
		fs.Func("console-role", consoleRoleHelp, func(v string) error {
			r, err := account.ParseRole(v)
			p.ConsoleRole = &r
			return err
		})
	}
	connect := func(c common, ac *account.Config) error {
		ac.Mail, _ = mf.mailer(env, c.dataDir())
		ac.MailFrom = mf.from
		if p.Phone == nil && !p.SMS {
			return nil
		}
		_, err := sf.rules(env, c.dataDir(), ac) // an SMS user's new number is sent their next passcode
		return err
	}
	return onUserWith(ctx, env, "user update", args, define, connect, func(d *deps, c common, userID string) error {
		changed := p.Changes()
		if len(changed) == 0 {
			return usagef("user update: give what to change: --attr, --email, --phone, --sms, --firm, --roles, --lang or --console-role")
		}
		_, err := d.acct.UpdateProfile(ctx, account.Admin, account.ByAdmin(userID), p)
		if errors.Is(err, account.ErrBadPhone) {
			return usagef("user update: --phone: %v", err)
		}
		if errors.Is(err, account.ErrNotAllowed) {
			return usagef("user update: %v", err)
		}
		if err != nil {
			return err
		}
		out := struct {
			UserID  string   `json:"userid"`
			Changed []string `json:"changed"`
		}{userID, changed}
		return c.report(env, out, fmt.Sprintf("Updated user %s: %s", userID, strings.Join(changed, ", ")))
	})
}

// langFlag reads the language code of --lang.
func langFlag(v string) (string, error) {
	l, err := lang.Parse(v)
	if err != nil {
		return "", fmt.Errorf("%q is not a language of the server: say %s", v, lang.Codes())
	}
	return string(l), nil
}

// attrFlag reads the JSON object of --attr.
func attrFlag(v string) (json.RawMessage, error) {
	attr, err := account.CheckAttr(json.RawMessage(v))
	if err != nil || attr == nil {
		return nil, errors.New(`must be a JSON object, such as {"desk": "FX"}`)
	}
	return attr, nil
}
