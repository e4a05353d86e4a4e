// Package servertest runs the real companion server in-process for the
// tests of its clients (enrolclient, the app's command line and window):
// the websocket protocol on 127.0.0.1, a real SQLite file, the real admin
// commands, and a fake clock the test moves.
package servertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/softtoken/softtoken/token"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/server/auth"
	"github.com/softtoken/softtoken/server/challenge"
	"github.com/softtoken/softtoken/server/cli"
	"github.com/softtoken/softtoken/server/mail"
	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/seal"
	"github.com/softtoken/softtoken/server/sms"
	"github.com/softtoken/softtoken/server/sqlite"
	"github.com/softtoken/softtoken/server/web"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
	"github.com/softtoken/softtoken/token/keyringstore"
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
// file, at a fake time; users are made with the real admin command, which
// writes welcome mails to the outbox. An admin "admin" with the password
// "admin-password" exists.
type Server struct {
	t     testing.TB
	Clock *Clock
	db    string
	// URL is the enrol URL (http://127.0.0.1:PORT/secenrol/).
	URL string
	// Helpdesk is the self-help desk (http://127.0.0.1:PORT/sechelpdesk/).
	Helpdesk string
	// WS is the websocket URL (ws://127.0.0.1:PORT/ws).
	WS string
	// SMSOutbox is the folder the server's text messages go to.
	SMSOutbox string
}

// New starts a server that stops when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, Clock: &Clock{}, db: filepath.Join(t.TempDir(), "softtoken.db")}
	s.Clock.unix.Store(1_800_000_000)
	s.Admin("admin-password\n", "user", "add", "--admin", "admin")
	key, err := seal.LoadKey(s.db+".key", "")
	if err != nil {
		t.Fatal(err)
	}
	sealer, _ := seal.New(key)
	db, err := sqlite.Open(context.Background(), s.db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys, err := challenge.NewKeys(2048, 0, s.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	a := auth.New(db, sealer, auth.Config{Now: s.Clock.Now, Hash: password.Params{Memory: 64, Time: 1, Threads: 1}})
	mux := http.NewServeMux()
	s.SMSOutbox = filepath.Join(filepath.Dir(s.db), "sms-outbox")
	sender := sms.Outbox{Dir: s.SMSOutbox}
	mux.Handle("/ws", ws.New(a, db, keys, ws.Config{Now: s.Clock.Now, SMS: sender, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/secenrol/"
	wc := web.Config{Auth: a, Store: db, EnrolURL: s.URL, Now: s.Clock.Now, SMS: sender,
		Mail: mail.Outbox{Dir: filepath.Join(filepath.Dir(s.db), "outbox")}, MailFrom: "no-reply@example.com",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	mux.Handle(web.Prefix, web.New(wc))
	mux.Handle(web.HelpdeskPrefix, web.NewHelpdesk(wc))
	s.Helpdesk = srv.URL + web.HelpdeskPrefix
	s.WS = "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
	return s
}

// Admin runs a softtoken-server command at the fake time.
func (s *Server) Admin(stdin string, args ...string) string {
	s.t.Helper()
	var out bytes.Buffer
	env := cli.Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: io.Discard, Now: s.Clock.Now,
		Getenv: func(k string) string {
			return map[string]string{"SOFTTOKEN_DB": s.db, "SOFTTOKEN_ENROL_URL": "https://secureauth.example.com/secenrol/"}[k]
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := cli.Run(context.Background(), env, args); err != nil {
		s.t.Fatalf("softtoken-server %v: %v", args, err)
	}
	return out.String()
}

var mailPasscode = regexp.MustCompile(`Passcode: +([0-9]{6})`)

// AddUser makes a user with `user add` and returns the initial passcode
// as the user reads it in the welcome mail in the outbox.
func (s *Server) AddUser(userID, pw string) string {
	s.t.Helper()
	s.Admin(pw+"\n", "user", "add", "--email", userID+"@example.com", userID)
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(s.db), "outbox", "*"+userID+"@example.com*.eml"))
	if len(files) == 0 {
		s.t.Fatalf("no welcome mail for %s in the outbox", userID)
	}
	raw, _ := os.ReadFile(files[len(files)-1])
	m := mailPasscode.FindSubmatch(raw)
	if m == nil {
		s.t.Fatalf("no passcode in the welcome mail:\n%s", raw)
	}
	return string(m[1])
}

// Verify asks the server, as a web back-end would with verifylogin,
// whether userID's password and code are right, and returns the result.
func (s *Server) Verify(userID, pw, code string) string {
	s.t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(s.WS, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	defer c.Close()
	var key *rsa.PublicKey
	send := func(m map[string]string) wire.Response {
		if err := c.WriteJSON(m); err != nil {
			s.t.Fatal(err)
		}
		var r wire.Response
		if err := c.ReadJSON(&r); err != nil {
			s.t.Fatal(err)
		}
		return r
	}
	enc := func(p string) string {
		ct, _ := rsa.EncryptPKCS1v15(rand.Reader, key, []byte(p))
		return base64.StdEncoding.EncodeToString(ct)
	}
	ch := send(map[string]string{"type": "challenge"})
	der, _ := base64.StdEncoding.DecodeString(ch.Key)
	pub, _ := x509.ParsePKIXPublicKey(der)
	key = pub.(*rsa.PublicKey)
	if r := send(map[string]string{"type": "login", "userid": "admin", "pass": enc("admin-password")}); r.Result != wire.ResultOK {
		s.t.Fatalf("admin login: %+v", r)
	}
	return send(map[string]string{"type": "verifylogin", "userid": userID, "pass": enc(pw), "2fatoken": code}).Result
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

// Enrol enrols a token for userID (whose password is pw and whose initial
// passcode is initial), as the desktop app would, answering the security
// questions with "Springfield" and "Rex", and returns it.
func (s *Server) Enrol(userID, pw, initial string) token.Token {
	s.t.Helper()
	st, err := keyringstore.New(keyringstore.Config{Backend: &keyringstore.MemoryBackend{}, LockPath: filepath.Join(s.t.TempDir(), "lock")})
	if err != nil {
		s.t.Fatal(err)
	}
	answer := func(_ context.Context, qs []wire.Question, _ string) (map[int]string, error) {
		return map[int]string{qs[0].ID: "Springfield", qs[1].ID: "Rex"}, nil
	}
	res, err := (&enrolclient.Client{Store: st, Now: s.Clock.Now}).Enrol(context.Background(),
		enrolclient.Params{URL: s.URL, UserID: userID, Password: pw, Passcode: initial, Answer: answer})
	if err != nil {
		s.t.Fatalf("enrol %s: %v", userID, err)
	}
	return res.Entry.Token
}

var smsCode = regexp.MustCompile(`: ([0-9]{6})\. It works once`)

// LastSMS returns the code in the newest text message to phone in the
// outbox, as the user reads it on their handset, and empties the outbox
// of that phone; "" when there is no message.
func (s *Server) LastSMS(phone string) string {
	s.t.Helper()
	files, _ := filepath.Glob(filepath.Join(s.SMSOutbox, "*"+strings.TrimPrefix(phone, "+")+"*.txt"))
	var newest string
	var newestTime time.Time
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && !fi.ModTime().Before(newestTime) {
			newest, newestTime = f, fi.ModTime()
		}
	}
	if newest == "" {
		return ""
	}
	raw, _ := os.ReadFile(newest)
	for _, f := range files {
		os.Remove(f)
	}
	m := smsCode.FindSubmatch(raw)
	if m == nil {
		s.t.Fatalf("no code in the SMS:\n%s", raw)
	}
	return string(m[1])
}
