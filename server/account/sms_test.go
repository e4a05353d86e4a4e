package account_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

const carolsPhone = "+447700900111"

// smsSignIn signs carol in with her password and the SMS passcode sent
// for it.
func smsSignIn(t *testing.T, f *fixture) account.Grant {
	t.Helper()
	ctx := context.Background()
	g := passwordOf(t, f, "carol")
	if _, err := f.svc.SendLoginCode(ctx, admin, g); err != nil {
		t.Fatal(err)
	}
	g, err := f.svc.CheckPasscode(ctx, admin, g, f.lastText(t, carolsPhone))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// With SMS switched off nothing is texted: every request for a text is
// refused as such.
func TestSMSSwitchedOff(t *testing.T) {
	ctx := context.Background()
	f := newService(t, func(c *account.Config) { c.SMS = nil })
	smsUser(t, f, carolsPhone)
	full := signedIn(t, f, f.svc)
	for _, tc := range []struct {
		name string
		do   func() error
	}{
		{"a sign-in passcode", func() error { _, err := f.svc.SendLoginCode(ctx, admin, passwordOf(t, f, "carol")); return err }},
		{"a code to a new number", func() error { _, err := f.svc.SendPhoneCode(ctx, admin, full, "+447700900123"); return err }},
		{"a new number at the help desk", func() error {
			_, err := f.svc.Helpdesk(ctx, admin, deskGrant(t, f), account.HelpdeskRequest{Phone: "+447700900123", MaxDays: 7})
			return err
		}},
	} {
		if err := tc.do(); !errors.Is(err, account.ErrSMSOff) {
			t.Errorf("%s: %v, want %v", tc.name, err, account.ErrSMSOff)
		}
	}
}

// Sign-in passcodes go to SMS users only; anyone else asking is refused
// and nothing is sent.
func TestSMSLoginCodeForSMSUsersOnly(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, texting)
	smsUser(t, f, carolsPhone)
	preloaded := f.textCount() // carol's first passcode, pre-loaded
	if _, err := f.svc.SendLoginCode(ctx, admin, f.password(t)); !errors.Is(err, account.ErrNotSMSUser) {
		t.Errorf("alice, who has a token: %v, want %v", err, account.ErrNotSMSUser)
	}
	if got := f.textCount() - preloaded; got != 0 {
		t.Errorf("%d texts sent", got)
	}
	masked, err := f.svc.SendLoginCode(ctx, admin, passwordOf(t, f, "carol"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := masked, "+44…111"; got != want {
		t.Errorf("sent to %q, want %q", got, want)
	}
}

// Each user has an allowance of texts per purpose: five at once, then one
// every five minutes; the sign-in passcodes and the codes to confirm a
// number are counted apart.
func TestSMSAllowancePerPurpose(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, texting)
	smsUser(t, f, carolsPhone)
	full := smsSignIn(t, f) // the first sign-in text
	login := func() error { _, err := f.svc.SendLoginCode(ctx, admin, passwordOf(t, f, "carol")); return err }
	number := func() error { _, err := f.svc.SendPhoneCode(ctx, admin, full, "+447700900123"); return err }
	for _, step := range []struct {
		name  string
		after time.Duration
		send  func() error
		want  error
	}{
		{"sign-in text 2", 0, login, nil},
		{"sign-in text 3", 0, login, nil},
		{"sign-in text 4", 0, login, nil},
		{"sign-in text 5", 0, login, nil},
		{"sign-in text 6", 0, login, account.ErrSMSTooMany},
		{"number text 1", 0, number, nil},
		{"number text 2", 0, number, nil},
		{"number text 3", 0, number, nil},
		{"number text 4", 0, number, nil},
		{"number text 5", 0, number, nil},
		{"number text 6", 0, number, account.ErrSMSTooMany},
		{"sign-in text after four minutes", 4 * time.Minute, login, account.ErrSMSTooMany},
		{"sign-in text after five minutes", time.Minute, login, nil},
		{"the next at once", 0, login, account.ErrSMSTooMany},
	} {
		f.now = f.now.Add(step.after)
		before := f.textCount()
		err := step.send()
		if !errors.Is(err, step.want) {
			t.Errorf("%s: %v, want %v", step.name, err, step.want)
		}
		if sent := f.textCount() - before; sent != map[bool]int{true: 1, false: 0}[step.want == nil] {
			t.Errorf("%s: %d texts sent", step.name, sent)
		}
	}
}

// A sign-in passcode by SMS works once, for five minutes, and only the
// newest one sent.
func TestSMSLoginCodeUse(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		after  time.Duration
		before func(f *fixture, code string)
		want   error
	}{
		{"at once", 0, nil, nil},
		{"a second before it expires", account.DefaultSMSCodeTTL - time.Second, nil, nil},
		{"when it expires", account.DefaultSMSCodeTTL, nil, account.ErrInvalidCode},
		{"used before", 0, func(f *fixture, code string) {
			if _, err := f.svc.CheckPasscode(ctx, admin, passwordOf(t, f, "carol"), code); err != nil {
				t.Fatal(err)
			}
		}, account.ErrInvalidCode},
		{"a newer one sent", 0, func(f *fixture, _ string) {
			if _, err := f.svc.SendLoginCode(ctx, admin, passwordOf(t, f, "carol")); err != nil {
				t.Fatal(err)
			}
		}, account.ErrInvalidCode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, texting)
			smsUser(t, f, carolsPhone)
			if _, err := f.svc.SendLoginCode(ctx, admin, passwordOf(t, f, "carol")); err != nil {
				t.Fatal(err)
			}
			code := f.lastText(t, carolsPhone)
			if tc.before != nil {
				tc.before(f, code)
			}
			f.now = f.now.Add(tc.after)
			g, err := f.svc.CheckPasscode(ctx, admin, passwordOf(t, f, "carol"), code)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err == nil && g.Proof != account.ProofSMS {
				t.Errorf("proof %v, want %v", g.Proof, account.ProofSMS)
			}
		})
	}
}

// A user with a token who confirms a new number with the code sent to it
// becomes an SMS user: the token is revoked and every grant of before
// ends; a number that is no mobile number gets no code.
func TestSMSEnrolment(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, texting)
	full := signedIn(t, f, f.svc)
	if _, err := f.svc.SendPhoneCode(ctx, admin, full, "12345"); !errors.Is(err, account.ErrBadPhone) {
		t.Errorf("a number that is none: %v", err)
	}
	masked, err := f.svc.SendPhoneCode(ctx, admin, full, "+44 7700 900123")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := masked, "+44…123"; got != want {
		t.Errorf("sent to %q, want %q", got, want)
	}
	if _, _, err := f.svc.CompleteSMSEnrolment(ctx, admin, full, "000000"); !errors.Is(err, account.ErrInvalidCode) {
		t.Errorf("a wrong code: %v", err)
	}
	g, set, err := f.svc.CompleteSMSEnrolment(ctx, admin, full, f.lastText(t, "+447700900123"))
	if err != nil {
		t.Fatal(err)
	}
	if g.Proof != account.ProofSMS || set.Phone != masked || !set.Waits.IsZero() {
		t.Errorf("set up %+v with a grant proving %v", set, g.Proof)
	}
	if got, want := stateOf(t, f, "alice"), (userState{active: true, sms: true, twoFAs: true}); got != want {
		t.Errorf("alice after: %+v, want %+v", got, want)
	}
	if _, err := f.svc.NewEnrolment(ctx, full); !errors.Is(err, account.ErrSignedOut) {
		t.Errorf("the grant of before: %v", err)
	}
	f.tick()
	if _, err := f.svc.CheckPasscode(ctx, admin, f.password(t), f.code(t, 0)); !errors.Is(err, account.ErrInvalidCode) {
		t.Errorf("the revoked token's passcode: %v", err)
	}
}

// When the gateway fails the user is told it was not sent, and the code
// is in no error and no audit record.
func TestSMSGatewayFailureTellsNoCode(t *testing.T) {
	ctx := context.Background()
	f := newService(t, func(c *account.Config) { c.Logger = slog.New(slog.DiscardHandler) }, texting)
	f.sendErr = errors.New("gateway down")
	smsUser(t, f, carolsPhone)
	_, err := f.svc.SendLoginCode(ctx, admin, passwordOf(t, f, "carol"))
	if !errors.Is(err, account.ErrSMSNotSent) {
		t.Fatalf("got %v, want %v", err, account.ErrSMSNotSent)
	}
	code := f.lastText(t, carolsPhone)
	if strings.Contains(err.Error(), code) {
		t.Errorf("the error holds the code: %v", err)
	}
	sent := events(t, f, "carol", "sms login")
	if len(sent) != 1 || succeeded(sent[0]) || strings.Contains(sent[0].Detail, code) {
		t.Errorf("audit of the send: %+v", sent)
	}
}
