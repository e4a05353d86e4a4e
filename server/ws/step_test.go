package ws

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/challenge"
	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/seal"
	"github.com/softtoken/softtoken/server/sqlite"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/wire/wireclient"
	"github.com/softtoken/softtoken/token"
)

// SharedKeys are the challenge keys of the package's tests, internal and
// external (making a 2048-bit key takes a while).
var SharedKeys = sync.OnceValue(func() *challenge.Keys {
	k, err := challenge.NewKeys(2048, 0, time.Now)
	if err != nil {
		panic(err)
	}
	return k
})

// machine is a connection's steps with no socket: the rules on a real
// SQLite file, an administrator "admin", a user "plain" who logs in with
// the password alone, "tok" with a token, "fresh", who has only the
// initial passcode of the welcome mail, and "forced", whose password an
// administrator set.
type machine struct {
	t       *testing.T
	p       peer
	tok     token.Token
	initial string
}

func newMachine(t *testing.T) *machine {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "softtoken.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sealer, _ := seal.New(make([]byte, 32))
	acct := account.New(db, sealer, account.Config{MaxFailures: 5, PasswordOnly: true,
		Hash: password.Params{Memory: 64, Time: 1, Threads: 1}})
	h := New(acct, SharedKeys(), Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	m := &machine{t: t, p: peer{h: h, holder: account.NewHolder(), addr: "127.0.0.1"}}
	for _, u := range []account.NewUser{
		{UserID: "admin", Admin: true, Service: true, Limits: account.ServiceLimits{Scopes: account.Scopes}},
		{UserID: "plain"},
		{UserID: "tok", Use2FA: true, Seed: true},
		{UserID: "fresh", InitialPasscode: true},
		{UserID: "forced"}, // must change the password an administrator set
	} {
		u.Password, u.OwnPassword = []byte(u.UserID+"-password"), u.UserID != "forced"
		c, err := acct.CreateUser(context.Background(), account.Admin, nil, u)
		if err != nil {
			t.Fatal(err)
		}
		if c.Token != nil {
			m.tok = *c.Token
		}
		if c.InitialPasscode != "" {
			m.initial = c.InitialPasscode
		}
	}
	return m
}

// seal encrypts v with the state's challenge key, as a client does
// (anything, before a challenge).
func (m *machine) seal(st state, v string) string {
	m.t.Helper()
	if st.key == nil {
		return v
	}
	return SealFor(m.t, st.key.Public, v)
}

// SealFor encrypts v for the challenge key public as the seed's Java
// sample does: X509EncodedKeySpec, Cipher "RSA" (PKCS#1 v1.5), base64.
func SealFor(t testing.TB, public, v string) string {
	t.Helper()
	key, err := wireclient.ParseKey(public, wire.EncPKCS1v15)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := key.Encrypt(v)
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

// code is a code of tok now.
func (m *machine) code(tok token.Token) string {
	m.t.Helper()
	c, err := tok.Code(time.Now())
	if err != nil {
		m.t.Fatal(err)
	}
	return c
}

// move is one message and what the step must answer: the result, the
// stage it leads to, and whether the socket closes.
type move struct {
	msg    func(m *machine, st state) wire.Request
	result string
	stage  stage
	close  bool
}

func challengeMsg(*machine, state) wire.Request { return wire.Request{Type: wire.TypeChallenge} }

// login is a login message of user with password pw and code.
func login(user, pw, code string) func(*machine, state) wire.Request {
	return func(m *machine, st state) wire.Request {
		return wire.Request{Type: wire.TypeLogin, UserID: user, Pass: m.seal(st, pw), TwoFAToken: code}
	}
}

// typed is a message of type typ and nothing else.
func typed(typ string) func(*machine, state) wire.Request {
	return func(*machine, state) wire.Request { return wire.Request{Type: typ} }
}

// passcode is a send2fatoken of code, or of a code of tok's token when
// code is "".
func passcode(code string) func(*machine, state) wire.Request {
	return func(m *machine, st state) wire.Request {
		if code == "" {
			code = m.code(m.tok)
		}
		return wire.Request{Type: wire.TypeSend2FAToken, TwoFAToken: code}
	}
}

// The connection's state machine, message by message, with no socket:
// the stages a login goes through, what each stage refuses, and an
// enrolment's three steps.
func TestStep(t *testing.T) {
	ok := move{challengeMsg, wire.ResultOK, stageNew, false}
	tests := []struct {
		name  string
		moves []move
	}{
		{"login needs a challenge first", []move{
			{login("plain", "plain-password", ""), wire.ResultNoChallenge, stageNew, false}}},
		{"the password alone logs a user without a token in", []move{ok,
			{login("plain", "plain-password", ""), wire.ResultOK, stageLoggedIn, false}}},
		{"a wrong password closes the socket", []move{ok,
			{login("plain", "wrong", ""), wire.ResultInvalidLogin, stageNew, true}}},
		{"one login a socket", []move{ok,
			{login("plain", "wrong", ""), wire.ResultInvalidLogin, stageNew, true},
			{login("plain", "plain-password", ""), wire.ResultNotAllowed, stageNew, true}}},
		{"a passcode owed: only send2fatoken, which completes the login", []move{ok,
			{login("tok", "tok-password", ""), wire.ResultNeed2FA, stagePending, false},
			{typed(wire.TypeVerifyLogin), wire.ResultNeed2FA, stagePending, false},
			{passcode("000000"), wire.ResultInvalidToken, stagePending, false},
			{passcode(""), wire.ResultOK, stageLoggedIn, false}}},
		{"the third wrong passcode closes the socket", []move{ok,
			{login("tok", "tok-password", ""), wire.ResultNeed2FA, stagePending, false},
			{passcode("000000"), wire.ResultInvalidToken, stagePending, false},
			{passcode("000001"), wire.ResultInvalidToken, stagePending, false},
			{passcode("000002"), wire.ResultInvalidToken, stagePending, true}}},
		{"no passcode is owed before a login", []move{
			{passcode("000000"), wire.ResultNotAllowed, stageNew, false}}},
		{"verifylogin is an administrator's", []move{ok,
			{login("plain", "plain-password", ""), wire.ResultOK, stageLoggedIn, false},
			{func(m *machine, st state) wire.Request {
				return wire.Request{Type: wire.TypeVerifyLogin, UserID: "tok", Pass: m.seal(st, "tok-password")}
			}, wire.ResultNotAllowed, stageLoggedIn, false}}},
		{"an administrator verifies a user", []move{ok,
			{login("admin", "admin-password", ""), wire.ResultOK, stageLoggedIn, false},
			{func(m *machine, st state) wire.Request {
				return wire.Request{Type: wire.TypeVerifyLogin, UserID: "tok", Pass: m.seal(st, "tok-password"), TwoFAToken: m.code(m.tok)}
			}, wire.ResultOK, stageLoggedIn, false}}},
		{"a password set by an administrator must be changed first", []move{ok,
			{login("forced", "forced-password", ""), wire.ResultOK, stageLoggedIn, false},
			{typed(wire.TypeVerifyLogin), wire.ResultChangePassword, stageLoggedIn, false},
			{func(m *machine, st state) wire.Request {
				return wire.Request{Type: wire.TypeAddUser, UpdateProf: true, Pass: m.seal(st, "forced-password"), NewPass: m.seal(st, "chosen-password")}
			}, wire.ResultOK, stageLoggedIn, false},
			{typed(wire.TypeVerifyLogin), wire.ResultNotAllowed, stageLoggedIn, false}}},
		{"logout closes the socket", []move{ok,
			{login("plain", "plain-password", ""), wire.ResultOK, stageLoggedIn, false},
			{typed(wire.TypeLogout), wire.ResultOK, stageLoggedIn, true}}},
		{"an unknown type is answered and the socket stays", []move{
			{typed("made-up"), wire.ResultUnknownType, stageNew, false}}},
		{"enrolment: the initial passcode, the questions, then a code of the new seed", enrolment},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMachine(t)
			var st state
			for i, mv := range tc.moves {
				data, err := json.Marshal(mv.msg(m, st))
				if err != nil {
					t.Fatal(err)
				}
				var r reply
				st, r = m.p.step(context.Background(), st, data)
				if r.Result != mv.result || st.stage != mv.stage || r.close != mv.close {
					t.Fatalf("move %d: %s %q, stage %d, close %v; want %q, stage %d, close %v",
						i, r.Type, r.Result, st.stage, r.close, mv.result, mv.stage, mv.close)
				}
			}
		})
	}
}

// enrolment is an enrolment's moves: enrol with the initial passcode,
// which asks for the questions; confirm before the answers is refused;
// the answers offer the seed, and a code of it completes the enrolment.
var enrolment = []move{
	{challengeMsg, wire.ResultOK, stageNew, false},
	{func(m *machine, st state) wire.Request {
		return wire.Request{Type: wire.TypeEnrol, UserID: "fresh", Pass: m.seal(st, "fresh-password"), Passcode: m.seal(st, m.initial)}
	}, wire.ResultQuestions, stageNew, false},
	{typed(wire.TypeConfirm), wire.ResultNotAllowed, stageNew, false},
	{func(m *machine, st state) wire.Request {
		qs := account.QuestionList()
		return wire.Request{Type: wire.TypeAnswers, Answers: []wire.Answer{
			{ID: qs[0].ID, Answer: m.seal(st, "Springfield")}, {ID: qs[1].ID, Answer: m.seal(st, "Rex")}}}
	}, wire.ResultOK, stageNew, false},
	{func(m *machine, st state) wire.Request {
		return wire.Request{Type: wire.TypeConfirm, TwoFAToken: m.code(st.en.Token)}
	}, wire.ResultOK, stageNew, true},
}

// A proved password that owes a passcode, or an enrolment begun, names
// its user for the socket's place among those not logged in; an
// enrolment waits longer for its typist. A failed login proves nothing.
func TestStepTellsTheSocket(t *testing.T) {
	tests := []struct {
		name   string
		msg    func(m *machine, st state) wire.Request
		proved string
		wait   time.Duration
	}{
		{"a passcode owed", login("tok", "tok-password", ""), "tok", 0},
		{"a wrong password", login("tok", "wrong", ""), "", 0},
		{"a complete login", login("plain", "plain-password", ""), "", 0},
		{"an enrolment", enrolment[1].msg, "fresh", 5 * time.Minute},
	}
	for _, tc := range tests {
		m := newMachine(t)
		st, _ := m.p.step(context.Background(), state{}, []byte(`{"type":"challenge"}`))
		data, err := json.Marshal(tc.msg(m, st))
		if err != nil {
			t.Fatal(err)
		}
		if _, r := m.p.step(context.Background(), st, data); r.proved != tc.proved || r.wait != tc.wait {
			t.Errorf("%s: proved %q, wait %v; want %q, %v (%s)", tc.name, r.proved, r.wait, tc.proved, tc.wait, r.Result)
		}
	}
}
