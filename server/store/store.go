// Package store is the companion server's data model: users, their soft
// token seeds, single-use passcodes, attempt counters and the audit trail,
// and the Store interface the rules service (server/account) uses.
// The implementation is server/sqlstore, one for both databases, which
// server/sqlite and server/postgres open.
//
// A Store offers transactions, not operations: the rules service composes
// each change to a user from the primitives of a Tx inside one Update, so
// that the change and its audit record commit together or not at all. The
// primitives that decide a race are single conditional statements
// (ReserveAttempt, AcceptStep, UseInitialPasscode, DeleteSMSCode,
// UseEnrolCode, ReserveFirstFactor): of concurrent callers, the store
// decides which one wins, never a read followed by a write in Go. (On
// PostgreSQL, ReserveAttempt and AcceptStep may know their outcome from
// rows the transaction has locked, and the database then checks, before
// the COMMIT, that their statement did just that: server/sqlstore.)
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
	// ErrSchema is a database whose schema is not this server's version
	// (Ready): not migrated yet, or migrated by a newer server.
	ErrSchema = errors.New("the database schema is not this server's")
	ErrExists = errors.New("already exists")
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
	// Service marks an administrator that a web back-end signs in as
	// (verifylogin, adduser): it logs in with its password alone, however
	// the server requires a second factor of everyone else. Set only when
	// the user is made.
	Service bool
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
	// Failures counts consecutive failed second-factor attempts;
	// LockedUntil is when a lockout ends (zero: not locked).
	Failures    int
	LockedUntil time.Time
	// Epoch changes whenever the user's credentials change (password,
	// token, phone, initial passcode) or the account is disabled: what a
	// sign-in proved holds only while the epoch is the one it saw. A new
	// user's epoch is random, so that it matches no grant of an earlier
	// user of the same row ID.
	Epoch   int64
	Created time.Time
	// RecoveredAt is when the user last got a temporary passcode or a new
	// SMS number from the self-help desk: the 30-day rule counts from it.
	RecoveredAt time.Time
	// Lang is the language of the user's mails and text messages (a
	// server/lang code; "" reads as English).
	Lang string
	// DeskQuestion is the security question the self-help desk asks this
	// user until it is answered right (0: none drawn yet), so that a new
	// sign-in cannot draw the other one.
	DeskQuestion int
	// Scope and Networks bound a service account: what it may do (a
	// comma-separated list of account scopes, "verify" and "manage") and
	// the networks it may sign in from (comma-separated CIDR prefixes).
	// Both are empty for everyone else.
	Scope, Networks string
	// ConsoleRole is the user's role in the operators' console and admin
	// API ("admin", "helpdesk", "auditor"; "" for none): see
	// account.Role.
	ConsoleRole string
	// Source is where the user's password is checked: "" here (PassHash),
	// "directory" the bank's directory, by a bind as the user (PassHash
	// is then empty: a directory password is never stored).
	Source string
	// DirectoryKey is a directory user's entry's identity (Person.Key of
	// server/directory), set once: a new person given a leaver's user ID
	// has another.
	DirectoryKey string
}

// APIKey is a key of the admin API (`apikey add`): its name, its role
// (as ConsoleRole) and the SHA-256 of the key, which is never stored in
// clear. A revoked key stays, so that the audit's names keep their
// meaning; its name may be given to a new key.
type APIKey struct {
	ID      int64
	Name    string
	Role    string
	Hash    []byte
	Created time.Time
	// Revoked is when the key was revoked (zero: it works).
	Revoked time.Time
}

// DeskCase is what the self-help desk issued to a user and what waits for
// the user's confirmation (docs/web.md, "The self-help desk"): a new token
// or number set up with what the desk gave becomes the user's only when
// the link mailed to the contact on file is followed, or once the
// cooling-off period ends (Until); the same link's "this was not me"
// revokes it all and locks the account. One case a user.
type DeskCase struct {
	// Hash is the SHA-256 of the link's secret, to find the case by;
	// Sealed is that secret sealed with the master key, to mail the link
	// again with a later notice.
	Hash, Sealed []byte
	Opened       time.Time
	// Until is when the cooling-off period ends: a pending change then
	// becomes the user's at their next sign-in.
	Until time.Time
	// Token is a new token waiting (nil: none).
	Token *Token
	// Phone is a new number for SMS passcodes waiting ("": none).
	Phone string
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
// expires or is revoked (by an enrolment or a reset).
type TempPasscode struct {
	Hash    string
	Issued  time.Time
	Expires time.Time
	Revoked bool
}

// SMSCode is a passcode sent by text message, hashed. Purpose says what
// it proves: SMSLogin for a login (sent when asked for), SMSPreload for
// the next login (sent before it is needed), SMSPhone for owning a new
// number. A user has at most one code of each purpose: a new one
// replaces the last, and codes of other purposes stay.
type SMSCode struct {
	Purpose string
	Hash    string
	Phone   string
	Expires time.Time
}

// The purposes of SMS codes.
const (
	SMSLogin   = "login"
	SMSPreload = "preload"
	SMSPhone   = "phone"
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

// AuditEvent is one audited action. Detail never holds a secret.
type AuditEvent struct {
	// ID is the record's sequence number in the audit's hash chain (set
	// by Tx.Audit).
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	UserID  string    `json:"userid,omitempty"`
	Client  string    `json:"client,omitempty"`
	Event   string    `json:"event"`
	Outcome string    `json:"outcome"`
	Detail  string    `json:"detail,omitempty"`
	// Prev and Hash link the record into the hash chain (see package
	// server/auditchain): the previous record's hash and its own.
	Prev []byte `json:"-"`
	Hash []byte `json:"-"`
}

// AuditHead is the head of the audit's hash chain: the sequence number
// and hash of its last record, and when the chain began (records written
// before then were chained at that moment: Earlier counts them).
type AuditHead struct {
	Seq     int64
	Hash    []byte
	Began   time.Time
	Earlier int64
	// Seal is the head's own HMAC (auditchain.Chain.Seal), so that the
	// head cannot be moved back without the key.
	Seal []byte
}

// AuditFilter selects audit events; zero fields match everything.
type AuditFilter struct {
	UserID string
	Since  time.Time
	// Limit keeps the newest Limit records of those selected (still
	// oldest first); 0 keeps all.
	Limit int
}

// Attempt is the state of a user's second-factor attempts after a
// reservation.
type Attempt struct {
	// Failures counts the reserved attempt too.
	Failures    int
	LockedUntil time.Time
}

// Throttle is the state of first-factor attempts (passwords, One Swipe
// codes) for one user ID from one source.
type Throttle struct {
	Failures     int
	BlockedUntil time.Time
}

// Lease is a user's concurrent-access session (guide: a second access is
// refused for a while): who holds it, whether its socket is open, and
// until when it holds (an open socket refreshes it; a node that dies lets
// it lapse).
type Lease struct {
	UserID  string
	Holder  string
	Open    bool
	Until   time.Time
	Updated time.Time
}

// Store is the server's persistence. Every method is safe for concurrent
// use.
type Store interface {
	// Update runs fn in one read-write transaction: everything fn writes
	// commits together, or nothing does when fn or the commit fails (fn's
	// error is returned as it is).
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn with read access only.
	View(ctx context.Context, fn func(ReadTx) error) error
	// Ready reports whether the store can serve: the database answers
	// within ctx and its schema is at the version this server's
	// migrations end at (a node of an older or newer server is not). It
	// is what /readyz asks, so it must be cheap.
	Ready(ctx context.Context) error
	Close() error
}

// ReadTx reads the store.
type ReadTx interface {
	UserByUserID(userID string) (User, error)
	UserByID(id int64) (User, error)
	ListUsers() ([]User, error)
	TokenOf(id int64) (Token, error)
	InitialPasscodeOf(id int64) (InitialPasscode, error)
	SecurityAnswers(id int64) ([]SecurityAnswer, error)
	// TempPasscodeOf returns the user's last temporary passcode (expired
	// or revoked ones too: they date the 30-day rule), or ErrNotFound.
	TempPasscodeOf(id int64) (TempPasscode, error)
	// SMSCodeOf returns the user's SMS code of purpose, or ErrNotFound.
	SMSCodeOf(id int64, purpose string) (SMSCode, error)
	// DeskCaseOf returns the user's open help desk case, or ErrNotFound.
	DeskCaseOf(id int64) (DeskCase, error)
	// DeskCaseByHash returns the case whose link secret hashes to hash,
	// and its user's row ID, or ErrNotFound.
	DeskCaseByHash(hash []byte) (int64, DeskCase, error)
	AuditEvents(f AuditFilter) ([]AuditEvent, error)
	// WalkAudit reads, as of one moment (records appended meanwhile are
	// not seen), the audit chain's head, which it gives to head, and then
	// every record in sequence order, which it gives to record. It stops
	// at the first error and returns it; a missing head is ErrNotFound.
	WalkAudit(head func(AuditHead) error, record func(AuditEvent) error) error
	// AuditHead reads the audit chain's head (ErrNotFound when it is
	// gone).
	AuditHead() (AuditHead, error)
	// AuditCodesFrom reads the sequence number from which the audit's
	// outcomes are codes (account.Code); the records before it hold the
	// words of their time (docs/audit.md); 0 when the mark is gone.
	AuditCodesFrom() (int64, error)
	// Leases lists the leases that last past now.
	Leases(now time.Time) ([]Lease, error)
	// APIKeyByHash finds the key (revoked or not) whose SHA-256 is hash,
	// or ErrNotFound.
	APIKeyByHash(hash []byte) (APIKey, error)
	// APIKeys lists every key, revoked ones too, by name.
	APIKeys() ([]APIKey, error)
}

// Tx reads and writes the store inside one transaction.
type Tx interface {
	ReadTx

	// CreateUser inserts u; a user ID that exists (in any case) is
	// ErrExists.
	CreateUser(u User) (User, error)
	// UpdateUser writes a user's profile and flags: firm, roles, attr,
	// admin, active, use2fa, sms, e-mail, phone, recovery time, language,
	// the help desk's question, and a service account's scope and networks.
	UpdateUser(u User) error
	SetPassword(id int64, hash string, mustChange bool) error
	// BumpEpoch moves the user's epoch on and returns the new one.
	BumpEpoch(id int64) (int64, error)
	DeleteUser(id int64) error

	// SetToken replaces the user's token.
	SetToken(id int64, t Token) error
	// DeleteToken deletes the user's token; it reports whether there was one.
	DeleteToken(id int64) (bool, error)
	// AcceptStep records step as used, with its drift, if and only if it
	// is later than the last accepted step; it reports whether it did.
	AcceptStep(id int64, step int64, drift int) (bool, error)

	SetInitialPasscode(id int64, p InitialPasscode) error
	// UseInitialPasscode marks it used if it was not; it reports whether
	// this call used it.
	UseInitialPasscode(id int64) (bool, error)

	// ReserveAttempt counts one second-factor attempt unless the user is
	// locked at now (ok false, nothing counted). The attempt that reaches
	// max locks the user until now+lockFor at once, before it is checked;
	// ResetFailures undoes that when it succeeds.
	ReserveAttempt(id int64, max int, lockFor time.Duration, now time.Time) (a Attempt, ok bool, err error)
	// ResetFailures clears the failure count and any lock of a user
	// this transaction read: a row that is not there is not told (the
	// write may go with the commit, see server/sqlstore's pipeline.go).
	ResetFailures(id int64) error
	// Lock locks the user until until, whatever their failures.
	Lock(id int64, until time.Time) error

	// ReserveFirstFactor counts one first-factor attempt for the user ID
	// key from source unless that pair is blocked at now (ok false). The
	// delay computes, from the failures counted (this one included), how
	// long the pair is blocked after this attempt.
	ReserveFirstFactor(key, source string, now time.Time, delay func(failures int) time.Duration) (t Throttle, ok bool, err error)
	// ClearFirstFactor forgets the failures of key from source.
	ClearFirstFactor(key, source string) error
	// RefundFirstFactor takes back one attempt ReserveFirstFactor counted
	// for key from source, and the block it set: an attempt whose check
	// could not be made (the directory did not answer) counts nothing.
	RefundFirstFactor(key, source string) error
	// ForgetFirstFactors deletes the throttles last touched before.
	ForgetFirstFactors(before time.Time) error

	SetSecurityAnswers(id int64, answers []SecurityAnswer) error
	// SetTempPasscode replaces the user's temporary passcode.
	SetTempPasscode(id int64, p TempPasscode) error
	// RevokeTempPasscode revokes the user's temporary passcode, if any.
	RevokeTempPasscode(id int64) error

	// AddEnrolCode stores the hash of a One Swipe enrolment code of the
	// user, valid until expires; it replaces the user's earlier codes.
	AddEnrolCode(id int64, hash []byte, expires time.Time) error
	// UseEnrolCode marks the code with this hash used and returns its
	// user's ID: ErrNotFound for no such code, ErrCodeUsed or
	// ErrCodeExpired for one that no longer works.
	UseEnrolCode(hash []byte, now time.Time) (int64, error)
	// DeleteEnrolCodes revokes the user's unused One Swipe enrolment codes
	// (used ones stay, so that a second use is told as such).
	DeleteEnrolCodes(id int64) error

	// SetSMSCode replaces the user's SMS code of c.Purpose.
	SetSMSCode(id int64, c SMSCode) error
	// DeleteSMSCode deletes the code with this hash and reports whether
	// this call did: of concurrent uses of one code exactly one wins.
	DeleteSMSCode(id int64, purpose, hash string) (bool, error)
	// DeleteSMSCodes deletes all the user's SMS codes.
	DeleteSMSCodes(id int64) error

	// SetDeskCase replaces the user's help desk case.
	SetDeskCase(id int64, c DeskCase) error
	// DeleteDeskCase closes the user's help desk case and reports whether
	// this call did: of a confirmation and a "this was not me" at once,
	// one wins.
	DeleteDeskCase(id int64) (bool, error)

	// DisableUnenrolled disables every active user whose initial passcode
	// expired unused before now and who has no token and no SMS, moves
	// their epochs on, and returns their IDs.
	DisableUnenrolled(now time.Time) ([]string, error)

	// Audit appends an event to the hash chain: it reads the chain's head,
	// links e to it (e.ID, e.Prev and e.Hash are the store's to set) and
	// moves the head, within this transaction, so that of concurrent
	// appends each links to the one before.
	Audit(e AuditEvent) error

	Batching

	// TakeLease gives userID's lease to holder (open, until until) unless
	// another holder's lease lasts past now: then it returns that lease.
	TakeLease(userID, holder string, until, now time.Time) (other Lease, ok bool, err error)
	// RefreshLeases moves the end of holder's open leases to until.
	RefreshLeases(holder string, until time.Time) error
	// EndLease ends holder's lease of userID: closed, holding until until
	// (a zero until deletes it). It reports whether holder had it.
	EndLease(userID, holder string, until time.Time) (bool, error)
	// DropLease deletes userID's lease, whoever holds it.
	DropLease(userID string) (bool, error)

	// CreateAPIKey stores k; a name that a key not revoked has is
	// ErrExists.
	CreateAPIKey(k APIKey) (APIKey, error)
	// RevokeAPIKey revokes the working key named name at at, and reports
	// whether there was one.
	RevokeAPIKey(name string, at time.Time) (bool, error)

	// RekeyTx moves the seeds and the audit to a new master key.
	RekeyTx
}
