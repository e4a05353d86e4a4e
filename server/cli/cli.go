// Package cli is the command line of softtoken-server: `serve`, `demo`
// and the admin commands. Its commands and their arguments are described
// once, in [Usage], which is what `softtoken-server help` prints. Every command takes --db (or
// $SOFTTOKEN_DB) and --json; flags come before positional arguments. The
// commands parse their arguments, call the rules service
// (server/account) and print the result.
package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server"
	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/postgres"
	"github.com/softtoken/softtoken/server/seal"
)

// Env is what a command may use.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads configuration from the environment (os.Getenv in main).
	Getenv func(string) string
	// ReadPassword reads a password without echo when stdin is a terminal;
	// nil otherwise (the first line of Stdin is read).
	ReadPassword func() ([]byte, error)
	Logger       *slog.Logger
	Now          func() time.Time
	// Listening, if set, is told the address serve listens on (tests
	// listen on port 0).
	Listening func(addr string)
	// MetricsListening, if set, is told the address serve's metrics
	// listener (--metrics-listen) listens on.
	MetricsListening func(addr string)
	// AdminListening, if set, is told the address of serve's admin
	// listener (--admin-listen) once it listens.
	AdminListening func(addr string)
	// RADIUSListening, if set, is told the UDP address of serve's RADIUS
	// door (--radius-listen) once it listens.
	RADIUSListening func(addr string)
}

// UsageError is a command line that makes no sense (exit status 2).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg + " (see softtoken-server help)" }

func usagef(format string, args ...any) error { return &UsageError{Msg: fmt.Sprintf(format, args...)} }

// Usage is the help text: the one description of the commands (the
// README points here).
const Usage = `softtoken-server: users, enrolment and verification for softtoken.

  softtoken-server serve [--listen ADDR] [--tls-cert F --tls-key F] [limits]
      [--radius-listen UDPADDR --radius-clients FILE [--radius-one-step]]
      (--radius-listen: the RADIUS door for VPNs and gateways, PAP with a challenge for the
      passcode; FILE lists the clients, one a line "ADDR|CIDR SECRET NAME", mode 600: docs/radius.md)
  softtoken-server demo [--data DIR] [--listen ADDR]   (what make run starts: serve with a demo user)
  softtoken-server user add [--admin [--service]] [--own-password] [--use2fa|--sms] [--email E] [--phone P] [--firm F] [--roles R] [--attr JSON] [--lang en|it] [--console-role ROLE] USERID
  softtoken-server user update [--attr JSON] [--email E] [--phone P] [--sms] [--firm F] [--roles R] [--lang en|it] [--console-role ROLE|none] USERID
      (only the fields given change; "" clears one; a new number of an SMS user ends their sign-ins;
      --sms makes an SMS user, on --phone or the number on file: their token is revoked;
      --lang: the language of the user's mails and text messages, English unless given)
      (an SMS user made by user add, or given a new number, is sent the passcode for their next
      logon at once, unless --sms-mode on-demand; the texts leave as serve's do: --sms-transport
      outbox|http|off and the --sms-… flags, or the same SOFTTOKEN_SMS… variables as serve)
  softtoken-server user list [--locked] [--unenrolled] [--disabled]
      (--locked: locked now; --unenrolled: active, with no token and no SMS passcodes;
      --disabled: not active; flags given together list the users who match them all)
  softtoken-server user show USERID | disable USERID | enable USERID | delete USERID
  softtoken-server user unlock USERID   (clears the lock and the failure count; nothing else changes)
  softtoken-server user logout USERID   (ends the user's session: they may log in again at once)
  softtoken-server session list         (the sessions that hold users now)
  softtoken-server user reset USERID
  softtoken-server user temp-passcode [--days N] [--max-days M] [--override-30-days --reason TEXT] USERID
      (at most one in 30 days, unless an administrator who has checked the user's
      identity overrides the rule; the reason is audited and must hold no secret)
  softtoken-server user oneswipe [--enrol-url URL] [--qr FILE.png] USERID   (a One Swipe enrolment code: once, 10 minutes)
  softtoken-server token revoke USERID
      (--console-role admin|helpdesk|auditor makes the user an operator of the console and admin API
      on serve's --admin-listen; they sign in with their password and their own token or SMS
      passcode: docs/console.md)
  softtoken-server apikey add --role admin|helpdesk|auditor NAME   (a key of the admin API, printed once;
      --json prints {"name", "role", "key"})
  softtoken-server apikey list | revoke NAME   (a revoked key's next request is refused: docs/api.md)
  softtoken-server ldap sync [--dry-run] --ldap-url URL --ldap-bind-dn DN --ldap-bind-password-file F
      --ldap-base DN --ldap-group DN [--ldap-user-filter F] [--ldap-ca F] [--ldap-ad]
      (makes users of the directory group's members, welcome mail included; updates their mail,
      number and language; disables those who left the group or were disabled there; never deletes.
      serve takes the same flags, and syncs every --ldap-sync-every: docs/directory.md)
  softtoken-server audit [--user U] [--since 2026-01-02T15:04:05Z|24h] [--outcome CODE]
      (control characters print escaped; --json prints one JSON object a line)
  softtoken-server migrate   (applies the schema migrations the database lacks; serve and
      every command do it too, one node at a time on PostgreSQL)
  softtoken-server audit verify [--expect SEQ:HASH]   (checks the audit's hash chain; names the first
      record changed, removed or inserted, and exits with status 1; --expect: a head seen earlier,
      as serve logs it every hour, that must still be there)
  softtoken-server backup OUT   (a consistent copy of the SQLite database, taken while servers run,
      into the new file OUT; not the master key: keep it apart; PostgreSQL: pg_dump)
  softtoken-server rekey [--new-master-key NEWFILE]   (re-seals every seed and re-links the audit's
      chain under a new master key, in one transaction, then swaps the key file; the old key is
      kept as KEYFILE.old for older backups; stop every server first)

Every command takes --db (or SOFTTOKEN_DB) and --json; flags go before
arguments. --db is an SQLite file's path (the embedded default, one node) or
a PostgreSQL URL, postgres://USER@HOST:PORT/DB?sslmode=verify-full, which
several nodes share (docs/deploy.md, "Storage"); --db-max-conns,
--db-max-idle-conns, --db-conn-max-lifetime and --db-conn-max-idle-time
(or SOFTTOKEN_DB_MAX_CONNS…) size its connection pool. A node whose master
key is not the one the database's seeds are sealed under refuses to start.
user add and user reset read the password from standard input;
the user must change it at the first login, unless it is their own
(--own-password, or --admin for administrators and service accounts).
Every login needs a second factor (serve --require-2fa), except a service
account's: user add --admin --service makes the account a web back-end
uses for verifylogin and adduser; it logs in with its password alone.
The master key that seals seeds is in --master-key FILE (or
SOFTTOKEN_MASTER_KEY_FILE; created on first use; default with SQLite: the
database path + ".key"; required with PostgreSQL, every node reading the same
file) or in SOFTTOKEN_MASTER_KEY.
`

// Run runs the command in args (without the program name). A command's
// --help prints its flags, with their defaults, to standard output.
func Run(ctx context.Context, env Env, args []string) error {
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.Logger == nil {
		env.Logger = slog.New(slog.NewTextHandler(env.Stderr, nil))
	}
	if len(args) == 0 {
		return usagef("no command given")
	}
	err := dispatch(ctx, env, args)
	var help *helpRequest
	if errors.As(err, &help) {
		return help.print(env.Stdout)
	}
	return err
}

// dispatch runs the command args names.
func dispatch(ctx context.Context, env Env, args []string) error {
	switch args[0] {
	case "serve":
		return serve(ctx, env, args[1:])
	case "demo":
		return demo(ctx, env, args[1:])
	case "user":
		return userCmd(ctx, env, args[1:])
	case "session":
		if len(args) < 2 || args[1] != "list" {
			return usagef("session: the only subcommand is list")
		}
		return sessionList(ctx, env, args[2:])
	case "token":
		if len(args) < 2 || args[1] != "revoke" {
			return usagef("token: the only subcommand is revoke")
		}
		return tokenRevoke(ctx, env, args[2:])
	case "audit":
		return audit(ctx, env, args[1:])
	case "apikey":
		return apikeyCmd(ctx, env, args[1:])
	case "ldap":
		return ldapCmd(ctx, env, args[1:])
	case "backup":
		return backup(ctx, env, args[1:])
	case "rekey":
		return rekey(ctx, env, args[1:])
	case "migrate":
		return migrateCmd(ctx, env, args[1:])
	case "help", "-h", "--help":
		_, err := io.WriteString(env.Stdout, Usage)
		return err
	}
	return usagef("unknown command %q", args[0])
}

// common are the flags every command has.
type common struct {
	db        string
	masterKey string
	json      bool
	pool      poolFlags
}

// mailFlags configure the welcome mail of user add and user reset.
type mailFlags struct {
	enrolURL, from, smtp, smtpUser, outbox string
}

func (m *mailFlags) define(env Env, fs *flag.FlagSet) {
	fs.StringVar(&m.enrolURL, "enrol-url", or(env.Getenv("SOFTTOKEN_ENROL_URL"), "https://localhost:8443/secenrol/"), "enrol URL in the welcome mail (SOFTTOKEN_ENROL_URL)")
	m.defineTransport(env, fs)
}

// defineTransport defines how mail leaves, without the enrol URL.
func (m *mailFlags) defineTransport(env Env, fs *flag.FlagSet) {
	fs.StringVar(&m.from, "mail-from", or(env.Getenv("SOFTTOKEN_MAIL_FROM"), "no-reply-softtoken@localhost"), "sender of the welcome mail (SOFTTOKEN_MAIL_FROM)")
	fs.StringVar(&m.smtp, "smtp", env.Getenv("SOFTTOKEN_SMTP"), "mail server host:port, with STARTTLS (SOFTTOKEN_SMTP); default: the outbox folder")
	fs.StringVar(&m.smtpUser, "smtp-user", env.Getenv("SOFTTOKEN_SMTP_USER"), "mail server user; the password is in SOFTTOKEN_SMTP_PASSWORD")
	fs.StringVar(&m.outbox, "outbox", env.Getenv("SOFTTOKEN_OUTBOX"), "folder for mails when no mail server is set (default: outbox next to the SQLite database, or to the master key with PostgreSQL)")
}

// mailer is the configured way to send mail, and where it goes in words.
func (m mailFlags) mailer(env Env, dataDir string) (mail.Mailer, string) {
	if m.smtp != "" {
		return mail.Retry(mail.SMTP{Addr: m.smtp, Username: m.smtpUser, Password: env.Getenv("SOFTTOKEN_SMTP_PASSWORD")}, 3, 2*time.Second), "mail server " + m.smtp
	}
	dir := m.outboxDir(dataDir)
	return mail.Retry(mail.Outbox{Dir: dir}, 3, 100*time.Millisecond), "outbox " + dir
}

// outboxDir is the folder mails go to (default: outbox in dataDir), or ""
// when a mail server is set.
func (m mailFlags) outboxDir(dataDir string) string {
	if m.smtp != "" {
		return ""
	}
	return or(m.outbox, filepath.Join(dataDir, "outbox"))
}

func newFlags(env Env, name string, c *common) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.db, "db", env.Getenv("SOFTTOKEN_DB"), "SQLite database file, or PostgreSQL URL postgres://USER@HOST:PORT/DB?sslmode=… (SOFTTOKEN_DB)")
	fs.StringVar(&c.masterKey, "master-key", env.Getenv("SOFTTOKEN_MASTER_KEY_FILE"), "master key file (SOFTTOKEN_MASTER_KEY_FILE; default with SQLite: DB path + .key; required with PostgreSQL)")
	fs.BoolVar(&c.json, "json", false, "print JSON")
	c.pool.define(env, fs)
	return fs
}

// helpRequest is a command's --help: Run prints the command's flags, with
// their defaults, and succeeds.
type helpRequest struct{ fs *flag.FlagSet }

func (h *helpRequest) Error() string { return h.fs.Name() + ": help requested" }

func (h *helpRequest) print(w io.Writer) error {
	fmt.Fprintf(w, "softtoken-server %s, flags (every command's are in softtoken-server help):\n", h.fs.Name())
	h.fs.SetOutput(w)
	h.fs.PrintDefaults()
	return nil
}

// parse parses flags and checks the count of positional arguments.
func parse(fs *flag.FlagSet, args []string, n int) ([]string, error) {
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil, &helpRequest{fs}
	} else if err != nil {
		return nil, usagef("%s: %v", fs.Name(), err)
	}
	if fs.NArg() != n {
		if fs.NArg() < n {
			return nil, usagef("%s: missing argument", fs.Name())
		}
		return nil, usagef("%s: unexpected argument %q (flags go before arguments)", fs.Name(), fs.Arg(n))
	}
	return fs.Args(), nil
}

// deps are the rules service on the opened database: the commands use
// only the service.
type deps struct {
	acct *server.Accounts
}

// Close closes the database.
func (d *deps) Close() error { return d.acct.Close() }

func (c common) open(ctx context.Context, env Env, cfg account.Config) (*deps, error) {
	storage, err := c.storage(env)
	if err != nil {
		return nil, err
	}
	cfg.Now, cfg.Logger = env.Now, env.Logger
	acct, err := server.OpenAccounts(ctx, storage, cfg)
	if err != nil {
		return nil, err
	}
	return &deps{acct: acct}, nil
}

// storage is where the commands' data lives, from the flags and the
// environment.
func (c common) storage(env Env) (server.Storage, error) {
	if c.db == "" {
		return server.Storage{}, usagef("no database: give --db PATH (SQLite) or --db postgres://… , or set SOFTTOKEN_DB")
	}
	pool, err := c.pool.pool()
	if err != nil {
		return server.Storage{}, err
	}
	return server.Storage{DB: c.db, MasterKeyFile: c.masterKey, MasterKey: env.Getenv(seal.KeyEnv), Pool: &pool}, nil
}

// dataDir is the folder the outboxes default to: the SQLite file's, or
// with PostgreSQL the master key file's (the working directory when the
// key is given in the environment).
func (c common) dataDir() string {
	switch {
	case !postgres.IsDSN(c.db):
		return filepath.Dir(c.db)
	case c.masterKey != "":
		return filepath.Dir(c.masterKey)
	}
	return "."
}

// dbName is the database as logs name it: a PostgreSQL URL without its
// password.
func (c common) dbName() string {
	if postgres.IsDSN(c.db) {
		return postgres.Redact(c.db)
	}
	return c.db
}

// readPassword reads the password for user add / reset.
func readPassword(env Env) ([]byte, error) {
	if env.ReadPassword != nil {
		fmt.Fprint(env.Stderr, "Password (not shown): ")
		pw, err := env.ReadPassword()
		fmt.Fprintln(env.Stderr)
		return pw, err
	}
	line, err := bufio.NewReader(io.LimitReader(env.Stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read the password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return nil, usagef("give the password on standard input")
	}
	return []byte(line), nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// report prints v as JSON with --json, or else the line of text.
func (c common) report(env Env, v any, text string) error {
	if c.json {
		return printJSON(env.Stdout, v)
	}
	_, err := fmt.Fprintln(env.Stdout, text)
	return err
}
