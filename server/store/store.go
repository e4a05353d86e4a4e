// Package store is the companion server's data model: users, their soft
// token seeds, initial passcodes, failure counters and the audit trail, and
// the Store interface the protocol code uses. Implementations live in
// packages named after what they depend on (server/sqlite).
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Errors every Store returns for expected outcomes.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

// User is one account. PassHash is an argon2id PHC string; no field holds a
// secret in clear.
type User struct {
	ID     int64
	UserID string
	Firm   string
	Roles  string
	// Attr is the free-form JSON object the protocol returns with
	// verifylogin.
	Attr    json.RawMessage
	IsAdmin bool
	Active  bool
	// Use2FA says logins need a passcode.
	Use2FA bool
	// SMS says the passcodes come by text message to Phone rather than
	// from a token (guide, section 4.2.3).
	SMS bool
	// PassHash is the password's argon2id hash.
	PassHash string
	// MustChangePassword is set when an administrator set the password.
	MustChangePassword bool
	Email, Phone       string
	// Failures counts consecutive failed verifications; LockedUntil is
	// when a lockout ends (zero: not locked).
	Failures    int
	LockedUntil time.Time
	Created     time.Time
}

// Token is a user's soft-token seed, sealed with the master key, and the
// state of its verification.
type Token struct {
	Serial     string
	SealedSeed []byte
	Algorithm  string
	Digits     int
	Period     int
	// LastStep is the last TOTP step accepted; a code of this step or an
	// earlier one is never accepted again. -1 before the first.
	LastStep int64
	// Drift is the step offset of the last accepted code, so that the
	// window follows the token's clock.
	Drift   int
	Created time.Time
}

// InitialPasscode is the single-use passcode of a welcome mail, hashed.
type InitialPasscode struct {
	Hash    string
	Expires time.Time
	Used    bool
}

// TempPasscode is a temporary passcode from the self-help desk or an
// administrator (guide, section 5), hashed. It works as a passcode until it
// expires or a re-enrolment supersedes it.
type TempPasscode struct {
	Hash    string
	Issued  time.Time
	Expires time.Time
	Revoked bool
}

// SMSCode is a passcode sent by text message, hashed. Purpose says what
// it proves: SMSLogin for a login, SMSPhone for owning a new number.
type SMSCode struct {
	Purpose string
	Hash    string
	Phone   string
	Expires time.Time
}

// The purposes of SMS codes.
const (
	SMSLogin = "login"
	SMSPhone = "phone"
)

// SecurityAnswer is a user's answer to one of the server's security
// questions, normalised and hashed.
type SecurityAnswer struct {
	QuestionID int
	Hash       string
}

// Errors of UseEnrolCode for a code that exists but no longer works.
var (
	ErrCodeUsed    = errors.New("code already used")
	ErrCodeExpired = errors.New("code expired")
)

// ErrAlreadyUsed is returned by CompleteEnrolment when the initial passcode
// it was to use up has been used meanwhile.
var ErrAlreadyUsed = errors.New("initial passcode already used")

// AuditEvent is one audited action. Detail never holds a secret.
type AuditEvent struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	UserID  string    `json:"userid,omitempty"`
	Client  string    `json:"client,omitempty"`
	Event   string    `json:"event"`
	Outcome string    `json:"outcome"`
	Detail  string    `json:"detail,omitempty"`
}

// AuditFilter selects audit events; zero fields match everything.
type AuditFilter struct {
	UserID string
	Since  time.Time
	Limit  int
}

// Store is the server's persistence. Every method is safe for concurrent
// use; AcceptStep and RecordFailure are atomic against concurrent calls.
type Store interface {
	CreateUser(ctx context.Context, u User) (User, error)
	UserByUserID(ctx context.Context, userID string) (User, error)
	ListUsers(ctx context.Context) ([]User, error)
	// UpdateUser writes a user's profile: firm, roles, attr, admin,
	// active, use2fa, e-mail and phone.
	UpdateUser(ctx context.Context, u User) error
	SetPassword(ctx context.Context, id int64, hash string, mustChange bool) error
	DeleteUser(ctx context.Context, id int64) error

	// SetToken replaces the user's token.
	SetToken(ctx context.Context, id int64, t Token) error
	TokenOf(ctx context.Context, id int64) (Token, error)
	DeleteToken(ctx context.Context, id int64) error
	// AcceptStep records step as used, with its drift, if and only if it
	// is later than the last accepted step; it reports whether it did.
	AcceptStep(ctx context.Context, id int64, step int64, drift int) (bool, error)

	SetInitialPasscode(ctx context.Context, id int64, p InitialPasscode) error
	InitialPasscodeOf(ctx context.Context, id int64) (InitialPasscode, error)
	// UseInitialPasscode marks it used if it was not; it reports whether
	// this call used it.
	UseInitialPasscode(ctx context.Context, id int64) (bool, error)

	// RecordFailure counts one failure; at max consecutive failures the
	// user is locked until now+lockFor. It returns the lock's end (zero
	// when not locked).
	RecordFailure(ctx context.Context, id int64, max int, lockFor time.Duration, now time.Time) (time.Time, error)
	ResetFailures(ctx context.Context, id int64) error

	SecurityAnswers(ctx context.Context, id int64) ([]SecurityAnswer, error)
	SetSecurityAnswers(ctx context.Context, id int64, answers []SecurityAnswer) error
	// SetTempPasscode replaces the user's temporary passcode.
	SetTempPasscode(ctx context.Context, id int64, p TempPasscode) error
	// TempPasscodeOf returns the user's last temporary passcode (expired
	// or revoked ones too: they date the 30-day rule), or ErrNotFound.
	TempPasscodeOf(ctx context.Context, id int64) (TempPasscode, error)

	// AddEnrolCode stores the hash of a One Swipe enrolment code of the
	// user, valid until expires; it replaces the user's earlier codes.
	AddEnrolCode(ctx context.Context, id int64, hash []byte, expires time.Time) error
	// UseEnrolCode marks the code with this hash used and returns its
	// user's ID: ErrNotFound for no such code, ErrCodeUsed or
	// ErrCodeExpired for one that no longer works.
	UseEnrolCode(ctx context.Context, hash []byte, now time.Time) (int64, error)

	// CompleteEnrolment, in one transaction, gives the user the token t
	// (replacing any other, whose codes then fail, and ending SMS), turns
	// 2FA on, clears failures, revokes any temporary passcode and spends
	// an unused initial passcode. With useInitial the enrolment was proved
	// with the initial passcode: ErrAlreadyUsed if it was used meanwhile
	// (nothing changes then).
	CompleteEnrolment(ctx context.Context, id int64, t Token, useInitial bool) error
	// CompleteSMSEnrolment, in one transaction, makes the user an SMS user
	// with phone: their token is deleted, 2FA turned on, failures cleared,
	// any temporary passcode revoked and the initial passcode spent, as
	// for CompleteEnrolment.
	CompleteSMSEnrolment(ctx context.Context, id int64, phone string, useInitial bool) error

	// SetSMSCode replaces the user's SMS code of c.Purpose.
	SetSMSCode(ctx context.Context, id int64, c SMSCode) error
	// SMSCodeOf returns the user's SMS code of purpose, or ErrNotFound.
	SMSCodeOf(ctx context.Context, id int64, purpose string) (SMSCode, error)
	// DeleteSMSCode deletes the code with this hash and reports whether
	// this call did: of concurrent uses of one code exactly one wins.
	DeleteSMSCode(ctx context.Context, id int64, purpose, hash string) (bool, error)

	// DisableUnenrolled disables every active user whose initial passcode
	// expired unused before now and who has no token, and returns their IDs.
	DisableUnenrolled(ctx context.Context, now time.Time) ([]string, error)

	Audit(ctx context.Context, e AuditEvent) error
	AuditEvents(ctx context.Context, f AuditFilter) ([]AuditEvent, error)
	Close() error
}
