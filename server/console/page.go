package console

import (
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// page is what every template sees. Its words are catalogue keys (Title)
// and msgs (Error, Notice), which the page writes in the reader's
// language.
type page struct {
	Title  string
	CSRF   string
	Error  msg
	Notice msg
	Prefix string
	// Back is the page to come back to after a switch of language.
	Back string
	// Operator and Role are who is signed in ("" before the sign-in).
	Operator string
	Role     account.Role
	// SignIn offers the way to the sign-in page.
	SignIn bool
	// UserID is the sign-in's user ID; SentTo the masked number an SMS
	// passcode went to.
	UserID, SentTo string

	// Filter is the users list's or the audit's filter, as typed.
	Filter filter
	Users  []account.UserDetail
	// User is the user a page shows; Can the actions the operator's role
	// offers on them (by the audit's name of the change).
	User     account.UserDetail
	Can      map[string]bool
	Sessions []account.Session
	Audit    []account.AuditEvent
	// Codes are the outcome codes the audit filter offers.
	Codes []account.Code
	// Days are the validities a temporary passcode may have.
	Days []int

	// Confirm is the action waiting for a confirmation, with the form's
	// fields to send again.
	Confirm *confirmation
	// Result is what an action did, with any secret it issued, shown
	// once.
	Result *result
}

// filter is a list's filter as the form sent it.
type filter struct {
	Locked, Unenrolled, Disabled bool
	Firm, Query                  string
	// User, Since and Outcome filter the audit.
	User, Since, Outcome string
}

// confirmation is a destructive action the operator must confirm: its
// name (the form's action), the user, and the fields to send again.
type confirmation struct {
	Action, UserID string
	Fields         []field
}

// field is a form field sent again by a confirmation.
type field struct{ Name, Value string }

// result is the answer to an action: what was done (a catalogue key),
// and the secrets it issued, shown on this page only.
type result struct {
	UserID string
	Done   msg
	// TempPasscode and Expires: a temporary passcode issued.
	TempPasscode string
	Expires      time.Time
	// InitialPasscode: a new initial passcode (a reset's too); Mail where
	// the welcome mail went.
	InitialPasscode, Mail string
	// Password is a reset's new password, to change at the first login.
	Password string
}
