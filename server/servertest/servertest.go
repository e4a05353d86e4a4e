// Package servertest runs the real companion server in-process for tests:
// the HTTP handler that `serve` runs (server.New) on 127.0.0.1, a real
// SQLite file (or a real PostgreSQL database, Options.Postgres), the real
// admin commands, and a fake clock the test moves.
// Its clients speak the websocket protocol themselves, so that nothing
// under server/ imports a client package.
package servertest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server"
	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/challenge"
	"github.com/softtoken/softtoken/server/cli"
	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/pgtest"
	"github.com/softtoken/softtoken/server/postgres"
	"github.com/softtoken/softtoken/server/request"
	"github.com/softtoken/softtoken/server/seal"
	"github.com/softtoken/softtoken/server/sms"
	"github.com/softtoken/softtoken/server/sqlite"
	"github.com/softtoken/softtoken/server/sqlstore"
	"github.com/softtoken/softtoken/server/store"
	"github.com/softtoken/softtoken/server/web"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
	"github.com/softtoken/softtoken/token"
)

// Clock is the fake time shared by the server and its clients.
type Clock struct{ unix atomic.Int64 }

// Now is the fake time.
func (c *Clock) Now() time.Time { return time.Unix(c.unix.Load(), 0) }

// Advance moves the clock on.
func (c *Clock) Advance(d time.Duration) { c.unix.Add(int64(d / time.Second)) }

// NowPlus is a clock d off the fake time, for a PC whose clock is wrong.
func (c *Clock) NowPlus(d time.Duration) func() time.Time {
	return func() time.Time { return c.Now().Add(d) }
}

// Server is the real companion server on 127.0.0.1 with a real SQLite
// file (or a real PostgreSQL database: Options.Postgres), at a fake time; users are made with the real admin command, which
// writes welcome mails to the outbox. An admin "admin" with the password
// "admin-password" exists.
type Server struct {
	t     testing.TB
	Clock *Clock
	// db is the database (a file path or a PostgreSQL URL), dir the
	// folder of the master key file and the outboxes.
	db, dir, keyFile string
	// Addr is the server's host:port.
	Addr string
	// URL is the enrol URL (http://127.0.0.1:PORT/secenrol/).
	URL string
	// Helpdesk is the self-help desk (http://127.0.0.1:PORT/sechelpdesk/).
	Helpdesk string
	// WS is the websocket URL (ws://127.0.0.1:PORT/ws).
	WS string
	// SMSOutbox is the folder the server's text messages go to.
	SMSOutbox string
	// AdminURL is the admin listener (http://127.0.0.1:PORT), another
	// port than the public one: the console at /admin/, the admin API at
	// /api/v1/.
	AdminURL string
	// Accounts is the server's rules service, for tests that set up what
	// no command does yet.
	Accounts *account.Service
}

// Options change the server a test gets.
type Options struct {
	// Wrap wraps the store the server uses (to inject faults).
	Wrap func(store.Store) store.Store
	// Rules and WS configure the rules and the protocol; their clocks are
	// the fake one, and password hashes are cheap unless Rules.Hash says.
	Rules account.Config
	WS    ws.Config
	// Web are the pages' limits and per-address rates (web.DefaultLimits
	// by default).
	Web web.Limits
	// HTTP are the HTTP timeouts (server.DefaultTimeouts by default).
	HTTP server.Timeouts
	// Proxies are the trusted reverse proxies (none by default: every
	// 127.0.0.0/8 address is this machine, so trusting 127.0.0.2/32 makes
	// the clients DialFrom("127.0.0.2") proxies, and the others not).
	Proxies request.Proxies
	// Postgres runs the server, and the admin commands, on a fresh
	// database of a real PostgreSQL (package pgtest) instead of SQLite,
	// with the master key in a file of its own (--master-key).
	Postgres bool
	// DB is the PostgreSQL URL to run on instead of a fresh pgtest
	// database (a pgtest.Cluster's, which the test stops and starts);
	// it implies Postgres.
	DB string
	// Join runs the server as another node of Join: on its database and
	// master key, with the admin it made.
	Join *Server
	// DBTimeout bounds each transaction (server.DatabaseTimeout by
	// default, as the server runs).
	DBTimeout time.Duration
	// Keys are the challenge keys (a new 2048-bit key by default): a test
	// that holds them knows what the server decrypts, and servers that
	// share them spare the key generation.
	Keys *challenge.Keys
}

// OnEachStore runs test twice, as the subtests "sqlite" and "postgres",
// with o on SQLite and then on PostgreSQL (o.Postgres set to match): for
// the tests of races, which a single writer (SQLite) would hide.
func OnEachStore(t *testing.T, o Options, test func(t *testing.T, o Options)) {
	t.Helper()
	for _, pg := range []bool{false, true} {
		run := o
		run.Postgres = pg
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) { test(t, run) })
	}
}

// New starts a server that stops when the test ends.
func New(t testing.TB) *Server { return NewWith(t, Options{}) }

// Cheap are argon2id parameters for tests: the rules are the same, the
// hashing quick.
var Cheap = password.Params{Memory: 64, Time: 1, Threads: 1}

// newServer is the server NewWith starts, on its database (a new one, or
// Join's), and o as it applies to it.
func newServer(t testing.TB, o Options) (*Server, Options) {
	s := &Server{t: t, Clock: &Clock{}, dir: t.TempDir()}
	s.db, s.keyFile = filepath.Join(s.dir, "softtoken.db"), filepath.Join(s.dir, "softtoken.db.key")
	s.Clock.unix.Store(1_800_000_000)
	switch {
	case o.Join != nil:
		s.db, s.keyFile, s.Clock, o.Postgres = o.Join.db, o.Join.keyFile, o.Join.Clock, postgres.IsDSN(o.Join.db)
		return s, o
	case o.DB != "" || o.Postgres:
		s.db, s.keyFile, o.Postgres = o.DB, filepath.Join(s.dir, "master.key"), true
		if s.db == "" {
			s.db = pgtest.Start(t)
		}
	}
	s.Admin("admin-password\n", "user", "add", "--admin", "--service", "--scope", "verify,manage", "admin")
	return s, o
}

// NewWith starts a server with options.
func NewWith(t testing.TB, o Options) *Server {
	t.Helper()
	s, o := newServer(t, o)
	key, err := seal.LoadKey(s.keyFile, "")
	if err != nil {
		t.Fatal(err)
	}
	sealer, _ := seal.New(key)
	auditKey, _ := server.AuditKey(key)
	open := sqlite.Open
	if o.Postgres {
		open = postgres.Open
	}
	db, err := open(context.Background(), s.db, sqlstore.WithAuditKey(auditKey), sqlstore.WithTimeout(cmp.Or(o.DBTimeout, server.DatabaseTimeout)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var st store.Store = db
	if o.Wrap != nil {
		st = o.Wrap(db)
	}
	keys := o.Keys
	if keys == nil {
		if keys, err = challenge.NewKeys(challenge.DefaultKeyBits, 0, s.Clock.Now); err != nil {
			t.Fatal(err)
		}
	}
	dir := s.dir
	s.SMSOutbox = filepath.Join(dir, "sms-outbox")
	rules := o.Rules
	rules.SMS = sms.Outbox{Dir: s.SMSOutbox}
	if rules.Hash == (password.Params{}) {
		rules.Hash = Cheap
	}
	rules.Mail, rules.MailFrom = mail.Outbox{Dir: filepath.Join(dir, "outbox")}, "no-reply@example.com"
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, adminSrv := httptest.NewUnstartedServer(nil), httptest.NewUnstartedServer(nil)
	handler := server.New(server.Config{Store: st, Sealer: sealer, Keys: keys, Rules: rules, WS: o.WS, HTTP: o.HTTP, Proxies: o.Proxies, Web: o.Web,
		EnrolURL: "http://" + srv.Listener.Addr().String() + web.Prefix, Logger: quiet, Now: s.Clock.Now})
	handler.Serve(srv.Config)
	handler.ServeAdmin(adminSrv.Config)
	srv.Start()
	adminSrv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(adminSrv.Close)
	s.AdminURL, s.Accounts = adminSrv.URL, handler.Accounts
	s.Addr = srv.Listener.Addr().String()
	s.URL = srv.URL + web.Prefix
	s.Helpdesk = srv.URL + web.HelpdeskPrefix
	s.WS = "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
	return s
}

// DB is the path of the server's SQLite file (its master key is in DB()
// + ".key").
func (s *Server) DB() string { return s.db }

// Admin runs a softtoken-server command at the fake time.
func (s *Server) Admin(stdin string, args ...string) string {
	s.t.Helper()
	out, err := s.TryAdmin(stdin, args...)
	if err != nil {
		s.t.Fatalf("softtoken-server %v: %v", args, err)
	}
	return out
}

// TryAdmin runs a softtoken-server command at the fake time and returns
// its output and error.
func (s *Server) TryAdmin(stdin string, args ...string) (string, error) {
	var out bytes.Buffer
	env := cli.Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: io.Discard, Now: s.Clock.Now,
		Getenv: func(k string) string {
			return map[string]string{"SOFTTOKEN_DB": s.db, "SOFTTOKEN_MASTER_KEY_FILE": s.keyFile,
				"SOFTTOKEN_ENROL_URL": "https://secureauth.example.com/secenrol/"}[k]
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	err := cli.Run(context.Background(), env, args)
	return out.String(), err
}

var mailPasscode = regexp.MustCompile(`Passcode: +([0-9]{6})`)

// AddUser makes a user with `user add --own-password` and returns the
// initial passcode as the user reads it in the welcome mail in the outbox.
// The password is the user's own, so that tests of everything else need
// not change it first; AddUserToChange makes one they must change.
func (s *Server) AddUser(userID, pw string) string {
	s.t.Helper()
	s.Admin(pw+"\n", "user", "add", "--own-password", "--email", userID+"@example.com", userID)
	return s.InitialPasscode(userID)
}

// AddUserToChange is AddUser for a password the administrator chose: the
// user must change it at the first login (docs/protocol.md).
func (s *Server) AddUserToChange(userID, pw string) string {
	s.t.Helper()
	s.Admin(pw+"\n", "user", "add", "--email", userID+"@example.com", userID)
	return s.InitialPasscode(userID)
}

// InitialPasscode reads the newest welcome mail of userID in the outbox.
func (s *Server) InitialPasscode(userID string) string {
	s.t.Helper()
	files, _ := filepath.Glob(filepath.Join(s.dir, "outbox", "*"+userID+"@example.com*.eml"))
	var newest []byte
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		if mailPasscode.Match(raw) {
			newest = raw
		}
	}
	m := mailPasscode.FindSubmatch(newest)
	if m == nil {
		s.t.Fatalf("no welcome mail with a passcode for %s in the outbox", userID)
	}
	return string(m[1])
}

// Outbox lists the mails in the outbox whose file name contains what.
func (s *Server) Outbox(what string) []string {
	files, _ := filepath.Glob(filepath.Join(s.dir, "outbox", "*"+what+"*.eml"))
	var out []string
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		out = append(out, string(raw))
	}
	return out
}

// Verify asks the server, as a web back-end would with verifylogin,
// whether userID's password and code are right, and returns the result.
func (s *Server) Verify(userID, pw, code string) string {
	s.t.Helper()
	c := s.Dial()
	defer c.Close()
	if r := c.Login("admin", "admin-password", ""); r.Result != wire.ResultOK {
		s.t.Fatalf("admin login: %+v", r)
	}
	return c.Send(map[string]string{"type": "verifylogin", "userid": userID, "pass": c.Enc(pw), "2fatoken": code}).Result
}

// OneSwipe issues a One Swipe enrolment code for userID with `user
// oneswipe`, as the enrol page would after the user signed in, and returns
// its payload (what the QR code holds).
func (s *Server) OneSwipe(userID string) string {
	s.t.Helper()
	var out struct {
		Code string `json:"oneswipe"`
	}
	raw := s.Admin("", "user", "oneswipe", "--json", "--enrol-url", s.URL, userID)
	if err := json.Unmarshal([]byte(raw), &out); err != nil || out.Code == "" {
		s.t.Fatalf("user oneswipe printed %q: %v", raw, err)
	}
	return out.Code
}

// Enrol enrols a token for userID (whose password is pw, proved with the
// passcode code: the initial one, or one of the current token) over the
// websocket protocol, as the desktop app would, answering the security
// questions with "Springfield" and "Rex", and returns it.
func (s *Server) Enrol(userID, pw, code string) token.Token {
	s.t.Helper()
	tok, r := s.TryEnrol(userID, pw, code)
	if r.Result != wire.ResultOK {
		s.t.Fatalf("enrol %s: %+v", userID, r)
	}
	return tok
}

// TryEnrol is Enrol that returns the first reply that is not OK (or the
// confirm's OK) instead of failing.
func (s *Server) TryEnrol(userID, pw, code string) (token.Token, wire.Response) {
	s.t.Helper()
	c := s.Dial()
	defer c.Close()
	r := c.Send(map[string]string{"type": "enrol", "userid": userID, "pass": c.Enc(pw), "passcode": c.Enc(code)})
	if r.Result == wire.ResultQuestions {
		r = c.Send(map[string]any{"type": "answers", "answers": []map[string]any{
			{"id": r.Questions[0].ID, "answer": c.Enc("Springfield")}, {"id": r.Questions[1].ID, "answer": c.Enc("Rex")}}})
	}
	if r.Result != wire.ResultOK {
		return token.Token{}, r
	}
	tok, err := TokenOf(r)
	if err != nil {
		s.t.Fatal(err)
	}
	now, err := tok.Code(s.Clock.Now())
	if err != nil {
		s.t.Fatal(err)
	}
	return tok, c.Send(map[string]string{"type": "confirm", "2fatoken": now})
}

// TokenOf is the token a server's enrol or answers reply offers.
func TokenOf(r wire.Response) (token.Token, error) {
	secret, err := token.ParseSecret(r.TwoFASeed)
	if err != nil {
		return token.Token{}, err
	}
	return token.Token{Account: r.UserID, Serial: r.Serial, Secret: secret,
		Params: token.Params{Type: token.TOTP, Algorithm: token.Algorithm(r.Algorithm), Digits: r.Digits, Period: r.Period}}, nil
}

// smsCode finds the code in a text message, in any of its languages.
var smsCode = regexp.MustCompile(`: ([0-9]{6})\. (It works once|Vale una sola volta)`)
