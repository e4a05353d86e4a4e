package enrolclient_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
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

	"github.com/gorilla/websocket"

	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/server/auth"
	"github.com/softtoken/softtoken/server/challenge"
	"github.com/softtoken/softtoken/server/cli"
	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/seal"
	"github.com/softtoken/softtoken/server/sqlite"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/keyringstore"
)

// clock is the fake time shared by the server and the clients.
type clock struct{ unix atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(c.unix.Load(), 0) }
func (c *clock) advance(d time.Duration) { c.unix.Add(int64(d / time.Second)) }
func (c *clock) nowPlus(d time.Duration) func() time.Time {
	return func() time.Time { return c.now().Add(d) }
}

// server is the real companion server on 127.0.0.1 with a real SQLite file;
// users are made with the real admin command, which writes welcome mails
// to the outbox.
type server struct {
	t     *testing.T
	clock *clock
	db    string
	url   string // the enrol URL
	ws    string
}

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{t: t, clock: &clock{}, db: filepath.Join(t.TempDir(), "softtoken.db")}
	s.clock.unix.Store(1_800_000_000)
	s.admin("admin-password\n", "user", "add", "--admin", "admin")
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
	keys, err := challenge.NewKeys(2048, 0, s.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	a := auth.New(db, sealer, auth.Config{Now: s.clock.now, Hash: password.Params{Memory: 64, Time: 1, Threads: 1}})
	mux := http.NewServeMux()
	mux.Handle("/ws", ws.New(a, db, keys, ws.Config{Now: s.clock.now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.url = srv.URL + "/secenrol/"
	s.ws = "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
	return s
}

// admin runs a softtoken-server command at the fake time.
func (s *server) admin(stdin string, args ...string) string {
	s.t.Helper()
	var out bytes.Buffer
	env := cli.Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: io.Discard, Now: s.clock.now,
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

// addUser makes a user with `user add` and returns the initial passcode
// as the user reads it in the welcome mail in the outbox.
func (s *server) addUser(userID, pw string) string {
	s.t.Helper()
	s.admin(pw+"\n", "user", "add", "--email", userID+"@example.com", userID)
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

// verify asks the server, as a web back-end would, whether userID's
// password and code are right.
func (s *server) verify(userID, pw, code string) string {
	s.t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(s.ws, nil)
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

// requireKeyring gives a store in the real OS keyring under a fresh
// service name (under `make test`, a private gnome-keyring).
func realStore(t *testing.T) *keyringstore.Store {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	st, err := keyringstore.New(keyringstore.Config{Service: "softtoken-test-" + hex.EncodeToString(b), LockPath: filepath.Join(t.TempDir(), "lock")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.List(); err != nil {
		if os.Getenv("SOFTTOKEN_REQUIRE_KEYRING") == "1" {
			t.Fatalf("the real keyring is required: %v", err)
		}
		t.Skipf("no keyring: %v", err)
	}
	t.Cleanup(func() {
		entries, _ := st.List()
		for _, e := range entries {
			_ = st.Delete(e.ID)
		}
		_ = keyringstore.OSKeyring{}.Delete(st.Service(), "index")
	})
	return st
}

func memStore(t *testing.T) *keyringstore.Store {
	t.Helper()
	st, _ := keyringstore.New(keyringstore.Config{Backend: &keyringstore.MemoryBackend{}, LockPath: filepath.Join(t.TempDir(), "lock")})
	return st
}

func answer(_ context.Context, qs []wire.Question, _ string) (map[int]string, error) {
	return map[int]string{qs[0].ID: "Springfield Elementary", qs[1].ID: "Shelbyville"}, nil
}

func codeOf(t *testing.T, e token.Entry, at time.Time) string {
	t.Helper()
	c, err := e.Token.Code(at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The end-to-end path, and moving to a second PC.
func TestEnrolEndToEndAndMovingPCs(t *testing.T) {
	s := newServer(t)
	initial := s.addUser("trader", "trader-pass")
	first := &enrolclient.Client{Store: realStore(t), Now: s.clock.now}
	res, err := first.Enrol(context.Background(), enrolclient.Params{URL: s.url, UserID: "trader", Password: "trader-pass", Passcode: initial, Answer: answer})
	if err != nil {
		t.Fatal(err)
	}
	if res.Entry.Token.Account != "trader" || res.Entry.Token.Serial == "" || res.ClockWarning() != "" {
		t.Errorf("result: %+v %q", res.Entry.Token, res.ClockWarning())
	}
	stored, _ := first.Store.List()
	if len(stored) != 1 || string(stored[0].Token.Secret) != string(res.Entry.Token.Secret) {
		t.Fatalf("the keyring holds %v", stored)
	}
	s.clock.advance(30 * time.Second) // the confirmation used this step's code
	if got := s.verify("trader", "trader-pass", codeOf(t, stored[0], s.clock.now())); got != wire.ResultOK {
		t.Fatalf("verifylogin with the enrolled token's code: %s", got)
	}

	// The initial passcode works once.
	if _, err := (&enrolclient.Client{Store: memStore(t), Now: s.clock.now}).Enrol(context.Background(),
		enrolclient.Params{URL: s.url, UserID: "trader", Password: "trader-pass", Passcode: initial, Answer: answer}); enrolclient.KindOf(err) != enrolclient.KindWrongPasscode {
		t.Errorf("the initial passcode a second time: %v", err)
	}

	// Moving PCs: enrol on the second PC with the first PC's current code.
	s.clock.advance(30 * time.Second)
	second := &enrolclient.Client{Store: realStore(t), Now: s.clock.now}
	res2, err := second.Enrol(context.Background(), enrolclient.Params{URL: s.url, UserID: "trader", Password: "trader-pass",
		Passcode: codeOf(t, stored[0], s.clock.now()), Answer: nil /* answers exist now */})
	if err != nil {
		t.Fatalf("moving PCs: %v", err)
	}
	s.clock.advance(30 * time.Second)
	if got := s.verify("trader", "trader-pass", codeOf(t, stored[0], s.clock.now())); got != wire.ResultInvalidToken {
		t.Errorf("the old PC's code after moving: %s, want invalid token", got)
	}
	if got := s.verify("trader", "trader-pass", codeOf(t, res2.Entry, s.clock.now())); got != wire.ResultOK {
		t.Errorf("the new PC's code: %s", got)
	}
}

func TestEnrolFailures(t *testing.T) {
	s := newServer(t)
	initial := s.addUser("alice", "alice-pass")
	tests := []struct {
		name       string
		p          enrolclient.Params
		kind       enrolclient.Kind
		field, has string
	}{
		{"wrong password", enrolclient.Params{UserID: "alice", Password: "nope", Passcode: initial}, enrolclient.KindWrongLogin, "password", "user ID or password is wrong"},
		{"unknown user", enrolclient.Params{UserID: "bob", Password: "alice-pass", Passcode: initial}, enrolclient.KindWrongLogin, "password", ""},
		{"wrong passcode", enrolclient.Params{UserID: "alice", Password: "alice-pass", Passcode: "000000"}, enrolclient.KindWrongPasscode, "passcode", "passcode is wrong"},
		{"malformed passcode", enrolclient.Params{UserID: "alice", Password: "alice-pass", Passcode: "12ab"}, enrolclient.KindInput, "passcode", "6-digit"},
		{"no user ID", enrolclient.Params{Password: "alice-pass", Passcode: initial}, enrolclient.KindInput, "userid", ""},
		{"questions nobody answers", enrolclient.Params{UserID: "alice", Password: "alice-pass", Passcode: initial}, enrolclient.KindQuestions, "answers", "security questions"},
	}
	for _, tc := range tests {
		st := memStore(t)
		tc.p.URL = s.url
		_, err := (&enrolclient.Client{Store: st, Now: s.clock.now}).Enrol(context.Background(), tc.p)
		if enrolclient.KindOf(err) != tc.kind || enrolclient.FieldOf(err) != tc.field || !strings.Contains(fmt.Sprint(err), tc.has) {
			t.Errorf("%s: got %v (kind %d, field %q), want kind %d, field %q", tc.name, err, enrolclient.KindOf(err), enrolclient.FieldOf(err), tc.kind, tc.field)
		}
		if entries, _ := st.List(); len(entries) != 0 {
			t.Errorf("%s: a failed enrolment stored %d tokens", tc.name, len(entries))
		}
	}
	// Answers the server refuses are asked again with the reason.
	var problems []string
	picky := func(_ context.Context, qs []wire.Question, problem string) (map[int]string, error) {
		problems = append(problems, problem)
		if problem == "" {
			return map[int]string{qs[0].ID: "x", qs[1].ID: "Shelbyville"}, nil // too short
		}
		return map[int]string{qs[0].ID: "Springfield", qs[1].ID: "Shelbyville"}, nil
	}
	if _, err := (&enrolclient.Client{Store: memStore(t), Now: s.clock.now}).Enrol(context.Background(),
		enrolclient.Params{URL: s.url, UserID: "alice", Password: "alice-pass", Passcode: initial, Answer: picky}); err != nil {
		t.Fatalf("second answers: %v", err)
	}
	if len(problems) != 2 || !strings.Contains(problems[1], "2 to 200 characters") {
		t.Errorf("problems shown: %q", problems)
	}
}

func TestExpiredInitialPasscode(t *testing.T) {
	s := newServer(t)
	initial := s.addUser("late", "late-pass-1")
	s.clock.advance(31 * 24 * time.Hour)
	_, err := (&enrolclient.Client{Store: memStore(t), Now: s.clock.now}).Enrol(context.Background(),
		enrolclient.Params{URL: s.url, UserID: "late", Password: "late-pass-1", Passcode: initial, Answer: answer})
	if enrolclient.KindOf(err) != enrolclient.KindExpiredPasscode || !strings.Contains(err.Error(), "expired") {
		t.Errorf("got %v", err)
	}
}

func TestClockSkewWarning(t *testing.T) {
	s := newServer(t)
	initial := s.addUser("skewed", "skewed-pass")
	c := &enrolclient.Client{Store: memStore(t), Now: s.clock.nowPlus(-2 * time.Minute)}
	res, err := c.Enrol(context.Background(), enrolclient.Params{URL: s.url, UserID: "skewed", Password: "skewed-pass", Passcode: initial, Answer: answer})
	if err != nil {
		t.Fatal(err)
	}
	if w := res.ClockWarning(); !strings.Contains(w, "2m0s behind") {
		t.Errorf("warning %q", w)
	}
}

func TestCancelStoresNothing(t *testing.T) {
	s := newServer(t)
	initial := s.addUser("carol", "carol-pass")
	st := memStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancelling := func(context.Context, []wire.Question, string) (map[int]string, error) {
		cancel()
		return nil, context.Canceled
	}
	_, err := (&enrolclient.Client{Store: st, Now: s.clock.now}).Enrol(ctx, enrolclient.Params{URL: s.url, UserID: "carol", Password: "carol-pass", Passcode: initial, Answer: cancelling})
	if enrolclient.KindOf(err) != enrolclient.KindCancelled {
		t.Errorf("got %v", err)
	}
	if entries, _ := st.List(); len(entries) != 0 {
		t.Error("a cancelled enrolment stored a token")
	}
	// The initial passcode was not used up.
	if _, err := (&enrolclient.Client{Store: st, Now: s.clock.now}).Enrol(context.Background(),
		enrolclient.Params{URL: s.url, UserID: "carol", Password: "carol-pass", Passcode: initial, Answer: answer}); err != nil {
		t.Errorf("after a cancelled attempt: %v", err)
	}
}

func TestSixTokensCheckedBeforeTheNetwork(t *testing.T) {
	st := memStore(t)
	for i := range token.MaxTokens {
		tok := token.Token{Label: string(rune('a' + i)), Secret: make(token.Secret, 20), Params: token.DefaultParams()}
		if _, err := st.Add(tok); err != nil {
			t.Fatal(err)
		}
	}
	// Port 1 is closed: a network call would fail as unreachable.
	_, err := (&enrolclient.Client{Store: st}).Enrol(context.Background(),
		enrolclient.Params{URL: "http://127.0.0.1:1/secenrol/", UserID: "u", Password: "p", Passcode: "123456"})
	if enrolclient.KindOf(err) != enrolclient.KindFull || !errors.Is(err, token.ErrFull) {
		t.Errorf("got %v", err)
	}
}

func TestNetworkFailures(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler()) // a certificate nobody trusts
	defer tlsSrv.Close()
	plain := httptest.NewServer(http.NotFoundHandler()) // no enrolment service
	defer plain.Close()
	tests := []struct {
		url  string
		kind enrolclient.Kind
	}{
		{"http://127.0.0.1:1/secenrol/", enrolclient.KindUnreachable},
		{tlsSrv.URL + "/secenrol/", enrolclient.KindTLS},
		{plain.URL + "/secenrol/", enrolclient.KindBadURL},
		{"http://secureauth.example.com/secenrol/", enrolclient.KindInsecure},
		{"ftp://x/", enrolclient.KindBadURL},
		{"", enrolclient.KindBadURL},
	}
	for _, tc := range tests {
		_, err := (&enrolclient.Client{Store: memStore(t), StepTimeout: 5 * time.Second}).Enrol(context.Background(),
			enrolclient.Params{URL: tc.url, UserID: "u", Password: "p", Passcode: "123456"})
		if enrolclient.KindOf(err) != tc.kind || enrolclient.FieldOf(err) != "url" {
			t.Errorf("%q: got %v (kind %d), want kind %d", tc.url, err, enrolclient.KindOf(err), tc.kind)
		}
	}
}

func TestURLs(t *testing.T) {
	tests := []struct{ in, enrol, ws string }{
		{"https://secureauth.example.com/secenrol/", "https://secureauth.example.com/secenrol/", "wss://secureauth.example.com/ws"},
		{"secureauth.example.com", "https://secureauth.example.com/secenrol/", "wss://secureauth.example.com/ws"},
		{" https://h.example:8443/secenrol?userid=x ", "https://h.example:8443/secenrol/", "wss://h.example:8443/ws"},
		{"https://h.example/auth/secenrol/", "https://h.example/auth/secenrol/", "wss://h.example/auth/ws"},
		{"http://127.0.0.1:8443/secenrol/", "http://127.0.0.1:8443/secenrol/", "ws://127.0.0.1:8443/ws"},
		{"http://localhost:8443/", "http://localhost:8443/secenrol/", "ws://localhost:8443/ws"},
	}
	for _, tc := range tests {
		enrol, wsURL, err := enrolclient.URLs(tc.in)
		if err != nil || enrol != tc.enrol || wsURL != tc.ws {
			t.Errorf("URLs(%q) = %q, %q, %v; want %q, %q", tc.in, enrol, wsURL, err, tc.enrol, tc.ws)
		}
	}
}
