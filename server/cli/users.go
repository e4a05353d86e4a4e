package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/lang"
	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/token/qr"
)

func userCmd(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usagef("user: say add, update, list, show, disable, enable, delete, unlock, logout, reset, temp-passcode or oneswipe")
	}
	switch args[0] {
	case "add":
		return userAdd(ctx, env, args[1:])
	case "list":
		return userList(ctx, env, args[1:])
	case "reset":
		return userReset(ctx, env, args[1:])
	case "logout":
		return userLogout(ctx, env, args[1:])
	case "unlock":
		return userUnlock(ctx, env, args[1:])
	case "update":
		return userUpdate(ctx, env, args[1:])
	case "oneswipe":
		return userOneSwipe(ctx, env, args[1:])
	case "temp-passcode":
		return userTempPasscode(ctx, env, args[1:])
	case "show", "disable", "enable", "delete":
		return userOne(ctx, env, args[0], args[1:])
	}
	return usagef("user: unknown subcommand %q", args[0])
}

// addFlags are the flags of user add.
type addFlags struct {
	ownPassword               bool
	admin, service, use2fa    bool
	sms                       bool
	email, phone, firm, roles string
	lang                      string
	attr                      json.RawMessage
	limits                    account.ServiceLimits
	consoleRole               account.Role
}

func (f *addFlags) define(fs *flag.FlagSet) {
	fs.BoolVar(&f.admin, "admin", false, "an administrator (superuser) who may verifylogin and adduser; implies --own-password")
	fs.BoolVar(&f.service, "service", false, "with --admin: a service account for a web back-end, which logs in with its password alone; every login is audited")
	fs.Func("scope", "with --service: what it may do, a comma-separated list of verify (verifylogin) and manage (adduser: users, password changes and resets) (default verify)", func(v string) (err error) {
		f.limits.Scopes, err = account.ParseScopes(v)
		return err
	})
	fs.Func("from", "with --service: the networks it may log in from, comma-separated (10.0.0.0/8,192.0.2.7) (default loopback: 127.0.0.0/8,::1/128)", func(v string) (err error) {
		f.limits.Networks, err = account.ParseNetworks(v)
		return err
	})
	fs.BoolVar(&f.ownPassword, "own-password", false, "the password is its owner's (typed by them): no change forced at the first login")
	fs.BoolVar(&f.use2fa, "use2fa", false, "require a passcode and make a seed now (printed once as 2faseed)")
	fs.StringVar(&f.email, "email", "", "e-mail address for the welcome mail")
	fs.StringVar(&f.phone, "phone", "", "mobile number for SMS passcodes, international form (+44…)")
	fs.BoolVar(&f.sms, "sms", false, "passcodes by SMS to --phone instead of a token")
	fs.StringVar(&f.firm, "firm", "", "firm")
	fs.StringVar(&f.roles, "roles", "", "roles")
	f.lang = string(lang.English)
	fs.Func("lang", "the language of the user's mails and text messages: "+lang.Codes()+" (default en)", func(v string) (err error) {
		f.lang, err = langFlag(v)
		return err
	})
	fs.Func("attr", "attributes, a JSON object (verifylogin returns them)", func(v string) (err error) {
		f.attr, err = attrFlag(v)
		return err
	})
	fs.Func("console-role", consoleRoleHelp, func(v string) (err error) {
		f.consoleRole, err = account.ParseRole(v)
		return err
	})
}

// consoleRoleHelp describes --console-role.
const consoleRoleHelp = "a role in the operators' console and admin API: admin, helpdesk or auditor (none takes it away); " +
	"an operator signs in with their password and their own token or SMS passcode"

func userAdd(ctx context.Context, env Env, args []string) error {
	var c common
	var mf mailFlags
	var af addFlags
	var sf smsFlags
	fs := newFlags(env, "user add", &c)
	mf.define(env, fs)
	sf.defineAs(env, fs, "sms-transport")
	af.define(fs)
	rest, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if af.sms && (af.phone == "" || af.use2fa) {
		return usagef("user add: --sms needs --phone, and excludes --use2fa")
	}
	if af.service && (!af.admin || af.use2fa || af.sms) {
		return usagef("user add: --service needs --admin, and excludes --use2fa and --sms")
	}
	if !af.service && (len(af.limits.Scopes) > 0 || len(af.limits.Networks) > 0) {
		return usagef("user add: --scope and --from are for a service account (--service)")
	}
	var ac account.Config
	if af.sms {
		if _, err := sf.rules(env, c.dataDir(), &ac); err != nil {
			return err
		}
	}
	d, err := c.open(ctx, env, ac)
	if err != nil {
		return err
	}
	defer d.Close()
	pw, err := readPassword(env)
	if err != nil {
		return err
	}
	created, err := d.acct.CreateUser(ctx, account.Admin, nil, account.NewUser{UserID: rest[0], Password: pw, Firm: af.firm, Roles: af.roles,
		Attr: af.attr, Admin: af.admin, Service: af.service, Limits: af.limits, Use2FA: af.use2fa, SMS: af.sms, Email: af.email, Phone: af.phone, Lang: af.lang,
		InitialPasscode: !af.service, Seed: af.use2fa, ConsoleRole: af.consoleRole,
		OwnPassword: af.ownPassword || af.admin})
	if errors.Is(err, account.ErrBadPhone) {
		return usagef("user add: --phone: %v", err)
	}
	if err != nil {
		return err
	}
	out := printable(created)
	out.SMSPreload = smsPreload(env, created)
	if !af.service {
		d.sendWelcome(ctx, env, mf, c.dataDir(), created.User, &out)
	}
	return printJSON(env.Stdout, out)
}

// sendWelcome mails the welcome mail and notes the outcome in out. A mail
// that cannot be sent is reported, not fatal: the admin still has the
// passcode in the output.
func (d *deps) sendWelcome(ctx context.Context, env Env, mf mailFlags, dataDir string, u account.UserView, out *userJSON) {
	sent := false
	out.MailSent = &sent
	if u.Email == "" {
		out.Mail = "not sent: the user has no e-mail address; hand the passcode over yourself"
		return
	}
	m, where := mf.mailer(env, dataDir)
	now := env.Now()
	msg := mail.Welcome(lang.Or(u.Lang), mf.from, u.Email, u.UserID, mf.enrolURL, out.InitialPasscode, now.Add(account.InitialPasscodeValidity), now)
	if err := m.Send(ctx, msg); err != nil {
		out.Mail = "not sent: " + err.Error()
		fmt.Fprintf(env.Stderr, "softtoken-server: warning: the welcome mail to %s was not sent (%v): hand the passcode over yourself\n", u.Email, err)
		d.acct.Record(ctx, account.Admin, u.UserID, "welcome mail", account.CodeFailed, err.Error())
		return
	}
	sent = true
	out.Mail = "sent to " + u.Email + " via " + where
	d.acct.Record(ctx, account.Admin, u.UserID, "welcome mail", account.CodeOK, "to "+u.Email)
}

// userList lists the users, or those the filters select (all of them).
func userList(ctx context.Context, env Env, args []string) error {
	var c common
	var f account.UserFilter
	fs := newFlags(env, "user list", &c)
	fs.BoolVar(&f.Locked, "locked", false, "only the users locked now")
	fs.BoolVar(&f.Unenrolled, "unenrolled", false, "only the active users with no token and no SMS passcodes")
	fs.BoolVar(&f.Disabled, "disabled", false, "only the disabled users")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	d, err := c.open(ctx, env, account.Config{})
	if err != nil {
		return err
	}
	defer d.Close()
	users, err := d.acct.Users(ctx, account.CommandLine, f)
	if err != nil {
		return err
	}
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = showUser(u)
	}
	if c.json {
		return printJSON(env.Stdout, out)
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "USERID\tACTIVE\tADMIN\t2FA\tLANG\tTOKEN\tLOCKED")
	for i, u := range out {
		locked := ""
		if users[i].Locked {
			locked = "until " + u.LockedUntil.Format(time.RFC3339)
		}
		admin := yesNo(u.Admin)
		if u.Service {
			admin = "service(" + escaped(u.Scope) + ")"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", escaped(u.UserID), yesNo(u.Active), admin, yesNo(u.Use2FA), escaped(u.Lang), u.TokenSerial, locked)
	}
	return w.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// onUser runs a command that takes one USERID: it parses the flags
// (define adds the command's own), opens the database with the rules'
// mail notices going where mf says (nil: none), and calls do with the
// common flags (the database path, --json) and the user ID.
func onUser(ctx context.Context, env Env, name string, args []string, define func(Env, *flag.FlagSet), mf *mailFlags,
	do func(d *deps, c common, userID string) error) error {
	return onUserWith(ctx, env, name, args, define, func(c common, ac *account.Config) error {
		if mf != nil {
			ac.Mail, _ = mf.mailer(env, c.dataDir())
			ac.MailFrom = mf.from
		}
		return nil
	}, do)
}

// onUserWith is onUser with the rules' configuration from connect, which
// sees the parsed flags.
func onUserWith(ctx context.Context, env Env, name string, args []string, define func(Env, *flag.FlagSet),
	connect func(c common, ac *account.Config) error, do func(d *deps, c common, userID string) error) error {
	var c common
	fs := newFlags(env, name, &c)
	if define != nil {
		define(env, fs)
	}
	rest, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	var ac account.Config
	if err := connect(c, &ac); err != nil {
		return err
	}
	d, err := c.open(ctx, env, ac)
	if err != nil {
		return err
	}
	defer d.Close()
	return do(d, c, rest[0])
}

func userOne(ctx context.Context, env Env, verb string, args []string) error {
	return onUser(ctx, env, "user "+verb, args, nil, nil, func(d *deps, c common, userID string) error {
		var err error
		switch verb {
		case "show":
			v, err := d.acct.User(ctx, account.CommandLine, userID)
			if err != nil {
				return err
			}
			return printJSON(env.Stdout, showUser(v))
		case "disable", "enable":
			err = d.acct.SetActive(ctx, account.Admin, account.ByAdmin(userID), verb == "enable")
		case "delete":
			err = d.acct.DeleteUser(ctx, account.Admin, account.ByAdmin(userID))
		}
		if err != nil {
			return err
		}
		done := map[string]string{"disable": "Disabled", "enable": "Enabled", "delete": "Deleted"}[verb]
		return c.report(env, map[string]any{"userid": userID, "done": strings.ToLower(done)}, done+" user "+userID)
	})
}

// userReset is the forgotten-password procedure (guide, section 6.2): see
// account.Service.Reset. The welcome mail carries the new initial passcode.
func userReset(ctx context.Context, env Env, args []string) error {
	var mf mailFlags
	return onUser(ctx, env, "user reset", args, mf.define, nil, func(d *deps, c common, userID string) error {
		pw, err := readPassword(env)
		if err != nil {
			return err
		}
		created, err := d.acct.Reset(ctx, account.Admin, account.ByAdmin(userID), pw)
		if err != nil {
			return err
		}
		out := printable(created)
		d.sendWelcome(ctx, env, mf, c.dataDir(), created.User, &out)
		return printJSON(env.Stdout, out)
	})
}

func tokenRevoke(ctx context.Context, env Env, args []string) error {
	return onUser(ctx, env, "token revoke", args, nil, nil, func(d *deps, c common, userID string) error {
		if err := d.acct.RevokeToken(ctx, account.Admin, account.ByAdmin(userID)); err != nil {
			return err
		}
		return c.report(env, map[string]any{"userid": userID, "token_revoked": true}, "Revoked the token of "+userID+": its passcodes no longer work")
	})
}

// userTempPasscode issues a temporary passcode (guide, section 5) and tells
// the user by mail, without the passcode, that one was issued. With
// --override-30-days and a --reason it does so despite the 30-day rule.
func userTempPasscode(ctx context.Context, env Env, args []string) error {
	var mf mailFlags
	var days, maxDays int
	var override bool
	var reason string
	define := func(env Env, fs *flag.FlagSet) {
		mf.define(env, fs)
		fs.IntVar(&days, "days", 1, "days the passcode is valid")
		fs.IntVar(&maxDays, "max-days", 7, "the most days allowed")
		fs.BoolVar(&override, "override-30-days", false, "issue one despite the 30-day rule, having checked the user's identity (needs --reason)")
		fs.StringVar(&reason, "reason", "", "why the rule is overridden, for the audit (never a secret)")
	}
	return onUser(ctx, env, "user temp-passcode", args, define, &mf, func(d *deps, _ common, userID string) error {
		switch {
		case override && strings.TrimSpace(reason) == "":
			return usagef("user temp-passcode: --override-30-days needs --reason TEXT: why, for the audit")
		case !override && reason != "":
			return usagef("user temp-passcode: --reason goes with --override-30-days")
		}
		var tp account.TempPasscode
		var err error
		if override {
			tp, err = d.acct.IssueTempPasscodeOverride(ctx, account.Admin, account.ByAdmin(userID), days, maxDays, reason)
		} else {
			tp, err = d.acct.IssueTempPasscode(ctx, account.Admin, account.ByAdmin(userID), days, maxDays)
		}
		if err != nil {
			return err
		}
		return printJSON(env.Stdout, struct {
			UserID     string    `json:"userid"`
			Passcode   string    `json:"temporary_passcode"`
			Expires    time.Time `json:"expires"`
			Notice     string    `json:"notice"`
			Overridden bool      `json:"overrode_30_day_rule,omitempty"`
		}{UserID: userID, Passcode: tp.Code, Expires: tp.Expires, Notice: tp.Notice, Overridden: override})
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
	return onUser(ctx, env, "user oneswipe", args, define, nil, func(d *deps, _ common, userID string) error {
		e, err := d.acct.IssueEnrolCode(ctx, account.Admin, account.ByAdmin(userID), enrolURL)
		if err != nil {
			return err
		}
		out := struct {
			UserID  string    `json:"userid"`
			Expires time.Time `json:"expires"`
			Code    string    `json:"oneswipe,omitempty"`
			QRFile  string    `json:"qr_file,omitempty"`
		}{UserID: e.UserID, Expires: e.Expires}
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
