package cli

import (
	"flag"
	"path/filepath"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/sms"
)

// smsFlags configure how passcodes by SMS leave the server, and when they
// are sent (--sms-mode, --sms-preload-max-age): serve's, and the admin
// commands' that make SMS users, which send them their first pre-loaded
// passcode.
type smsFlags struct {
	mode, outbox, url, method, body, contentType string
	// transport names the flag of mode: --sms for serve; the user
	// commands, whose --sms makes an SMS user, say --sms-transport.
	transport string
	when      account.SMSMode
	maxAge    time.Duration
}

// define defines serve's SMS flags.
func (f *smsFlags) define(env Env, fs *flag.FlagSet) { f.defineAs(env, fs, "sms") }

// defineAs defines the SMS flags, the way texts leave named transport.
func (f *smsFlags) defineAs(env Env, fs *flag.FlagSet, transport string) {
	f.transport = transport
	fs.StringVar(&f.mode, transport, or(env.Getenv("SOFTTOKEN_SMS"), "outbox"), "how SMS passcodes are sent: outbox, http or off (SOFTTOKEN_SMS)")
	fs.StringVar(&f.outbox, "sms-outbox", env.Getenv("SOFTTOKEN_SMS_OUTBOX"), "folder for SMS in outbox mode (default: sms-outbox next to the SQLite database, or to the master key with PostgreSQL)")
	fs.StringVar(&f.url, "sms-url", env.Getenv("SOFTTOKEN_SMS_URL"), "gateway URL in http mode; {to} and {text} are replaced (SOFTTOKEN_SMS_URL)")
	fs.StringVar(&f.method, "sms-method", or(env.Getenv("SOFTTOKEN_SMS_METHOD"), "POST"), "gateway HTTP method")
	fs.StringVar(&f.body, "sms-body", env.Getenv("SOFTTOKEN_SMS_BODY"), "gateway request body; {to} and {text} are replaced (SOFTTOKEN_SMS_BODY)")
	fs.StringVar(&f.contentType, "sms-content-type", or(env.Getenv("SOFTTOKEN_SMS_CONTENT_TYPE"), "application/x-www-form-urlencoded"), "gateway body type")
	f.defineWhen(env, fs)
}

// defineWhen defines --sms-mode and --sms-preload-max-age, whose defaults
// come from the environment as the other SMS flags' do.
func (f *smsFlags) defineWhen(env Env, fs *flag.FlagSet) {
	f.when, f.maxAge = account.SMSBoth, account.DefaultSMSPreloadMaxAge
	if v := env.Getenv("SOFTTOKEN_SMS_MODE"); v != "" {
		f.when, _ = account.ParseSMSMode(v) // checked in rules: a flag may replace it
	}
	if v := env.Getenv("SOFTTOKEN_SMS_PRELOAD_MAX_AGE"); v != "" {
		f.maxAge, _ = time.ParseDuration(v)
	}
	fs.Func("sms-mode", "when SMS users are sent passcodes: preload (the next one before it is needed), on-demand (when a login asks) or both (SOFTTOKEN_SMS_MODE) (default both)",
		func(v string) (err error) {
			f.when, err = account.ParseSMSMode(v)
			return err
		})
	fs.DurationVar(&f.maxAge, "sms-preload-max-age", f.maxAge, "how long a pre-loaded SMS passcode works at most, if not used or replaced before (SOFTTOKEN_SMS_PRELOAD_MAX_AGE)")
}

// rules gives cfg the SMS sender and when it sends, and says where the
// texts go, in words.
func (f smsFlags) rules(env Env, dataDir string, cfg *account.Config) (string, error) {
	switch {
	case f.when == "":
		return "", usagef("--sms-mode or SOFTTOKEN_SMS_MODE: say preload, on-demand or both, not %q", env.Getenv("SOFTTOKEN_SMS_MODE"))
	case f.maxAge <= 0:
		return "", usagef("--sms-preload-max-age or SOFTTOKEN_SMS_PRELOAD_MAX_AGE: a duration above zero, such as 720h")
	}
	sender, to, err := f.sender(env, dataDir)
	if err != nil {
		return "", err
	}
	cfg.SMS, cfg.SMSMode, cfg.SMSPreloadMaxAge = sender, f.when, f.maxAge
	return to, nil
}

// sender is the configured SMS sender (nil when SMS is off), and where
// messages go, in words. The gateway's authorisation header comes from
// SOFTTOKEN_SMS_AUTH_HEADER only, so that it is not on the command line.
func (f smsFlags) sender(env Env, dataDir string) (sms.Sender, string, error) {
	switch f.mode {
	case "off":
		return nil, "off", nil
	case "outbox":
		dir := f.outboxDir(dataDir)
		return sms.Outbox{Dir: dir}, "outbox " + dir, nil
	case "http":
		if f.url == "" {
			return nil, "", usagef("--%s http needs --sms-url", f.transport)
		}
		g := sms.Gateway{URL: f.url, Method: f.method, Body: f.body, ContentType: f.contentType, Header: env.Getenv("SOFTTOKEN_SMS_AUTH_HEADER")}
		if err := g.Check(); err != nil {
			return nil, "", usagef("--sms-url: %v", err)
		}
		return sms.Retry(g, 3, 2*time.Second), "gateway " + f.url, nil
	}
	return nil, "", usagef("--%s is outbox, http or off, not %q", f.transport, f.mode)
}

// outboxDir is the folder text messages go to, or "" when they do not go
// to a folder.
func (f smsFlags) outboxDir(dataDir string) string {
	if f.mode != "outbox" {
		return ""
	}
	return or(f.outbox, filepath.Join(dataDir, "sms-outbox"))
}
