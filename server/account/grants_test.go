package account_test

import (
	"context"
	"errors"
	"testing"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/lang"
)

// proofs are the ways alice signs in, each made on a fixture where she
// has security answers: her password alone, a token passcode, a
// temporary passcode, a One Swipe code, and a security answer at the
// help desk.
var proofs = []struct {
	name string
	make func(t *testing.T, f *fixture) account.Grant
}{
	{"password", func(t *testing.T, f *fixture) account.Grant { return f.password(t) }},
	{"token passcode", func(t *testing.T, f *fixture) account.Grant { f.tick(); return signedIn(t, f, f.svc) }},
	{"temporary passcode", func(t *testing.T, f *fixture) account.Grant {
		temp, err := f.svc.IssueTempPasscode(context.Background(), admin, account.ByAdmin("alice"), 2, 7)
		if err != nil {
			t.Fatal(err)
		}
		return must(f.svc.CheckPasscode(context.Background(), admin, f.password(t), temp.Code))(t)
	}},
	{"One Swipe code", func(t *testing.T, f *fixture) account.Grant {
		f.tick()
		e, err := f.svc.IssueEnrolCode(context.Background(), admin, signedIn(t, f, f.svc).Self(), "https://x/secenrol/")
		if err != nil {
			t.Fatal(err)
		}
		return must(f.svc.UseEnrolCode(context.Background(), admin, "alice", e.Code))(t)
	}},
	{"security answer", func(t *testing.T, f *fixture) account.Grant {
		g := f.password(t)
		q, err := f.svc.QuestionFor(context.Background(), g)
		if err != nil {
			t.Fatal(err)
		}
		return must(f.svc.CheckAnswer(context.Background(), admin, g, q.ID, map[int]string{1: "Springfield", 2: "Rex"}[q.ID]))(t)
	}},
}

// must is v, failing the test t is given to when err is not nil.
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// withAnswers is a fixture where alice has security answers.
func withAnswers(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	if err := f.svc.SaveAnswers(context.Background(), admin, signedIn(t, f, f.svc), map[int]string{1: "Springfield", 2: "Rex"}); err != nil {
		t.Fatal(err)
	}
	return f
}

// What a grant allows depends on what it proved: a password alone
// enrols nothing; a passcode enrols; a security answer gets the help
// desk's temporary passcode and nothing else; only a token (or SMS)
// passcode replaces security answers already chosen.
func TestWhatAGrantAllows(t *testing.T) {
	ctx := context.Background()
	actions := []struct {
		name string
		do   func(f *fixture, g account.Grant) error
		// want is the outcome for each proof, by name; missing: allowed.
		want map[string]error
	}{
		{"a new enrolment", func(f *fixture, g account.Grant) error { _, err := f.svc.NewEnrolment(ctx, g); return err },
			map[string]error{"password": account.ErrNotAllowed, "security answer": account.ErrNotAllowed}},
		{"a One Swipe code", func(f *fixture, g account.Grant) error {
			_, err := f.svc.IssueEnrolCode(ctx, admin, g.Self(), "https://x/secenrol/")
			return err
		}, map[string]error{"password": account.ErrNotAllowed, "security answer": account.ErrNotAllowed}},
		{"a code to a new number", func(f *fixture, g account.Grant) error {
			_, err := f.svc.SendPhoneCode(ctx, admin, g, "+447700900123")
			return err
		}, map[string]error{"password": account.ErrNotAllowed, "security answer": account.ErrNotAllowed}},
		{"new security answers", func(f *fixture, g account.Grant) error {
			return f.svc.SaveAnswers(ctx, admin, g, map[int]string{3: "Blue", 4: "Smith"})
		}, map[string]error{"password": account.ErrNotAllowed, "security answer": account.ErrNotAllowed,
			"temporary passcode": account.ErrOldFactor, "One Swipe code": account.ErrOldFactor}},
		{"a temporary passcode of one's own", func(f *fixture, g account.Grant) error {
			_, err := f.svc.IssueTempPasscode(ctx, admin, g.Self(), 1, 7)
			return err
		}, map[string]error{"password": account.ErrNotAllowed, "token passcode": account.ErrNotAllowed,
			"temporary passcode": account.ErrNotAllowed, "One Swipe code": account.ErrNotAllowed}},
		{"the help desk", func(f *fixture, g account.Grant) error {
			_, err := f.svc.Helpdesk(ctx, admin, g, account.HelpdeskRequest{Days: 1, MaxDays: 7})
			return err
		}, map[string]error{"password": account.ErrNotAllowed, "token passcode": account.ErrNotAllowed,
			"temporary passcode": account.ErrNotAllowed, "One Swipe code": account.ErrNotAllowed}},
	}
	for _, a := range actions {
		for _, p := range proofs {
			t.Run(a.name+"/"+p.name, func(t *testing.T) {
				f := withAnswers(t)
				g := p.make(t, f)
				if err, want := a.do(f, g), a.want[p.name]; !errors.Is(err, want) {
					t.Errorf("got %v, want %v", err, want)
				}
			})
		}
	}
}

// Every change of the account's credentials, a disable, a deletion or a
// lock ends the grants made before it: the next step on one is refused,
// saying why. Changes that are not of credentials leave them be.
func TestGrantsEndWithTheCredentials(t *testing.T) {
	ctx := context.Background()
	for _, tc := range accountChanges() {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			g := signedIn(t, f, f.svc)
			if err := tc.change(t, f); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.NewEnrolment(ctx, g); !errors.Is(err, tc.want) {
				t.Errorf("an enrolment on the grant of before: %v, want %v", err, tc.want)
			}
			if err := f.svc.TakeSession(ctx, admin, g, account.NewHolder()); !errors.Is(err, tc.want) {
				t.Errorf("a session on the grant of before: %v, want %v", err, tc.want)
			}
		})
	}
}

// accountChange is a change to alice's account, and what it makes of the
// grants of before (nil: they hold).
type accountChange struct {
	name   string
	change func(t *testing.T, f *fixture) error
	want   error
}

// accountChanges are the changes TestGrantsEndWithTheCredentials makes.
func accountChanges() []accountChange {
	ctx := context.Background()
	alice := account.ByAdmin("alice")
	off, firm := false, "ACME"
	return []accountChange{
		{"password changed by the user", func(t *testing.T, f *fixture) error {
			_, _, err := f.svc.ChangePassword(ctx, admin, alice, []byte("correct horse"), []byte("battery staple"), account.Profile{})
			return err
		}, account.ErrSignedOut},
		{"password set by an administrator", func(t *testing.T, f *fixture) error {
			_, err := f.svc.SetPassword(ctx, admin, alice, []byte("battery staple"), account.Profile{})
			return err
		}, account.ErrSignedOut},
		{"reset", func(t *testing.T, f *fixture) error {
			_, err := f.svc.Reset(ctx, admin, alice, []byte("battery staple"))
			return err
		}, account.ErrSignedOut},
		{"token revoked", func(t *testing.T, f *fixture) error { return f.svc.RevokeToken(ctx, admin, alice) }, account.ErrSignedOut},
		{"a new token", func(t *testing.T, f *fixture) error {
			_, err := f.svc.UpdateProfile(ctx, admin, alice, account.Profile{NewSeed: true})
			return err
		}, account.ErrSignedOut},
		{"two factors switched off", func(t *testing.T, f *fixture) error {
			_, err := f.svc.UpdateProfile(ctx, admin, alice, account.Profile{Use2FA: &off})
			return err
		}, account.ErrSignedOut},
		{"another enrolment completed", func(t *testing.T, f *fixture) error {
			f.tick()
			e, err := f.svc.NewEnrolment(ctx, signedIn(t, f, f.svc))
			if err != nil {
				return err
			}
			_, err = f.svc.CompleteEnrolment(ctx, admin, e, enrolCode(t, f, e))
			return err
		}, account.ErrSignedOut},
		{"disabled", func(t *testing.T, f *fixture) error { return f.svc.SetActive(ctx, admin, alice, false) }, account.ErrSignedOut},
		{"disabled, then enabled", func(t *testing.T, f *fixture) error {
			if err := f.svc.SetActive(ctx, admin, alice, false); err != nil {
				return err
			}
			return f.svc.SetActive(ctx, admin, alice, true)
		}, account.ErrSignedOut},
		{"deleted", func(t *testing.T, f *fixture) error { return f.svc.DeleteUser(ctx, admin, alice) }, account.ErrSignedOut},
		{"deleted, and made again", func(t *testing.T, f *fixture) error {
			if err := f.svc.DeleteUser(ctx, admin, alice); err != nil {
				return err
			}
			_, err := f.svc.CreateUser(ctx, admin, nil, account.NewUser{UserID: "alice", Password: []byte("correct horse"), Seed: true})
			return err
		}, account.ErrSignedOut},
		{"locked", func(t *testing.T, f *fixture) error {
			for range 3 {
				f.svc.CheckPasscode(ctx, admin, f.password(t), "000000")
			}
			return nil
		}, account.ErrLocked},
		{"the firm changed", func(t *testing.T, f *fixture) error {
			_, err := f.svc.UpdateProfile(ctx, admin, alice, account.Profile{Firm: &firm})
			return err
		}, nil},
		{"the language changed", func(t *testing.T, f *fixture) error {
			f.tick()
			return f.svc.SetLanguage(ctx, admin, signedIn(t, f, f.svc), lang.Italian)
		}, nil},
		{"a temporary passcode issued", func(t *testing.T, f *fixture) error {
			_, err := f.svc.IssueTempPasscode(ctx, admin, alice, 2, 7)
			return err
		}, nil},
		{"a failure, then unlocked", func(t *testing.T, f *fixture) error {
			f.svc.CheckPasscode(ctx, admin, f.password(t), "000000")
			_, err := f.svc.Unlock(ctx, admin, alice)
			return err
		}, nil},
	}
}

// A change the user makes to their own password ends their other grants
// but hands them a new one: their own session goes on.
func TestOwnPasswordChangeKeepsTheSession(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	other := signedIn(t, f, f.svc)
	f.tick()
	mine := signedIn(t, f, f.svc)
	g, _, err := f.svc.ChangePassword(ctx, admin, mine.Self(), []byte("correct horse"), []byte("battery staple"), account.Profile{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := g.Proof, mine.Proof; got != want {
		t.Errorf("the new grant proves %v, want %v", got, want)
	}
	if _, err := f.svc.NewEnrolment(ctx, g); err != nil {
		t.Errorf("the new grant: %v", err)
	}
	for name, old := range map[string]account.Grant{"the grant that changed it": mine, "another grant": other} {
		if _, err := f.svc.NewEnrolment(ctx, old); !errors.Is(err, account.ErrSignedOut) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := f.svc.CheckPassword(ctx, admin, "alice", []byte("battery staple")); err != nil {
		t.Errorf("the new password: %v", err)
	}
}

// A grant of nobody (the zero Grant an adapter holds before any sign-in)
// does nothing.
func TestZeroGrantDoesNothing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	var g account.Grant
	g.Proof = account.ProofToken // a forged proof does not help
	for _, tc := range []struct {
		name string
		do   func() error
	}{
		{"a new enrolment", func() error { _, err := f.svc.NewEnrolment(ctx, g); return err }},
		{"a session", func() error { return f.svc.TakeSession(ctx, admin, g, account.NewHolder()) }},
		{"a passcode", func() error { _, err := f.svc.CheckPasscode(ctx, admin, g, f.code(t, 0)); return err }},
		{"the help desk's question", func() error { _, err := f.svc.QuestionFor(ctx, g); return err }},
	} {
		if err := tc.do(); !errors.Is(err, account.ErrSignedOut) {
			t.Errorf("%s: %v, want %v", tc.name, err, account.ErrSignedOut)
		}
	}
}
