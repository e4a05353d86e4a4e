package cli

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/lang"
)

// How the user commands show users.

// userJSON is how the admin commands show a user: never a hash or a seed.
type userJSON struct {
	UserID             string          `json:"userid"`
	Firm               string          `json:"firm,omitempty"`
	Roles              string          `json:"roles,omitempty"`
	Attr               json.RawMessage `json:"attr,omitempty"`
	Admin              bool            `json:"admin"`
	Service            bool            `json:"service,omitempty"`
	Scope              string          `json:"scope,omitempty"`
	Networks           string          `json:"networks,omitempty"`
	Active             bool            `json:"active"`
	Use2FA             bool            `json:"use2fa"`
	SMS                bool            `json:"sms,omitempty"`
	Email              string          `json:"email,omitempty"`
	Phone              string          `json:"phone,omitempty"`
	Lang               string          `json:"lang"`
	MustChangePassword bool            `json:"must_change_password"`
	Failures           int             `json:"failures"`
	LockedUntil        *time.Time      `json:"locked_until,omitempty"`
	TokenSerial        string          `json:"token_serial,omitempty"`
	ConsoleRole        string          `json:"console_role,omitempty"`
	Created            time.Time       `json:"created"`
	// Set only by add and reset, which hand these to the admin once.
	InitialPasscode string `json:"initial_passcode,omitempty"`
	TwoFASeed       string `json:"2faseed,omitempty"`
	// SMSPreload says where an SMS user's first passcode went, or why it
	// did not (pre-loaded: see --sms-mode).
	SMSPreload string `json:"sms_preload,omitempty"`
	// Mail says where the welcome mail went, or why it did not.
	Mail     string `json:"mail,omitempty"`
	MailSent *bool  `json:"mail_sent,omitempty"`
}

func showUser(v account.UserDetail) userJSON {
	j := userJSON{UserID: v.UserID, Firm: v.Firm, Roles: v.Roles, Attr: v.Attr, Admin: v.IsAdmin, Service: v.Service, Scope: v.Scope, Networks: v.Networks, Active: v.Active,
		Use2FA: v.Use2FA, SMS: v.SMS, Email: v.Email, Phone: v.Phone, Lang: string(lang.Or(v.Lang)), MustChangePassword: v.MustChangePassword,
		Failures: v.Failures, Created: v.Created, TokenSerial: v.TokenSerial, ConsoleRole: string(v.ConsoleRole)}
	if !v.LockedUntil.IsZero() {
		j.LockedUntil = &v.LockedUntil
	}
	return j
}

// smsPreload says where a new SMS user's first passcode went, or why it
// did not ("" when none was to go).
func smsPreload(env Env, c account.Created) string {
	switch {
	case c.SMSTo != "":
		return "passcode for the next logon sent to " + c.SMSTo
	case c.SMSErr != nil:
		fmt.Fprintf(env.Stderr, "softtoken-server: warning: the user's first SMS passcode was not sent (%v): they ask for one at their first logon\n", c.SMSErr)
		return "not sent: " + c.SMSErr.Error()
	}
	return ""
}

// printable is a new user or a reset as the admin sees it.
func printable(c account.Created) userJSON {
	out := showUser(account.UserDetail{UserView: c.User})
	out.InitialPasscode = c.InitialPasscode
	if c.Token != nil {
		out.TwoFASeed, out.TokenSerial = c.Token.Secret.Base32(), c.Token.Serial
	}
	return out
}
