package account

import (
	"encoding/json"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// UserView is what an adapter may know of a user: the profile it renders
// and the flags it acts on. It is never a store row: no password hash, no
// epoch, no failure count or lock time (the rules decide with those, and
// an adapter only ever hands back a Grant). The fields are named as the
// store's are.
type UserView struct {
	UserID string
	Firm   string
	Roles  string
	// Attr is the free-form JSON object verifylogin returns.
	Attr json.RawMessage
	// IsAdmin marks an administrator; Service, an administrator that a
	// web back-end signs in as, bound by Scope and Networks (see
	// store.User).
	IsAdmin, Service bool
	Scope, Networks  string
	Active           bool
	// Use2FA says logins need a passcode; SMS, that the passcodes come by
	// text message to Phone.
	Use2FA, SMS bool
	// MustChangePassword says the next login must change the password
	// (an administrator set it).
	MustChangePassword bool
	Email, Phone       string
	// Lang is the language of the user's mails and text messages (a
	// server/lang code; "" reads as English).
	Lang    string
	Created time.Time
	// ConsoleRole is the user's role in the operators' console ("" for
	// none: see Role).
	ConsoleRole Role
}

// viewOf is what adapters may know of the row u; the zero row gives the
// zero view.
func viewOf(u store.User) UserView {
	return UserView{UserID: u.UserID, Firm: u.Firm, Roles: u.Roles, Attr: u.Attr, IsAdmin: u.IsAdmin, Service: u.Service,
		Scope: u.Scope, Networks: u.Networks, Active: u.Active, Use2FA: u.Use2FA, SMS: u.SMS,
		MustChangePassword: u.MustChangePassword, Email: u.Email, Phone: u.Phone, Lang: u.Lang, Created: u.Created,
		ConsoleRole: Role(u.ConsoleRole)}
}

// UserDetail is what an administrator sees of a user (the admin command
// line): the view, and the state of the user's second factor and lockout.
// Never a hash or a seed.
type UserDetail struct {
	UserView
	// Failures counts consecutive failed second-factor attempts;
	// LockedUntil is when a lockout ends (zero: none was set).
	Failures    int
	LockedUntil time.Time
	// TokenSerial is the serial of the user's token, "" for none.
	TokenSerial string
	// Locked says the user is locked now.
	Locked bool
}

// Session is a session that holds a user (`session list`): whose, whether
// its socket is still open, and until when it holds once closed.
type Session struct {
	UserID string
	Open   bool
	Until  time.Time
}
