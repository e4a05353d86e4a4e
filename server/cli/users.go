package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/softtoken/softtoken/server/auth"
	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/sms"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/token/qr"
)

// InitialPasscodeValidity is how long a welcome mail's passcode works; a
// user who has not enrolled by then must be reset (guide, section 4).
const InitialPasscodeValidity = 30 * 24 * time.Hour

// userJSON is how the admin commands show a user: never a hash or a seed.
type userJSON struct {
	UserID             string          `json:"userid"`
	Firm               string          `json:"firm,omitempty"`
	Roles              string          `json:"roles,omitempty"`
	Attr               json.RawMessage `json:"attr,omitempty"`
	Admin              bool            `json:"admin"`
	Active             bool            `json:"active"`
	Use2FA             bool            `json:"use2fa"`
	SMS                bool            `json:"sms,omitempty"`
	Email              string          `json:"email,omitempty"`
	Phone              string          `json:"phone,omitempty"`
	MustChangePassword bool            `json:"must_change_password"`
	Failures           int             `json:"failures"`
	LockedUntil        *time.Time      `json:"locked_until,omitempty"`
	TokenSerial        string          `json:"token_serial,omitempty"`
	Created            time.Time       `json:"created"`
	// Set only by add and reset, which hand these to the admin once.
	InitialPasscode string `json:"initial_passcode,omitempty"`
	TwoFASeed       string `json:"2faseed,omitempty"`
	// Mail says where the welcome mail went, or why it did not.
	Mail     string `json:"mail,omitempty"`
	MailSent *bool  `json:"mail_sent,omitempty"`
}

func (d *deps) show(ctx context.Context, u store.User) userJSON {
	j := userJSON{UserID: u.UserID, Firm: u.Firm, Roles: u.Roles, Attr: u.Attr, Admin: u.IsAdmin, Active: u.Active,
		Use2FA: u.Use2FA, SMS: u.SMS, Email: u.Email, Phone: u.Phone, MustChangePassword: u.MustChangePassword,
		Failures: u.Failures, Created: u.Created}
	if !u.LockedUntil.IsZero() {
		j.LockedUntil = &u.LockedUntil
	}
	if tok, err := d.db.TokenOf(ctx, u.ID); err == nil {
		j.TokenSerial = tok.Serial
	}
	return j
}

func userCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usagef("user: say add, list, show, disable, enable, delete, reset, temp-passcode or oneswipe")
	}
	switch args[0] {
	case "add":
		return userAdd(ctx, env, args[1:])
	case "list":
		return userList(ctx, env, args[1:])
	case "reset":
		return userReset(ctx, env, args[1:])
	case "oneswipe":
		return userOneSwipe(ctx, env, args[1:])
	case "temp-passcode":
		return userTempPasscode(ctx, env, args[1:])
	case "show", "disable", "enable", "delete":
		return userOne(ctx, env, args[0], args[1:])
	}
	return usagef("user: unknown subcommand %q", args[0])
}

func userAdd(ctx context.Context, env Env, args []string) error {
	var c common
	var mf mailFlags
	var admin, use2fa, smsUser bool
	var email, phone, firm, roles string
	fs := newFlags(env, "user add", &c)
	mf.define(env, fs)
	fs.BoolVar(&admin, "admin", false, "an administrator (superuser) who may verifylogin and adduser")
	fs.BoolVar(&use2fa, "use2fa", false, "require a passcode and make a seed now (printed once as 2faseed)")
	fs.StringVar(&email, "email", "", "e-mail address for the welcome mail")
	fs.StringVar(&phone, "phone", "", "mobile number for SMS passcodes, international form (+44…)")
	fs.BoolVar(&smsUser, "sms", false, "passcodes by SMS to --phone instead of a token")
	fs.StringVar(&firm, "firm", "", "firm")
	fs.StringVar(&roles, "roles", "", "roles")
	rest, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if phone != "" {
		if phone, err = sms.Normalize(phone); err != nil {
			return usagef("user add: --phone: %v", err)
		}
	}
	if smsUser && (phone == "" || use2fa) {
		return usagef("user add: --sms needs --phone, and excludes --use2fa")
	}
	d, err := c.open(ctx, env, auth.Config{})
	if err != nil {
		return err
	}
	defer d.db.Close()
	pw, err := readPassword(env)
	if err != nil {
		return err
	}
	hash, err := d.auth.HashPassword(pw)
	if err != nil {
		return err
	}
	u, err := d.db.CreateUser(ctx, store.User{UserID: rest[0], Firm: firm, Roles: roles, IsAdmin: admin, Active: true,
		Use2FA: use2fa || smsUser, SMS: smsUser, PassHash: hash, MustChangePassword: true, Email: email, Phone: phone, Created: env.Now()})
	if err != nil {
		return err
	}
	out, err := d.issue(ctx, u, use2fa)
	if err != nil {
		return err
	}
	d.audit(ctx, env, u.UserID, "user add")
	d.sendWelcome(ctx, env, mf, c.db, u, &out)
	return printJSON(env.Stdout, out)
}

// sendWelcome mails the welcome mail and notes the outcome in out. A mail
// that cannot be sent is reported, not fatal: the admin still has the
// passcode in the output.
func (d *deps) sendWelcome(ctx context.Context, env Env, mf mailFlags, db string, u store.User, out *userJSON) {
	sent := false
	out.MailSent = &sent
	if u.Email == "" {
		out.Mail = "not sent: the user has no e-mail address; hand the passcode over yourself"
		return
	}
	m, where := mf.mailer(env, db)
	now := env.Now()
	msg := mail.Welcome(mf.from, u.Email, u.UserID, mf.enrolURL, out.InitialPasscode, now.Add(InitialPasscodeValidity), now)
	if err := m.Send(ctx, msg); err != nil {
		out.Mail = "not sent: " + err.Error()
		fmt.Fprintf(env.Stderr, "softtoken-server: warning: the welcome mail to %s was not sent (%v): hand the passcode over yourself\n", u.Email, err)
		d.auditOutcome(ctx, env, u.UserID, "welcome mail", "failed", err.Error())
		return
	}
	sent = true
	out.Mail = "sent to " + u.Email + " via " + where
	d.auditOutcome(ctx, env, u.UserID, "welcome mail", "OK", "to "+u.Email)
}

// issue gives u a new initial passcode (and with seed, a new seed) and
// returns what to print.
func (d *deps) issue(ctx context.Context, u store.User, seed bool) (userJSON, error) {
	code, err := d.auth.IssueInitialPasscode(ctx, u, InitialPasscodeValidity)
	if err != nil {
		return userJSON{}, err
	}
	out := d.show(ctx, u)
	out.InitialPasscode = code
	if seed {
		tok, err := d.auth.NewSeed(ctx, u)
		if err != nil {
			return userJSON{}, err
		}
		out.TwoFASeed, out.TokenSerial = tok.Secret.Base32(), tok.Serial
	}
	return out, nil
}

func (d *deps) audit(ctx context.Context, env Env, userID, event string) {
	d.auditOutcome(ctx, env, userID, event, "OK", "")
}

func (d *deps) auditOutcome(ctx context.Context, env Env, userID, event, outcome, detail string) {
	if err := d.db.Audit(ctx, store.AuditEvent{At: env.Now(), UserID: userID, Client: "admin command line", Event: event, Outcome: outcome, Detail: detail}); err != nil {
		env.Logger.Error("audit failed", "event", event, "err", err)
	}
}

func userList(ctx context.Context, env Env, args []string) error {
	var c common
	if _, err := parse(newFlags(env, "user list", &c), args, 0); err != nil {
		return err
	}
	d, err := c.open(ctx, env, auth.Config{})
	if err != nil {
		return err
	}
	defer d.db.Close()
	users, err := d.db.ListUsers(ctx)
	if err != nil {
		return err
	}
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = d.show(ctx, u)
	}
	if c.json {
		return printJSON(env.Stdout, out)
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "USERID\tACTIVE\tADMIN\t2FA\tTOKEN\tLOCKED")
	for _, u := range out {
		locked := ""
		if u.LockedUntil != nil && env.Now().Before(*u.LockedUntil) {
			locked = "until " + u.LockedUntil.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", u.UserID, yesNo(u.Active), yesNo(u.Admin), yesNo(u.Use2FA), u.TokenSerial, locked)
	}
	return w.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// onUser runs a command that takes one USERID: it parses the flags, opens
// the database and finds the user, then calls do.
func onUser(ctx context.Context, env Env, name string, args []string, do func(*deps, store.User) error) error {
	return onUserWith(ctx, env, name, args, nil, func(d *deps, u store.User, _ string) error { return do(d, u) })
}

// onUserWith is onUser for commands with flags of their own (define) that
// also need the database path.
func onUserWith(ctx context.Context, env Env, name string, args []string, define func(Env, *flag.FlagSet), do func(*deps, store.User, string) error) error {
	var c common
	fs := newFlags(env, name, &c)
	if define != nil {
		define(env, fs)
	}
	rest, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	d, err := c.open(ctx, env, auth.Config{})
	if err != nil {
		return err
	}
	defer d.db.Close()
	u, err := d.db.UserByUserID(ctx, rest[0])
	if err != nil {
		return fmt.Errorf("user %s: %w", rest[0], err)
	}
	return do(d, u, c.db)
}

func userOne(ctx context.Context, env Env, verb string, args []string) error {
	return onUser(ctx, env, "user "+verb, args, func(d *deps, u store.User) error {
		var err error
		switch verb {
		case "show":
			return printJSON(env.Stdout, d.show(ctx, u))
		case "disable", "enable":
			u.Active = verb == "enable"
			err = d.db.UpdateUser(ctx, u)
		case "delete":
			err = d.db.DeleteUser(ctx, u.ID)
		}
		if err != nil {
			return err
		}
		d.audit(ctx, env, u.UserID, "user "+verb)
		done := map[string]string{"disable": "Disabled", "enable": "Enabled", "delete": "Deleted"}[verb]
		_, err = fmt.Fprintf(env.Stdout, "%s user %s\n", done, u.UserID)
		return err
	})
}

// userReset is the forgotten-password procedure (guide, section 6.2): a new
// password, a new initial passcode, the token revoked; the user must enrol
// again and change the password at the next login.
func userReset(ctx context.Context, env Env, args []string) error {
	var mf mailFlags
	return onUserWith(ctx, env, "user reset", args, mf.define, func(d *deps, u store.User, db string) error {
		pw, err := readPassword(env)
		if err != nil {
			return err
		}
		out, err := d.reset(ctx, env, mf, db, u, pw)
		if err != nil {
			return err
		}
		return printJSON(env.Stdout, out)
	})
}

// reset gives u the password pw (to change at the next login) and a new
// initial passcode, revokes the token, and mails the welcome mail.
func (d *deps) reset(ctx context.Context, env Env, mf mailFlags, db string, u store.User, pw []byte) (userJSON, error) {
	hash, err := d.auth.HashPassword(pw)
	if err != nil {
		return userJSON{}, err
	}
	if err := d.db.SetPassword(ctx, u.ID, hash, true); err != nil {
		return userJSON{}, err
	}
	if err := d.db.DeleteToken(ctx, u.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return userJSON{}, err
	}
	if u.SMS { // SMS passcodes stop too: the user enrols again
		u.SMS = false
		if err := d.db.UpdateUser(ctx, u); err != nil {
			return userJSON{}, err
		}
	}
	if err := d.db.ResetFailures(ctx, u.ID); err != nil {
		return userJSON{}, err
	}
	u.MustChangePassword, u.Failures, u.LockedUntil = true, 0, time.Time{}
	out, err := d.issue(ctx, u, false)
	if err != nil {
		return userJSON{}, err
	}
	d.audit(ctx, env, u.UserID, "user reset")
	d.sendWelcome(ctx, env, mf, db, u, &out)
	return out, nil
}

func tokenRevoke(ctx context.Context, env Env, args []string) error {
	return onUser(ctx, env, "token revoke", args, func(d *deps, u store.User) error {
		if err := d.db.DeleteToken(ctx, u.ID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("user %s has no token", u.UserID)
			}
			return err
		}
		d.audit(ctx, env, u.UserID, "token revoke")
		_, err := fmt.Fprintf(env.Stdout, "Revoked the token of %s: its passcodes no longer work\n", u.UserID)
		return err
	})
}

func audit(ctx context.Context, env Env, args []string) error {
	var c common
	var user, since string
	fs := newFlags(env, "audit", &c)
	fs.StringVar(&user, "user", "", "only this user's events")
	fs.StringVar(&since, "since", "", "only events since a time (RFC 3339) or a duration ago (e.g. 24h)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	f := store.AuditFilter{UserID: user}
	if since != "" {
		if d, err := time.ParseDuration(since); err == nil {
			f.Since = env.Now().Add(-d)
		} else if t, err := time.Parse(time.RFC3339, since); err == nil {
			f.Since = t
		} else {
			return usagef("audit: --since takes a time like 2026-01-02T15:04:05Z or a duration like 24h")
		}
	}
	d, err := c.open(ctx, env, auth.Config{})
	if err != nil {
		return err
	}
	defer d.db.Close()
	events, err := d.db.AuditEvents(ctx, f)
	if err != nil {
		return err
	}
	if c.json {
		return printJSON(env.Stdout, events)
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TIME\tUSER\tCLIENT\tEVENT\tOUTCOME")
	for _, e := range events {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", e.At.UTC().Format(time.RFC3339), e.UserID, e.Client, e.Event, e.Outcome)
	}
	return w.Flush()
}

// userTempPasscode issues a temporary passcode (guide, section 5) and tells
// the user by mail, without the passcode, that one was issued.
func userTempPasscode(ctx context.Context, env Env, args []string) error {
	var mf mailFlags
	var days, maxDays int
	define := func(env Env, fs *flag.FlagSet) {
		mf.define(env, fs)
		fs.IntVar(&days, "days", 1, "days the passcode is valid")
		fs.IntVar(&maxDays, "max-days", 7, "the most days allowed")
	}
	return onUserWith(ctx, env, "user temp-passcode", args, define, func(d *deps, u store.User, db string) error {
		code, expires, err := d.auth.IssueTempPasscode(ctx, u, days, maxDays)
		if err != nil {
			return err
		}
		d.audit(ctx, env, u.UserID, "temporary passcode")
		out := struct {
			UserID   string    `json:"userid"`
			Passcode string    `json:"temporary_passcode"`
			Expires  time.Time `json:"expires"`
			Notice   string    `json:"notice"`
		}{UserID: u.UserID, Passcode: code, Expires: expires, Notice: "not sent: the user has no e-mail address"}
		if u.Email != "" {
			m, _ := mf.mailer(env, db)
			if err := m.Send(ctx, mail.TempPasscodeNotice(mf.from, u.Email, u.UserID, expires, env.Now())); err != nil {
				out.Notice = "not sent: " + err.Error()
			} else {
				out.Notice = "sent to " + u.Email
			}
		}
		return printJSON(env.Stdout, out)
	})
}

// userOneSwipe issues a One Swipe enrolment code for support: the
// administrator hands the QR image to a user who cannot reach the enrol
// page. The code works once, for 10 minutes.
func userOneSwipe(ctx context.Context, env Env, args []string) error {
	var enrolURL, qrFile string
	define := func(env Env, fs *flag.FlagSet) {
		fs.StringVar(&enrolURL, "enrol-url", or(env.Getenv("SOFTTOKEN_ENROL_URL"), "https://localhost:8443/secenrol/"), "enrol URL the app enrols at (SOFTTOKEN_ENROL_URL)")
		fs.StringVar(&qrFile, "qr", "", "write the QR code to this PNG file (mode 0600) instead of printing the code")
	}
	return onUserWith(ctx, env, "user oneswipe", args, define, func(d *deps, u store.User, _ string) error {
		e, err := d.auth.IssueEnrolCode(ctx, u, enrolURL)
		if err != nil {
			return err
		}
		d.auditOutcome(ctx, env, u.UserID, "one swipe code", "OK", "issued by an administrator, valid until "+e.Expires.UTC().Format(time.RFC3339))
		out := struct {
			UserID  string    `json:"userid"`
			Expires time.Time `json:"expires"`
			Code    string    `json:"oneswipe,omitempty"`
			QRFile  string    `json:"qr_file,omitempty"`
		}{UserID: u.UserID, Expires: e.Expires}
		if qrFile == "" {
			out.Code = e.String()
			return printJSON(env.Stdout, out)
		}
		img, err := qr.PNG(e.String(), 400)
		if err != nil {
			return err
		}
		if err := os.WriteFile(qrFile, img, 0o600); err != nil {
			return fmt.Errorf("write the QR code: %w", err)
		}
		out.QRFile = qrFile
		return printJSON(env.Stdout, out)
	})
}
