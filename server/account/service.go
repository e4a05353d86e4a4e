// Package account owns the companion server's rules about users: every
// change to a user (create, profile, password, reset, phone, security
// answers, enrolment, temporary passcode, disable, delete) and every check
// of a secret (password, token passcode, initial, temporary and SMS
// passcodes, security answers, One Swipe codes) is one method of
// [Service]. The websocket, the web pages and the admin commands are
// adapters: they parse a request, call one method and render its result;
// none of them holds the store.
//
// # Transactions
//
// Each change runs in one store transaction with its audit record, on the
// current row of the user, never on a copy a session kept: a session keeps
// a [Grant] (who signed in, how, and the user's epoch then), and every
// method that acts on a grant checks it against the row in its
// transaction.
//
// A check of a secret is two short transactions around the slow hash
// comparison: the attempt is reserved and committed first (refused,
// without looking at the secret, while the user is locked), then settled
// on the current row: a success refunds it and uses the code up, a failure
// stays counted. So N concurrent wrong guesses count N, and no more than
// the limit are ever evaluated. The lockout policy is in docs/protocol.md
// ("Lockout").
package account

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"

	"github.com/softtoken/softtoken/server/auditchain"
	"github.com/softtoken/softtoken/server/directory"
	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/metrics"
	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/seal"
	"github.com/softtoken/softtoken/server/sms"
	"github.com/softtoken/softtoken/server/store"
)

// Config holds the rules' parameters. Its zero value is the rules'
// defaults: a zero (or negative) field takes its default, a Default…
// constant of this package for the numbers (which serve's flags show
// too), the real clock, password.Default and a pool of
// password.DefaultBudget for the others.
type Config struct {
	// Window is how many time steps either side of the token's expected
	// step a code may come from (DefaultWindow).
	Window int
	// MaxFailures consecutive second-factor failures lock the user
	// (DefaultMaxFailures) for LockFor (DefaultLockFor).
	MaxFailures int
	LockFor     time.Duration
	// FreeFailures wrong passwords (or One Swipe codes) in a row from one
	// source are answered at once (DefaultFreeFailures); after that the
	// source waits 1 s, then 2 s, 4 s, … up to MaxDelay (DefaultMaxDelay)
	// between tries for that user ID.
	FreeFailures int
	MaxDelay     time.Duration
	// SMSCodeTTL is how long a passcode sent by SMS works
	// (DefaultSMSCodeTTL).
	SMSCodeTTL time.Duration
	// SessionHold is how long a user's session blocks a second access
	// after its socket closed without a logout, or after its node stopped
	// keeping it (DefaultSessionHold).
	SessionHold time.Duration
	// SMS sends text messages; nil switches SMS passcodes off.
	SMS sms.Sender
	// SMSMode says when SMS users are sent passcodes (SMSBoth): before
	// they are needed (pre-loaded), when a login asks, or both; and
	// SMSPreloadMaxAge how long a pre-loaded passcode works at most
	// (DefaultSMSPreloadMaxAge). See preload.go.
	SMSMode          SMSMode
	SMSPreloadMaxAge time.Duration
	// Mail tells users by e-mail of a temporary passcode or a new number
	// (nil: no notices); MailFrom is the sender.
	Mail     mail.Mailer
	MailFrom string
	// DeskURL is the self-help desk's public address (ending in "/"), for
	// the links of its notices; CoolingOff is how long a token or number
	// set up with what the desk gave waits for the user's confirmation
	// (default DefaultCoolingOff).
	DeskURL    string
	CoolingOff time.Duration
	// EnrolURL is the enrol site's public address, for the welcome mails
	// the rules send (NewInitialPasscode).
	EnrolURL string
	// PasswordOnly lets users without a second factor (Use2FA off) log
	// in with their password alone: the protocol seed's site-wide use2fa
	// switch, off by default (serve --require-2fa). Service accounts
	// always log in with their password alone.
	PasswordOnly bool
	// Hash is the argon2id cost of new hashes.
	Hash password.Params
	// AuditChain checks the audit's hash chain (VerifyAudit); it is the
	// chain the store links records with, under the key derived from the
	// master key (server.OpenAccounts sets it).
	AuditChain *auditchain.Chain
	// Hashing bounds the memory of argon2id work at once, and the
	// computations running at once to the cores (nil: a pool of
	// password.DefaultBudget that waits password.DefaultWait): every hash
	// and check of a secret takes room in it first, and a pool that stays
	// full answers ErrBusy before any attempt is counted.
	Hashing *password.Pool
	// Directory checks the passwords of the users whose Source is
	// SourceDirectory, and lists the people the directory sync makes
	// users of (nil: no directory; its users' passwords are answered
	// ErrDirectoryUnavailable).
	Directory directory.Directory
	// Metrics counts the lockouts (nil: not counted).
	Metrics *metrics.Metrics
	// Now is the clock of the rules (tests move it).
	Now    func() time.Time
	Logger *slog.Logger
}

// The defaults of Config's fields (DefaultSMSCodeTTL,
// DefaultSMSPreloadMaxAge and DefaultCoolingOff are with the rules they
// time, in sms.go, preload.go and desk.go).
const (
	// DefaultWindow: a code from the step before or after the expected
	// one passes too, for a clock a little off.
	DefaultWindow = 1
	// DefaultMaxFailures consecutive second-factor failures lock a user
	// for DefaultLockFor.
	DefaultMaxFailures = 10
	DefaultLockFor     = 15 * time.Minute
	// DefaultFreeFailures wrong passwords in a row from one source are
	// answered at once; the waits after them grow up to DefaultMaxDelay.
	DefaultFreeFailures = 5
	DefaultMaxDelay     = 15 * time.Minute
	// DefaultSessionHold is how long a session left without a logout
	// blocks a second access.
	DefaultSessionHold = 5 * time.Minute
)

// withDefaults fills the zero (or negative) fields with the defaults.
func (c Config) withDefaults() Config {
	positive(&c.Window, DefaultWindow)
	positive(&c.MaxFailures, DefaultMaxFailures)
	positive(&c.FreeFailures, DefaultFreeFailures)
	positive(&c.LockFor, DefaultLockFor)
	positive(&c.MaxDelay, DefaultMaxDelay)
	positive(&c.SMSCodeTTL, DefaultSMSCodeTTL)
	positive(&c.SMSPreloadMaxAge, DefaultSMSPreloadMaxAge)
	c.SMSMode = cmp.Or(c.SMSMode, SMSBoth)
	positive(&c.SessionHold, DefaultSessionHold)
	positive(&c.CoolingOff, DefaultCoolingOff)
	if c.Hash == (password.Params{}) {
		c.Hash = password.Default
	}
	if c.Hashing == nil {
		c.Hashing = password.NewPool(password.DefaultBudget(), 0)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.Logger = cmp.Or(c.Logger, slog.Default())
	return c
}

// positive sets *v to def unless it is above zero.
func positive[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Service applies the rules to one store.
type Service struct {
	st     store.Store
	sealer *seal.Sealer
	cfg    Config
	// smsLimit bounds the text messages sent to each user.
	smsLimit *ratelimit.Limiter
}

// New returns a Service.
func New(st store.Store, sealer *seal.Sealer, cfg Config) *Service {
	cfg = cfg.withDefaults()
	return &Service{st: outages{Store: st, log: cfg.Logger}, sealer: sealer, cfg: cfg, smsLimit: ratelimit.PerHour(smsPerHour, smsBurst)}
}

// Origin says where a request comes from, for the audit and for the
// throttling of passwords: the client's address (or "admin command line")
// and the way in ("websocket", "enrol site", "help desk").
type Origin struct {
	Client string
	Via    string
	// by names the operator or API key acting (Actor.Origin), for the
	// audit.
	by string
	// peopleOnly, when its detail is not "", is the audit record of a
	// service account's right password answered as a wrong one here (a
	// door that verifies people: NetworkLogIn, Verify).
	peopleOnly refusal
	// verifier, when set, is the grant of the web back-end that asks
	// (Verify): it must still hold, and it is checked in the first
	// transaction, before anything is counted (reserveFirst).
	verifier *Grant
}

// refusal is an audit record's event name and detail.
type refusal struct{ event, detail string }

// source is what the first-factor throttle counts the origin's client as
// (an IPv6 client's /64: see ratelimit.Source).
func (o Origin) source() string { return ratelimit.Source(o.Client) }

// Admin is the origin of the admin commands.
var Admin = Origin{Client: "admin command line", Via: "admin command line"}

// now is the rules' clock.
func (s *Service) now() time.Time { return s.cfg.Now() }

// event is an audit record of a request from o. What a client typed (the
// user ID) is cut short and stripped of control characters, so that it
// cannot pose as other records when the audit is printed.
func (s *Service) event(o Origin, userID, name string, outcome Code, detail string) store.AuditEvent {
	if o.by != "" {
		detail = strings.TrimPrefix(detail+"; by "+o.by, "; ")
	}
	if o.Via != "" && o.Via != Admin.Via {
		detail = strings.TrimPrefix(detail+"; via "+o.Via, "; ")
	}
	return store.AuditEvent{At: s.now(), UserID: printable(userID), Client: printable(o.Client), Event: name, Outcome: string(outcome),
		Detail: clipped(detail, maxDetail)}
}

// maxDetail is the most bytes of an audit record's detail: room for an
// administrator's reason of 200 characters (see IssueTempPasscodeOverride).
const maxDetail = 1024

// printable is s with control characters replaced and cut to 200 bytes.
func printable(s string) string { return clipped(s, 200) }

// clipped is s with control characters replaced and cut to n bytes.
func clipped(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "…"
	}
	return s
}

// Record audits an event of an adapter's own (a logout, a refused second
// session, a mail that could not be sent) that changes nothing here, with
// its outcome's code.
func (s *Service) Record(ctx context.Context, o Origin, userID, name string, outcome Code, detail string) {
	err := s.st.Update(ctx, func(tx store.Tx) error { return tx.Audit(s.event(o, userID, name, outcome, detail)) })
	if err != nil {
		s.cfg.Logger.Error("audit failed", "event", name, "err", err)
	}
}

// Started records in the audit, when a server starts, each safety policy
// its administrator turned off (today: the second factor, PasswordOnly),
// so that the choice is on record however it was made, and warns in the
// log. It returns the error of the audit's write: a server that cannot
// record it must not start.
func (s *Service) Started(ctx context.Context, o Origin) error {
	if !s.cfg.PasswordOnly {
		return nil
	}
	const detail = "users without a token log in with their password alone (serve --require-2fa=false)"
	s.cfg.Logger.Warn("the second factor is not required: " + detail)
	return s.st.Update(ctx, func(tx store.Tx) error {
		return tx.Audit(s.event(o, "", "policy", CodeSecondFactorOff, detail))
	})
}

// ChainBegun records, and warns in the log, that the audit's hash chain
// began just now over earlier records it cannot vouch for (see
// sqlstore.DB.ChainBegunOver). It returns the error of the audit's
// write.
func (s *Service) ChainBegun(ctx context.Context, earlier int64) error {
	detail := fmt.Sprintf("the chain began over %d records written before it, which it cannot vouch for: "+
		"if this database had a chain before, its schema was rolled back and its audit may have been rewritten "+
		"(check it with audit verify --expect against a witness logged earlier)", earlier)
	s.cfg.Logger.Warn("the audit's hash chain began now", "earlier_records", earlier, "detail", detail)
	return s.st.Update(ctx, func(tx store.Tx) error {
		return tx.Audit(s.event(Origin{Client: "server", Via: "start"}, "", "audit chain", CodeBegan, detail))
	})
}

// outcome is the audit's code for an error: CodeOK for none, and
// CodeFailed for a failure of the server, an outage of the database
// included (whose record could not be written anyway: the callers write
// no record of a CodeFailed refusal, which would wait on the database a
// second time before the answer).
func outcome(err error) Code {
	if err == nil {
		return CodeOK
	}
	if c, ok := CodeOf(err); ok && c != CodeUnavailable {
		return c
	}
	return CodeFailed
}

// userOf reads the user a target names, with the authority it carries:
// the user's own grant, an administrator's grant, or the admin command
// line, or an operator's or API key's (see permits). An administrator's
// grant over the websocket reaches ordinary users and the administrator
// themselves, never another administrator or an operator of the console
// (themselves included: a websocket sign-in may be the password alone,
// and a token made there would sign them in to the console): those are
// the admin command line's and the console admins', so that one leaked
// service account cannot take over the others.
func (s *Service) userOf(tx store.ReadTx, t Target, name string) (store.User, error) {
	if t.self != nil {
		return s.granted(tx, *t.self)
	}
	if t.actor != nil {
		return s.actorsTarget(tx, t, name)
	}
	var admin store.User
	if t.admin != nil {
		var err error
		if admin, err = s.granted(tx, *t.admin); err != nil {
			return store.User{}, err
		}
		if !admin.IsAdmin {
			return store.User{}, ErrNotAllowed
		}
		if err := may(admin, ScopeManage); err != nil {
			return store.User{}, err
		}
	}
	u, err := tx.UserByUserID(t.userID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return u, fmt.Errorf("user %s: %w", t.userID, ErrNoSuchUser)
	case err != nil:
		return u, err
	case t.admin != nil && (u.IsAdmin && u.ID != admin.ID || u.ConsoleRole != ""):
		return store.User{}, fmt.Errorf("%w: another administrator or an operator is changed with the admin commands or the console", ErrNotAllowed)
	}
	return u, nil
}

// actorsTarget reads the user t names for the change name by t's actor,
// if the actor may make it (see permits). A user the actor may not see is
// answered as a user nobody has (see unseenError), so that a help-desk
// key cannot learn which operators exist by probing.
func (s *Service) actorsTarget(tx store.ReadTx, t Target, name string) (store.User, error) {
	op, err := s.holds(tx, *t.actor)
	if err != nil {
		return store.User{}, err
	}
	u, err := tx.UserByUserID(t.userID)
	if errors.Is(err, store.ErrNotFound) {
		return u, fmt.Errorf("user %s: %w", t.userID, ErrNoSuchUser)
	}
	if err != nil {
		return u, err
	}
	return u, permits(*t.actor, op, u, name)
}

// adminOnly refuses a user's own grant for what only an administrator
// does (profile, disable, delete, reset, token revoke).
func adminOnly(t Target) error {
	if t.self != nil {
		return ErrNotAllowed
	}
	return nil
}

// operatorOnly refuses the users' own grants and the websocket's
// administrators, for what only a person at the admin command line or in
// the console may do (override the 30-day rule of temporary passcodes):
// the actor's role decides the rest.
func operatorOnly(t Target) error {
	if t.self != nil || t.admin != nil {
		return ErrNotAllowed
	}
	return nil
}

// change runs fn on the target's current row in one transaction with its
// audit record; err from fn rolls everything back. An administrator's
// change of a disabled or locked user is allowed; a user's own change
// needs a live grant (see granted).
func (s *Service) change(ctx context.Context, o Origin, t Target, name string, fn func(tx store.Tx, u *store.User) (detail string, err error)) (store.User, error) {
	var u store.User
	o = t.origin(o)
	err := s.st.Update(ctx, func(tx store.Tx) error {
		var err error
		if u, err = s.userOf(tx, t, name); err != nil {
			return err
		}
		detail, err := fn(tx, &u)
		if err != nil {
			return err
		}
		return tx.Audit(s.event(o, u.UserID, name, CodeOK, detail))
	})
	if err != nil {
		s.refused(ctx, o, t.name(), name, err)
	}
	return u, err
}

// refused audits a refusal the rules decided (not a store failure, which
// the adapter logs).
func (s *Service) refused(ctx context.Context, o Origin, userID, name string, err error) {
	if ue := (*unseenError)(nil); errors.As(err, &ue) {
		s.Record(ctx, o, userID, name, CodeNotAllowed, "a user the role does not see")
		return
	}
	if se := (*ScopeError)(nil); errors.As(err, &se) {
		s.Record(ctx, o, se.Actor, "service scope", outcome(err), fmt.Sprintf("%s of %s needs the %s scope", name, printable(userID), se.Need))
		return
	}
	if out := outcome(err); out != CodeFailed {
		s.Record(ctx, o, userID, name, out, "")
	}
}

// notify mails a notice to u (when there is an address and a mailer) and
// says what happened, for the admin command line; a failure is logged and
// audited, and the change stands either way.
func (s *Service) notify(ctx context.Context, o Origin, u store.User, m mail.Message) string {
	if s.cfg.Mail == nil {
		return "not sent: no mail is configured"
	}
	if u.Email == "" {
		return "not sent: the user has no e-mail address"
	}
	m.From, m.To = s.cfg.MailFrom, u.Email
	if err := s.cfg.Mail.Send(ctx, m); err != nil {
		s.cfg.Logger.Error("mail notice", "userid", u.UserID, "err", err)
		s.Record(ctx, o, u.UserID, "mail notice", CodeFailed, m.Subject)
		return "not sent: " + err.Error()
	}
	return "sent to " + u.Email
}
