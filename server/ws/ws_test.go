package ws_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/seal"
	"github.com/softtoken/softtoken/server/sqlite"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
	"github.com/softtoken/softtoken/token"
)

var (
	cheap = password.Params{Memory: 64, Time: 1, Threads: 1}
	keys  = ws.SharedKeys
)

// server is a protocol server on 127.0.0.1 with a real SQLite file.
type server struct {
	t      *testing.T
	url    string
	db     *sqlite.DB
	path   string
	acct   *account.Service
	rules  account.Config
	srv    *httptest.Server
	tokens map[string]token.Token // seeds of the users made with 2FA
	dialer *websocket.Dialer      // nil: websocket.DefaultDialer
}

func newServer(t *testing.T, cfg ws.Config) *server { return newServerRules(t, cfg, account.Config{}) }

// newServerRules is newServer with rules of the test's (at most 5
// failures unless it says otherwise, cheap hashes).
func newServerRules(t *testing.T, cfg ws.Config, rules account.Config) *server {
	t.Helper()
	if rules.MaxFailures == 0 {
		rules.MaxFailures = 5
	}
	rules.Hash = cheap
	// These tests are about the protocol's mechanics, with "plain" logging
	// in with its password alone; the second-factor policy, on by default,
	// is tested over the real server in server/twofactor_test.go.
	rules.PasswordOnly = true
	s := &server{t: t, path: filepath.Join(t.TempDir(), "softtoken.db"), tokens: map[string]token.Token{}, rules: rules}
	s.start(cfg)
	s.user(account.NewUser{UserID: "admin", Admin: true, Service: true,
		Limits: account.ServiceLimits{Scopes: account.Scopes}}, "admin-password")
	s.user(account.NewUser{UserID: "plain", Attr: json.RawMessage(`{"email":"p@example.com"}`)}, "plain-password")
	s.user(account.NewUser{UserID: "julian@fundamentalinteractions.c", Use2FA: true, Attr: json.RawMessage(`{"first_name":"Julian"}`)}, "test-123")
	return s
}

func (s *server) start(cfg ws.Config) {
	db, err := sqlite.Open(context.Background(), s.path)
	if err != nil {
		s.t.Fatal(err)
	}
	sealer, _ := seal.New(make([]byte, 32))
	s.db = db
	s.acct = account.New(db, sealer, s.rules)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s.srv = httptest.NewServer(ws.New(s.acct, keys(), cfg))
	s.url = "ws" + strings.TrimPrefix(s.srv.URL, "http")
	s.t.Cleanup(s.stop)
}

func (s *server) stop() {
	s.srv.Close()
	s.db.Close()
}

// user makes a user with the admin's rules, with their own password (no
// change forced); 2FA users get a token.
func (s *server) user(u account.NewUser, pw string) {
	s.t.Helper()
	u.Password, u.Seed, u.OwnPassword = []byte(pw), u.Use2FA && !u.SMS, true
	c, err := s.acct.CreateUser(context.Background(), account.Admin, nil, u)
	if err != nil {
		s.t.Fatal(err)
	}
	if c.Token != nil {
		s.tokens[u.UserID] = *c.Token
	}
}

// code is the current passcode of a 2FA user, shifted by steps.
func (s *server) code(userID string, steps int) string {
	s.t.Helper()
	c, err := s.tokens[userID].Code(time.Now().Add(time.Duration(steps) * 30 * time.Second))
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// client speaks the protocol as the seed's Java sample does.
type client struct {
	t   *testing.T
	c   *websocket.Conn
	key string
}

func (s *server) dial() *client {
	s.t.Helper()
	d := s.dialer
	if d == nil {
		d = websocket.DefaultDialer
	}
	c, _, err := d.Dial(s.url, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { c.Close() })
	return &client{t: s.t, c: c}
}

func (c *client) send(msg any) wire.Response {
	c.t.Helper()
	var data []byte
	switch m := msg.(type) {
	case string:
		data = []byte(m)
	default:
		data, _ = json.Marshal(m)
	}
	if err := c.c.WriteMessage(websocket.TextMessage, data); err != nil {
		c.t.Fatalf("send: %v", err)
	}
	return c.read()
}

func (c *client) read() wire.Response {
	c.t.Helper()
	_ = c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var r wire.Response
	if err := c.c.ReadJSON(&r); err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return r
}

// closed reports whether the server closed the socket.
func (c *client) closed() bool {
	_ = c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c.c.ReadMessage()
	return err != nil && !strings.Contains(err.Error(), "timeout")
}

func (c *client) challenge() {
	c.t.Helper()
	r := c.send(map[string]string{"type": "challenge"})
	if r.Result != wire.ResultOK || r.Type != "challenge" || r.Key == "" {
		c.t.Fatalf("challenge: %+v", r)
	}
	c.key = r.Key
}

// encrypt is the Java sample: X509EncodedKeySpec, Cipher "RSA" (PKCS#1 v1.5), base64.
func (c *client) encrypt(pw string) string {
	c.t.Helper()
	return ws.SealFor(c.t, c.key, pw)
}

func (c *client) login(user, pw, code string) wire.Response {
	c.t.Helper()
	c.challenge()
	return c.send(withCode(map[string]string{"type": "login", "userid": user, "pass": c.encrypt(pw)}, code))
}

// withCode adds a passcode to a message, unless it is "".
func withCode(m map[string]string, code string) map[string]string {
	if code != "" {
		m["2fatoken"] = code
	}
	return m
}

func TestLogin(t *testing.T) {
	s := newServer(t, ws.Config{})
	tests := []struct {
		name, user, pw, code string
		want                 string
		closes               bool
	}{
		{"seed's sample user with its token", "julian@fundamentalinteractions.c", "test-123", "current", wire.ResultOK, false},
		{"no 2FA needed", "plain", "plain-password", "", wire.ResultOK, false},
		{"wrong password", "plain", "nope", "", wire.ResultInvalidLogin, true},
		{"unknown user", "nobody", "plain-password", "", wire.ResultInvalidLogin, true},
		{"wrong token", "julian@fundamentalinteractions.c", "test-123", "000000", wire.ResultInvalidToken, true},
	}
	for _, tc := range tests {
		c := s.dial()
		code := tc.code
		if code == "current" {
			code = s.code(tc.user, 0)
		}
		r := c.login(tc.user, tc.pw, code)
		if r.Result != tc.want || r.Type != "login" {
			t.Errorf("%s: got %+v, want %q", tc.name, r, tc.want)
			continue
		}
		if tc.closes {
			if !c.closed() {
				t.Errorf("%s: the socket stayed open", tc.name)
			}
			continue
		}
		if lr := c.send(`{"type":"logout"}`); lr.Result != wire.ResultOK || !c.closed() {
			t.Errorf("%s: logout: %+v", tc.name, lr)
		}
	}
}

func TestBadCiphertextAnswersLikeWrongPassword(t *testing.T) {
	s := newServer(t, ws.Config{})
	for _, pass := range []string{"!!notbase64", base64.StdEncoding.EncodeToString(make([]byte, 256)), base64.StdEncoding.EncodeToString([]byte("short"))} {
		c := s.dial()
		c.challenge()
		r := c.send(map[string]string{"type": "login", "userid": "plain", "pass": pass})
		if r.Result != wire.ResultInvalidLogin || !c.closed() {
			t.Errorf("pass %.12q: got %+v", pass, r)
		}
	}
}

func TestTwoStepLogin(t *testing.T) {
	s := newServer(t, ws.Config{})
	user := "julian@fundamentalinteractions.c"
	c := s.dial()
	if r := c.login(user, "test-123", ""); r.Result != wire.ResultNeed2FA {
		t.Fatalf("login without token: %+v", r)
	}
	if r := c.send(`{"type":"verifylogin","userid":"x","pass":"y"}`); r.Result != wire.ResultNeed2FA {
		t.Errorf("anything else before the token: %+v", r)
	}
	if r := c.send(`{"type":"send2fatoken","2fatoken":"000000"}`); r.Result != wire.ResultInvalidToken {
		t.Errorf("wrong token: %+v", r)
	}
	if r := c.send(map[string]string{"type": "send2fatoken", "2fatoken": s.code(user, 0)}); r.Result != wire.ResultOK {
		t.Errorf("right token: %+v", r)
	}
	if r := c.send(map[string]string{"type": "send2fatoken", "2fatoken": s.code(user, 0)}); r.Result != wire.ResultNotAllowed {
		t.Errorf("token after login: %+v", r)
	}
}

func TestOneLoginAttemptPerSocketAndChallengeFirst(t *testing.T) {
	s := newServer(t, ws.Config{})
	c := s.dial()
	if r := c.send(`{"type":"login","userid":"plain","pass":"x"}`); r.Result != wire.ResultNoChallenge {
		t.Errorf("login before challenge: %+v", r)
	}
	if r := c.login("plain", "plain-password", ""); r.Result != wire.ResultOK {
		t.Fatalf("login: %+v", r)
	}
	if r := c.send(map[string]string{"type": "login", "userid": "plain", "pass": c.encrypt("plain-password")}); r.Result != wire.ResultNotAllowed || !c.closed() {
		t.Errorf("second login on one socket: %+v", r)
	}
}

func TestConcurrentAccessDenied(t *testing.T) {
	s := newServerRules(t, ws.Config{}, account.Config{SessionHold: time.Hour})
	first := s.dial()
	if r := first.login("plain", "plain-password", ""); r.Result != wire.ResultOK {
		t.Fatal(r)
	}
	second := s.dial()
	if r := second.login("plain", "plain-password", ""); r.Result != wire.ResultAlreadyLoggedIn {
		t.Errorf("second access: %+v", r)
	}
	// A wrong password reveals nothing about the other session.
	if r := s.dial().login("plain", "wrong", ""); r.Result != wire.ResultInvalidLogin {
		t.Errorf("wrong password while logged in elsewhere: %+v", r)
	}
	first.send(`{"type":"logout"}`)
	if r := s.dial().login("plain", "plain-password", ""); r.Result != wire.ResultOK {
		t.Errorf("after logout: %+v", r)
	}
	// Administrators may hold several sessions.
	for range 2 {
		if r := s.dial().login("admin", "admin-password", ""); r.Result != wire.ResultOK {
			t.Errorf("admin: %+v", r)
		}
	}
}

func (c *client) verify(user, pw, code string) wire.Response {
	c.t.Helper()
	return c.send(withCode(map[string]string{"type": "verifylogin", "userid": user, "pass": c.encrypt(pw)}, code))
}

func TestVerifyLogin(t *testing.T) {
	s := newServer(t, ws.Config{})
	user := "julian@fundamentalinteractions.c"
	admin := s.dial()
	if r := admin.login("admin", "admin-password", ""); r.Result != wire.ResultOK {
		t.Fatal(r)
	}
	r := admin.verify(user, "test-123", s.code(user, 0))
	if r.Result != wire.ResultOK || r.Active != "Y" || r.UserID != user || r.VerifyLevel == nil || *r.VerifyLevel != 1 || string(r.Attr) != `{"first_name":"Julian"}` {
		t.Errorf("verifylogin: %+v", r)
	}
	tests := []struct {
		name, user, pw, code, want string
	}{
		{"replayed code", user, "test-123", s.code(user, 0), wire.ResultInvalidToken},
		{"token missing", user, "test-123", "", wire.ResultTokenMissing},
		{"wrong password", user, "nope", s.code(user, 1), wire.ResultInvalidLogin},
		{"unknown user", "ghost", "test-123", "123456", wire.ResultInvalidLogin},
	}
	for _, tc := range tests {
		if r := admin.verify(tc.user, tc.pw, tc.code); r.Result != tc.want || r.Type != "verifylogin" || r.UserID != tc.user {
			t.Errorf("%s: got %+v, want %q", tc.name, r, tc.want)
		}
	}
	if r := admin.verify("plain", "plain-password", ""); r.Result != wire.ResultOK || *r.VerifyLevel != 0 {
		t.Errorf("user without 2FA: %+v", r)
	}
	plain := s.dial()
	plain.login("plain", "plain-password", "")
	if r := plain.verify(user, "test-123", s.code(user, 1)); r.Result != wire.ResultNotAllowed {
		t.Errorf("verifylogin by a non-admin: %+v", r)
	}
}

// Two admin connections verify one code at the same moment: exactly one
// succeeds.
func TestReplayRaceOverTheWire(t *testing.T) {
	s := newServer(t, ws.Config{})
	user := "julian@fundamentalinteractions.c"
	admins := []*client{s.dial(), s.dial()}
	for _, a := range admins {
		if r := a.login("admin", "admin-password", ""); r.Result != wire.ResultOK {
			t.Fatal(r)
		}
	}
	code := s.code(user, 0)
	var ok atomic.Int32
	var wg sync.WaitGroup
	for _, a := range admins {
		pass := a.encrypt("test-123")
		wg.Go(func() {
			data, _ := json.Marshal(map[string]string{"type": "verifylogin", "userid": user, "pass": pass, "2fatoken": code})
			_ = a.c.WriteMessage(websocket.TextMessage, data)
			var r wire.Response
			if a.c.ReadJSON(&r) == nil && r.Result == wire.ResultOK {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Errorf("%d of 2 racing verifications succeeded, want 1", ok.Load())
	}
}

func TestLockoutSurvivesRestart(t *testing.T) {
	s := newServer(t, ws.Config{})
	user := "julian@fundamentalinteractions.c"
	admin := s.dial()
	admin.login("admin", "admin-password", "")
	for range 5 {
		admin.verify(user, "test-123", "000000")
	}
	if r := admin.verify(user, "test-123", s.code(user, 0)); r.Result != wire.ResultLocked {
		t.Fatalf("after 5 failures: %+v", r)
	}
	s.stop()
	s.start(ws.Config{})
	admin = s.dial()
	admin.login("admin", "admin-password", "")
	if r := admin.verify(user, "test-123", s.code(user, 0)); r.Result != wire.ResultLocked {
		t.Errorf("after a restart: %+v", r)
	}
}

func TestAddUser(t *testing.T) {
	s := newServer(t, ws.Config{})
	admin := s.dial()
	admin.login("admin", "admin-password", "")
	r := admin.send(map[string]any{"type": "adduser", "userid": "denis@finteractions.com", "roles": "XXSSS", "firm": "FINT",
		"pass": admin.encrypt("initial-pass"), "use2fa": "Y", "attr": map[string]string{"email": "denis@finteractions.com"}})
	if r.Result != wire.ResultOK || r.TwoFASeed == "" || r.Firm != "FINT" || r.Roles != "XXSSS" {
		t.Fatalf("adduser: %+v", r)
	}
	seed, err := token.ParseSecret(r.TwoFASeed)
	if err != nil {
		t.Fatal(err)
	}
	tok := token.Token{Secret: seed, Params: token.DefaultParams()}
	code, _ := tok.Code(time.Now())
	u := s.dial()
	lr := u.login("denis@finteractions.com", "initial-pass", code)
	if lr.Result != wire.ResultOK || !lr.MustChangePassword {
		t.Fatalf("new user's first login: %+v", lr)
	}
	// The user changes the password: the flag clears.
	cr := u.send(map[string]any{"type": "adduser", "updateprof": true, "pass": u.encrypt("initial-pass"), "newpass": u.encrypt("my-own-pass")})
	if cr.Result != wire.ResultOK {
		t.Fatalf("password change: %+v", cr)
	}
	if got, _ := s.acct.User(context.Background(), account.CommandLine, "denis@finteractions.com"); got.MustChangePassword {
		t.Error("must-change flag still set after the user's change")
	}
	if r := u.send(map[string]any{"type": "adduser", "updateprof": true, "pass": u.encrypt("my-own-pass"), "newpass": u.encrypt("short")}); r.Result != wire.ResultWeakPassword {
		t.Errorf("short new password: %+v", r)
	}
	if r := u.send(map[string]any{"type": "adduser", "userid": "x", "pass": u.encrypt("whatever-pass")}); r.Result != wire.ResultNotAllowed {
		t.Errorf("non-admin creates a user: %+v", r)
	}
	u.send(`{"type":"logout"}`)
	// The seed's reset sample: resetpass with newpass alone.
	rr := admin.send(map[string]any{"type": "adduser", "userid": "denis@finteractions.com", "roles": "XXSSS", "updateprof": true, "firm": "FINT",
		"resetpass": true, "pass": "", "newpass": admin.encrypt("reset-by-admin")})
	if rr.Result != wire.ResultOK || !rr.ResetPass || !rr.UpdateProf {
		t.Fatalf("resetpass: %+v", rr)
	}
	code2, _ := tok.Code(time.Now().Add(30 * time.Second))
	if r := s.dial().login("denis@finteractions.com", "reset-by-admin", code2); r.Result != wire.ResultOK || !r.MustChangePassword {
		t.Errorf("login after reset: %+v", r)
	}
}

func TestMalformedMessages(t *testing.T) {
	s := newServer(t, ws.Config{})
	c := s.dial()
	tests := []struct{ in, want string }{
		{`not json`, wire.ResultMalformed},
		{`{"type":"frob"}`, wire.ResultUnknownType},
		{`{"type":"login","updateprof":"x"}`, wire.ResultMalformed},
		{`{"type":"verifylogin"}`, wire.ResultNotAllowed},
		{`{"type":"adduser"}`, wire.ResultNotAllowed},
		{`{"type":"send2fatoken"}`, wire.ResultNotAllowed},
	}
	for _, tc := range tests {
		if r := c.send(tc.in); r.Result != tc.want {
			t.Errorf("%s: got %+v, want %q", tc.in, r, tc.want)
		}
	}
	c.challenge()
	if r := c.send(`{"type":"login","userid":"plain"}`); r.Result != wire.ResultMissingField {
		t.Errorf("login without pass: %+v", r)
	}
	// An oversized message gets "message too big" and the socket closes.
	if r := c.send(`{"type":"login","pass":"` + strings.Repeat("A", wire.MaxMessageBytes) + `"}`); r.Result != wire.ResultTooBig || !c.closed() {
		t.Errorf("oversized: %+v", r)
	}
	// A huge one is cut off by the read limit: close 1009 (message too big).
	// (The server may cut the connection while the client still writes.)
	c = s.dial()
	if err := c.c.WriteMessage(websocket.TextMessage, []byte(`{"type":"login","pass":"`+strings.Repeat("A", 1<<20)+`"}`)); err == nil {
		_ = c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, _, err := c.c.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
			t.Errorf("huge message: got %v, want close 1009", err)
		}
	}
}

func TestLoginDeadline(t *testing.T) {
	s := newServer(t, ws.Config{LoginTimeout: 200 * time.Millisecond})
	c := s.dial()
	c.challenge()
	start := time.Now()
	if !c.closed() {
		t.Fatal("a socket that never logged in stayed open")
	}
	if time.Since(start) > 3*time.Second {
		t.Error("closed late")
	}
}

func TestChallengeRateLimit(t *testing.T) {
	s := newServer(t, ws.Config{Challenges: ratelimit.Rate{PerMinute: 1, Burst: 10}})
	c := s.dial()
	limited := false
	for range 12 {
		if r := c.send(`{"type":"challenge"}`); r.Result == wire.ResultRateLimited {
			limited = true
			break
		}
	}
	if !limited {
		t.Error("12 challenges in a row were never limited")
	}
}

// TestJavaClient runs testdata/JavaClient.java, written to the seed's Java
// sample (Cipher.getInstance("RSA"), base64), against the server.
func TestJavaClient(t *testing.T) {
	java, err := exec.LookPath("java")
	if err != nil {
		if os.Getenv("SOFTTOKEN_REQUIRE_TOOLS") == "1" {
			t.Fatalf("java is required: %v", err)
		}
		t.Skip("java not installed")
	}
	s := newServer(t, ws.Config{})
	user := "julian@fundamentalinteractions.c"
	tests := []struct {
		pw, code, want string
	}{
		{"test-123", s.code(user, 0), `"result":"OK"`},
		{"wrong", s.code(user, 1), `"result":"invalid user/password"`},
	}
	for _, tc := range tests {
		out, err := exec.Command(java, "testdata/JavaClient.java", s.url, user, tc.pw, tc.code).CombinedOutput()
		if err != nil {
			t.Fatalf("java: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), tc.want) {
			t.Errorf("password %q: the Java client got %s, want %s", tc.pw, out, tc.want)
		}
	}
}

// Clients that can use OAEP-SHA256 say so with "enc"; the same ciphertext
// without it is refused like a wrong password, and an enc the server does
// not know is a malformed message, which does not use up the login.
func TestOAEPLogin(t *testing.T) {
	s := newServer(t, ws.Config{})
	for _, tc := range []struct {
		enc, want string
	}{{"oaep-sha256", wire.ResultOK}, {"", wire.ResultInvalidLogin}, {"rsa-raw", wire.ResultMalformed}} {
		c := s.dial()
		c.challenge()
		der, _ := base64.StdEncoding.DecodeString(c.key)
		pub, _ := x509.ParsePKIXPublicKey(der)
		ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub.(*rsa.PublicKey), []byte("plain-password"), nil)
		if err != nil {
			t.Fatal(err)
		}
		r := c.send(map[string]string{"type": "login", "userid": "plain", "enc": tc.enc, "pass": base64.StdEncoding.EncodeToString(ct)})
		if r.Result != tc.want {
			t.Errorf("enc %q: got %+v, want %q", tc.enc, r, tc.want)
		}
		if r.Result == wire.ResultMalformed {
			r = c.send(map[string]string{"type": "login", "userid": "plain", "enc": "oaep-sha256", "pass": base64.StdEncoding.EncodeToString(ct)})
		}
		if r.Result == wire.ResultOK {
			c.send(`{"type":"logout"}`)
		} else if tc.want != wire.ResultInvalidLogin {
			t.Errorf("enc %q, then the login: %+v", tc.enc, r)
		}
	}
}

// A user whose password an administrator set can do nothing but change it
// (or log out): then the socket serves them as any other. An
// administrator's own password, typed by them, forces nothing.
func TestPasswordChangeIsEnforced(t *testing.T) {
	s := newServer(t, ws.Config{})
	if _, err := s.acct.CreateUser(context.Background(), account.Admin, nil, account.NewUser{UserID: "nina", Password: []byte("set-by-admin")}); err != nil {
		t.Fatal(err)
	}
	c := s.dial()
	if r := c.login("nina", "set-by-admin", ""); r.Result != wire.ResultOK || !r.MustChangePassword {
		t.Fatalf("first login: %+v", r)
	}
	for _, msg := range []any{
		map[string]string{"type": "verifylogin", "userid": "plain", "pass": c.encrypt("plain-password")},
		map[string]string{"type": "adduser", "userid": "x", "pass": c.encrypt("whatever-pass")},
		map[string]any{"type": "adduser", "updateprof": true, "resetpass": true, "userid": "nina", "newpass": c.encrypt("other-pass-1")},
		map[string]string{"type": "challenge"},
	} {
		if r := c.send(msg); r.Result != wire.ResultChangePassword {
			t.Errorf("%v before the change: %+v", msg, r)
		}
	}
	if r := c.send(map[string]any{"type": "adduser", "updateprof": true, "pass": c.encrypt("set-by-admin"), "newpass": c.encrypt("ninas-own-pass")}); r.Result != wire.ResultOK {
		t.Fatalf("the change: %+v", r)
	}
	if r := c.send(map[string]string{"type": "verifylogin", "userid": "plain", "pass": c.encrypt("plain-password")}); r.Result != wire.ResultNotAllowed {
		t.Errorf("after the change, the socket serves nina as any user: %+v", r)
	}
	c.send(`{"type":"logout"}`)
	if r := s.dial().login("nina", "ninas-own-pass", ""); r.Result != wire.ResultOK || r.MustChangePassword {
		t.Errorf("the next login: %+v", r)
	}
}

// A refused second access says when the user may try again; a portal's
// verifylogin holds the user only when the server is told to.
func TestConcurrentAccessSaysWhen(t *testing.T) {
	for _, holds := range []bool{false, true} {
		s := newServerRules(t, ws.Config{VerifyHoldsSession: holds}, account.Config{SessionHold: 5 * time.Minute})
		first := s.dial()
		first.login("plain", "plain-password", "")
		if r := s.dial().login("plain", "plain-password", ""); r.Result != wire.ResultAlreadyLoggedIn || !strings.Contains(r.Message, "is open") {
			t.Errorf("while the first socket is open: %+v", r)
		}
		first.c.Close() // no logout
		time.Sleep(100 * time.Millisecond)
		r := s.dial().login("plain", "plain-password", "")
		if r.Result != wire.ResultAlreadyLoggedIn || !strings.Contains(r.Message, "try again after") {
			t.Errorf("after a close without logout: %+v", r)
		}
		admin := s.dial()
		admin.login("admin", "admin-password", "")
		if r := admin.verify("julian@fundamentalinteractions.c", "test-123", s.code("julian@fundamentalinteractions.c", 0)); r.Result != wire.ResultOK {
			t.Fatalf("verifylogin: %+v", r)
		}
		r = s.dial().login("julian@fundamentalinteractions.c", "test-123", s.code("julian@fundamentalinteractions.c", 1))
		if want := map[bool]string{false: wire.ResultOK, true: wire.ResultAlreadyLoggedIn}[holds]; r.Result != want {
			t.Errorf("verifylogin holds the user %v: a websocket login then: %+v, want %q", holds, r, want)
		}
	}
}

// A client's own pongs keep a logged-in socket alive, never one that has
// not logged in: its login deadline holds.
func TestPongsDoNotExtendTheLoginDeadline(t *testing.T) {
	s := newServer(t, ws.Config{LoginTimeout: time.Second, IdleTimeout: 2 * time.Second})
	c := s.dial()
	c.challenge()
	for range 8 {
		_ = c.c.WriteControl(websocket.PongMessage, nil, time.Now().Add(time.Second))
		time.Sleep(300 * time.Millisecond)
	}
	if !c.closed() {
		t.Error("a socket that sends pongs and never logs in outlived its login deadline")
	}
}

// When an administrator disables or resets a user, the user's session ends
// at once (the real user may log in) and a socket of the old login closes.
func TestSessionEndsWithTheLogin(t *testing.T) {
	s := newServerRules(t, ws.Config{}, account.Config{SessionHold: 3 * time.Second})
	old := s.dial()
	if r := old.login("plain", "plain-password", ""); r.Result != wire.ResultOK {
		t.Fatal(r)
	}
	ctx := context.Background()
	if err := s.acct.SetActive(ctx, account.Admin, account.ByAdmin("plain"), false); err != nil {
		t.Fatal(err)
	}
	if err := s.acct.SetActive(ctx, account.Admin, account.ByAdmin("plain"), true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.acct.Reset(ctx, account.Admin, account.ByAdmin("plain"), []byte("after-reset-1")); err != nil {
		t.Fatal(err)
	}
	if r := s.dial().login("plain", "after-reset-1", ""); r.Result != wire.ResultOK {
		t.Errorf("the real user after the reset: %+v", r)
	}
	if !old.closed() {
		t.Error("the old login's socket stayed open")
	}
}

// An administrator who must change their own password changes nothing else
// first: not another user's password, nor a profile.
func TestMustChangeAdminChangesOnlyTheirOwn(t *testing.T) {
	s := newServer(t, ws.Config{})
	ctx := context.Background()
	if _, err := s.acct.CreateUser(ctx, account.Admin, nil, account.NewUser{UserID: "admin2", Admin: true, Password: []byte("set-by-admin")}); err != nil {
		t.Fatal(err)
	}
	c := s.dial()
	if r := c.login("admin2", "set-by-admin", ""); r.Result != wire.ResultOK || !r.MustChangePassword {
		t.Fatalf("login: %+v", r)
	}
	for _, msg := range []map[string]any{
		{"type": "adduser", "updateprof": true, "userid": "plain", "pass": c.encrypt("plain-password"), "newpass": c.encrypt("chosen-by-admin2")},
		{"type": "adduser", "updateprof": true, "roles": "superuser", "pass": c.encrypt("set-by-admin"), "newpass": c.encrypt("admin2s-own-pass")},
	} {
		if r := c.send(msg); r.Result != wire.ResultChangePassword {
			t.Errorf("%v: %+v", msg, r)
		}
	}
}
