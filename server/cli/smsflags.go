package cli

import (
	"flag"
	"path/filepath"
	"time"

	"github.com/softtoken/softtoken/server/sms"
)

// smsFlags configure how passcodes by SMS leave the server.
type smsFlags struct {
	mode, outbox, url, method, body, contentType string
}

func (f *smsFlags) define(env Env, fs *flag.FlagSet) {
	fs.StringVar(&f.mode, "sms", or(env.Getenv("SOFTTOKEN_SMS"), "outbox"), "how SMS passcodes are sent: outbox, http or off (SOFTTOKEN_SMS)")
	fs.StringVar(&f.outbox, "sms-outbox", env.Getenv("SOFTTOKEN_SMS_OUTBOX"), "folder for SMS in outbox mode (default: sms-outbox next to the SQLite database, or to the master key with PostgreSQL)")
	fs.StringVar(&f.url, "sms-url", env.Getenv("SOFTTOKEN_SMS_URL"), "gateway URL in http mode; {to} and {text} are replaced (SOFTTOKEN_SMS_URL)")
	fs.StringVar(&f.method, "sms-method", or(env.Getenv("SOFTTOKEN_SMS_METHOD"), "POST"), "gateway HTTP method")
	fs.StringVar(&f.body, "sms-body", env.Getenv("SOFTTOKEN_SMS_BODY"), "gateway request body; {to} and {text} are replaced (SOFTTOKEN_SMS_BODY)")
	fs.StringVar(&f.contentType, "sms-content-type", or(env.Getenv("SOFTTOKEN_SMS_CONTENT_TYPE"), "application/x-www-form-urlencoded"), "gateway body type")
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
			return nil, "", usagef("serve: --sms http needs --sms-url")
		}
		g := sms.Gateway{URL: f.url, Method: f.method, Body: f.body, ContentType: f.contentType, Header: env.Getenv("SOFTTOKEN_SMS_AUTH_HEADER")}
		if err := g.Check(); err != nil {
			return nil, "", usagef("serve: %v", err)
		}
		return sms.Retry(g, 3, 2*time.Second), "gateway " + f.url, nil
	}
	return nil, "", usagef("serve: --sms is outbox, http or off, not %q", f.mode)
}

// outboxDir is the folder text messages go to, or "" when they do not go
// to a folder.
func (f smsFlags) outboxDir(dataDir string) string {
	if f.mode != "outbox" {
		return ""
	}
	return or(f.outbox, filepath.Join(dataDir, "sms-outbox"))
}
