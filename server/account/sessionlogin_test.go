package account_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/token"
)

// holders is who holds each user's session now, by user ID: "open" or
// "closed".
func holders(t *testing.T, f *fixture) map[string]string {
	t.Helper()
	ss, err := f.svc.Sessions(context.Background(), account.CommandLine)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range ss {
		out[s.UserID] = map[bool]string{true: "open", false: "closed"}[s.Open]
	}
	return out
}

// A login over the websocket is one call: a passcode owed is asked for
// (and sent, to an SMS user), and the completed login holds the user's
// session, so that a second login is refused until the first logs out.
// An administrator's login holds nothing.
func TestLogInHoldsTheSession(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	root := moreUsers(t, f)
	in, err := f.svc.LogIn(ctx, admin, "socket-1", account.Attempt{UserID: "sam", Password: []byte("sam password")})
	if err != nil || !in.NeedPasscode || in.SentTo == "" || in.SMSErr != nil {
		t.Fatalf("SMS user's login: %+v, %v; want a passcode owed and sent", in, err)
	}
	in, err = rootLogIn(t, f, root, "socket-2")
	if err != nil || in.NeedPasscode || !in.User.IsAdmin || len(holders(t, f)) != 0 {
		t.Fatalf("administrator's login: %+v, %v, sessions %v; want complete, holding nothing", in, err, holders(t, f))
	}
	steps := []struct {
		name    string
		do      func() error
		want    error
		holders map[string]string
	}{
		{"a wrong passcode holds nothing", func() error { return finish(f, "socket-3", "alice", "00000000") }, account.ErrInvalidCode, map[string]string{}},
		{"the right passcode holds the user", func() error { return finish(f, "socket-3", "alice", "") }, nil, map[string]string{"alice": "open"}},
		{"another socket is refused", func() error { return finish(f, "socket-4", "alice", "") }, account.ErrHeld, map[string]string{"alice": "open"}},
		{"a logout frees the user", func() error { return f.svc.LogOut(ctx, admin, f.password(t), "socket-3") }, nil, map[string]string{}},
		{"then another socket logs in", func() error { return finish(f, "socket-4", "alice", "") }, nil, map[string]string{"alice": "open"}},
	}
	for _, s := range steps {
		if err := s.do(); !errors.Is(err, s.want) {
			t.Fatalf("%s: %v, want %v", s.name, err, s.want)
		}
		if got := holders(t, f); len(got) != len(s.holders) || got["alice"] != s.holders["alice"] {
			t.Fatalf("%s: sessions %v, want %v", s.name, got, s.holders)
		}
	}
}

// finish logs alice in on holder: the password, then code (a code of her
// token when ""), with FinishLogIn.
func finish(f *fixture, holder, userID, code string) error {
	ctx := context.Background()
	in, err := f.svc.LogIn(ctx, admin, holder, account.Attempt{UserID: userID, Password: []byte("correct horse")})
	if err != nil {
		return err
	}
	if code == "" {
		f.now = f.now.Add(30 * time.Second) // a code of the next step: the last one is used up
		c, err := f.tok.Code(f.now)
		if err != nil {
			return err
		}
		code = c
	}
	_, err = f.svc.FinishLogIn(ctx, admin, holder, in.Grant, code)
	return err
}

// moreUsers adds an administrator "root", a person with a token (which
// it returns), and "sam", who gets passcodes by SMS.
func moreUsers(t *testing.T, f *fixture) token.Token {
	t.Helper()
	var root token.Token
	for _, u := range []account.NewUser{
		{UserID: "root", Admin: true, Use2FA: true, Seed: true, OwnPassword: true},
		{UserID: "sam", SMS: true, Phone: "+447700900123", OwnPassword: true},
	} {
		u.Password = []byte(u.UserID + " password")
		c, err := f.svc.CreateUser(context.Background(), admin, nil, u)
		if err != nil {
			t.Fatal(err)
		}
		if c.Token != nil {
			root = *c.Token
		}
	}
	return root
}

// rootLogIn logs root in, with a code of its token tok, on holder.
func rootLogIn(t *testing.T, f *fixture, tok token.Token, holder string) (account.SignIn, error) {
	t.Helper()
	code, err := tok.Code(f.now)
	if err != nil {
		t.Fatal(err)
	}
	return f.svc.LogIn(context.Background(), admin, holder, account.Attempt{UserID: "root", Password: []byte("root password"), Passcode: code})
}

// A back-end's verification is one call: an SMS user's passcode is sent
// when owed, and a verified user is held as a closed session only when the
// adapter names a holder.
func TestVerifyLogIn(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	root := moreUsers(t, f)
	in, err := rootLogIn(t, f, root, "backend")
	if err != nil {
		t.Fatal(err)
	}
	backend := in.Grant
	tests := []struct {
		name, holder string
		attempt      func() account.Attempt
		owed         bool
		held         string
	}{
		{"an SMS user's passcode is sent", "", func() account.Attempt {
			return account.Attempt{UserID: "sam", Password: []byte("sam password")}
		}, true, ""},
		{"not held without a holder", "", func() account.Attempt {
			return account.Attempt{UserID: "alice", Password: []byte("correct horse"), Passcode: f.code(t, 0)}
		}, false, ""},
		{"held as a closed session with one", "portal", func() account.Attempt {
			return account.Attempt{UserID: "alice", Password: []byte("correct horse"), Passcode: f.code(t, 0)}
		}, false, "closed"},
	}
	for _, tc := range tests {
		f.now = f.now.Add(30 * time.Second) // each code a step of its own
		in, err := f.svc.VerifyLogIn(ctx, admin, backend, tc.attempt(), tc.holder)
		if err != nil || in.NeedPasscode != tc.owed || (tc.owed && in.SentTo == "") {
			t.Errorf("%s: %+v, %v; want passcode owed %v", tc.name, in, err, tc.owed)
		}
		if got := holders(t, f)["alice"]; got != tc.held {
			t.Errorf("%s: alice's session %q, want %q", tc.name, got, tc.held)
		}
	}
}
