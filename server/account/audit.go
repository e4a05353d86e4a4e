package account

import (
	"context"
	"errors"
	"time"

	"github.com/softtoken/softtoken/server/auditchain"
	"github.com/softtoken/softtoken/server/store"
)

// ErrNoAuditKey is a VerifyAudit without the chain's key.
var ErrNoAuditKey = errors.New("the audit cannot be verified without the master key")

// VerifyAudit checks the whole audit's hash chain as of one moment (the
// admin command `audit verify`): the first record changed, removed or
// inserted since it was written is named by the *auditchain.Break it
// returns, and so is a chain whose head is missing.
// Each witness (a record seen earlier, kept outside the database) must
// still be there with its hash.
func (s *Service) VerifyAudit(ctx context.Context, witnesses ...auditchain.Witness) (auditchain.Summary, error) {
	if s.cfg.AuditChain == nil {
		return auditchain.Summary{}, ErrNoAuditKey
	}
	var sum auditchain.Summary
	err := s.st.View(ctx, func(tx store.ReadTx) error {
		var err error
		sum, err = s.verifyChain(tx, witnesses...)
		return err
	})
	return sum, err
}

// AuditHead is the audit chain's head now: what `serve` logs every hour,
// as a witness kept outside the database (see VerifyAudit).
func (s *Service) AuditHead(ctx context.Context) (store.AuditHead, error) {
	var h store.AuditHead
	err := s.st.View(ctx, func(tx store.ReadTx) error {
		var err error
		h, err = tx.AuditHead()
		return err
	})
	return h, err
}

// The codes of what the audit records besides the rules' outcomes (see
// Codes): words of the audit's own, stable like the others.
const (
	// CodeBegan: the audit's hash chain began (ChainBegun).
	CodeBegan Code = "began"
	// CodeRateLimited: a source asked too often and was not answered (a
	// sign-in page, SMS passcodes).
	CodeRateLimited Code = "rate_limited"
	// CodeSecondFactorOff: the server started with the second factor
	// not required (Started).
	CodeSecondFactorOff Code = "second_factor_off"
)

// AuditCodes are every code the audit records: the rules' outcomes
// (Codes), CodeOK, CodeFailed, and the audit's own words.
func AuditCodes() []Code {
	return append([]Code{CodeOK, CodeFailed, CodeBegan, CodeRateLimited, CodeSecondFactorOff}, Codes()...)
}

// legacyOutcomes are the words the audit recorded before its outcomes
// were codes (records before AuditCodesFrom), each with its code; the
// table is docs/audit.md's. Never change a word here: it is what old
// records hold.
var legacyOutcomes = map[string]Code{
	"OK":                                        CodeOK,
	"failed":                                    CodeFailed,
	"began":                                     CodeBegan,
	"locked":                                    CodeLocked,
	"rate limited":                              CodeRateLimited,
	"second factor not required":                CodeSecondFactorOff,
	"invalid user ID or password":               CodeInvalidLogin,
	"invalid passcode":                          CodeInvalidCode,
	"account locked":                            CodeLocked,
	"account disabled":                          CodeDisabled,
	"too many attempts":                         CodeThrottled,
	"passcode expired":                          CodePasscodeExpired,
	"code already used":                         CodeCodeUsed,
	"signed out: the account changed":           CodeSignedOut,
	"not allowed":                               CodeNotAllowed,
	"no such user":                              CodeNoSuchUser,
	"user already exists":                       CodeUserExists,
	"the new password is the current one":       CodeSamePassword,
	"password must be 8 to 200 characters":      CodeWeakPassword,
	"answers not accepted":                      CodeBadAnswers,
	"wrong answer":                              CodeWrongAnswer,
	"no security questions":                     CodeNoQuestions,
	"temporary passcode too soon":               CodeTooSoon,
	"temporary passcode validity out of range":  CodeBadDays,
	"not a mobile number in international form": CodeBadPhone,
	"passcodes by SMS are switched off on this server":               CodeSMSOff,
	"too many text messages: wait a few minutes":                     CodeSMSTooMany,
	"the user gets no passcodes by SMS":                              CodeNotSMSUser,
	"the user has no token":                                          CodeNoToken,
	"the SMS could not be sent":                                      CodeSMSNotSent,
	"user already logged in":                                         CodeHeld,
	"no session holds the user":                                      CodeNoSession,
	"no second factor enrolled":                                      CodeNotEnrolled,
	"server busy":                                                    CodeBusy,
	"the link is not valid any more":                                 CodeNoDeskCase,
	"changing the security answers needs your token or SMS passcode": CodeOldFactor,
	"what waits changed since the page was opened":                   CodeDeskCaseChanged,
	// Words of the first versions, which named outcomes by the
	// protocol's results.
	"invalid user/password": CodeInvalidLogin,
	"invalid token":         CodeInvalidCode,
	"already exists":        CodeUserExists,
}

// AuditEvent is one audit record as the admin commands read it.
type AuditEvent struct {
	// Seq is the record's sequence number in the hash chain.
	Seq    int64
	At     time.Time
	UserID string
	Client string
	Event  string
	// Outcome is what the record holds: a Code, or in a record from
	// before the codes (Legacy) the word of its time.
	Outcome string
	// Code is the outcome's code, the word of an old record translated
	// (docs/audit.md).
	Code   Code
	Legacy bool
	Detail string
	// Prev and Hash link the record into the hash chain (package
	// server/auditchain).
	Prev, Hash []byte
}

// AuditFilter selects audit records; zero fields match everything.
type AuditFilter struct {
	UserID string
	Since  time.Time
	// Outcome matches a record of this code, old records by their word's
	// code.
	Outcome Code
	// Limit keeps the newest Limit records (0: all); with Outcome, of
	// the newest Limit records those of the outcome.
	Limit int
}

// AuditEvents reads the audit, oldest first, as by may see it: the whole
// audit for the admin command line, an admin and an auditor; for a
// help-desk operator, without the records of other operators and of
// administrators (see Role).
func (s *Service) AuditEvents(ctx context.Context, by Actor, f AuditFilter) ([]AuditEvent, error) {
	var rows []store.AuditEvent
	var from int64
	hidden := func(string) bool { return false }
	err := s.st.View(ctx, func(tx store.ReadTx) error {
		var err error
		if hidden, err = s.hiddenFrom(tx, by); err != nil {
			return err
		}
		if from, err = tx.AuditCodesFrom(); err != nil {
			return err
		}
		rows, err = tx.AuditEvents(store.AuditFilter{UserID: f.UserID, Since: f.Since, Limit: f.Limit})
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []AuditEvent
	for _, r := range rows {
		e := auditEvent(r, from)
		if (f.Outcome == "" || e.Code == f.Outcome) && !hidden(e.UserID) {
			out = append(out, e)
		}
	}
	return out, nil
}

// auditEvent is the record r, whose outcome is a code from record from
// on. An old word takes its code wherever it stands: a node of the
// version before the codes, still serving the sockets it had when another
// node migrated the database, writes words after the mark; and the mark
// is outside the hash chain, so what a record means must not hang on it.
// No code is an old word of another meaning (TestAuditCodesAreWordsOfTheirOwn),
// so a code reads as itself either way.
func auditEvent(r store.AuditEvent, from int64) AuditEvent {
	e := AuditEvent{Seq: r.ID, At: r.At, UserID: r.UserID, Client: r.Client, Event: r.Event, Outcome: r.Outcome,
		Code: Code(r.Outcome), Legacy: r.ID < from, Detail: r.Detail, Prev: r.Prev, Hash: r.Hash}
	if c, ok := legacyOutcomes[r.Outcome]; ok {
		e.Code = c
	}
	return e
}

// AuditCodesFrom is the sequence number of the audit's first record
// whose outcome is a code: the records before it hold the words of
// their time (docs/audit.md).
func (s *Service) AuditCodesFrom(ctx context.Context) (int64, error) {
	var from int64
	err := s.st.View(ctx, func(tx store.ReadTx) error {
		var err error
		from, err = tx.AuditCodesFrom()
		return err
	})
	return from, err
}
