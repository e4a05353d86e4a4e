package account_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// preloaded is a texting fixture in mode whose carol, an SMS user who
// reads Italian, was just made by an administrator.
func preloaded(t *testing.T, mode account.SMSMode) *fixture {
	t.Helper()
	f := newService(t, func(c *account.Config) { c.SMSMode = mode }, texting)
	addUser(t, f, account.NewUser{UserID: "carol", SMS: true, Phone: carolsPhone, Use2FA: true, Lang: "it"})
	return f
}

// oneForm is carol's one-form logon: her password and code in one
// request, as a portal's verifylogin sends them.
func (f *fixture) oneForm(code string) (account.SignIn, error) {
	return f.svc.Login(context.Background(), admin, "carol", []byte("carol password"), code)
}

// texted is every text message's code so far.
func (f *fixture) texted() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var codes []string
	for _, m := range f.texts {
		codes = append(codes, smsCode.FindString(m.Text))
	}
	return codes
}

// An SMS user made by an administrator has the passcode for their next
// logon without asking, in their language; one request with the password
// and that passcode logs them on; the next passcode then arrives on its
// own, and the used one is refused (a failure the lockout counts).
func TestPreloadOneFormLogon(t *testing.T) {
	f := preloaded(t, account.SMSBoth)
	if got := f.textCount(); got != 1 {
		t.Fatalf("%d texts after the user was made, want 1", got)
	}
	if m := f.texts[0]; !strings.Contains(m.Text, "prossimo accesso") || m.To != carolsPhone {
		t.Errorf("the pre-loaded text to %s: %q, want the next logon's passcode in Italian", m.To, m.Text)
	}
	first := f.lastText(t, carolsPhone)
	in, err := f.oneForm(first)
	if err != nil || in.NeedPasscode || in.Grant.Proof != account.ProofSMS {
		t.Fatalf("one-form logon: %+v, %v", in, err)
	}
	if got := f.textCount(); got != 2 {
		t.Fatalf("%d texts after the logon, want the next passcode too", got)
	}
	next := f.lastText(t, carolsPhone)
	if _, err := f.oneForm(first); !errors.Is(err, account.ErrInvalidCode) {
		t.Errorf("the used passcode again: %v, want %v", err, account.ErrInvalidCode)
	}
	if got := stateOf(t, f, "carol").failures; got != 1 {
		t.Errorf("%d failures after the replay, want 1", got)
	}
	if _, err := f.oneForm(next); err != nil {
		t.Errorf("the next passcode: %v", err)
	}
	noCodeInAudit(t, f, "carol")
}

// noCodeInAudit checks that no passcode texted is in userID's audit.
func noCodeInAudit(t *testing.T, f *fixture, userID string) {
	t.Helper()
	all, err := f.svc.AuditEvents(context.Background(), account.CommandLine, account.AuditFilter{UserID: userID})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range all {
		for _, code := range f.texted() {
			if code != "" && strings.Contains(e.Detail, code) {
				t.Errorf("audit record %s %q holds a passcode", e.Event, e.Detail)
			}
		}
	}
}

// --sms-mode: pre-loaded passcodes (preload, both), passcodes sent when a
// login asks for them (on-demand, both).
func TestPreloadModes(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		mode                     account.SMSMode
		onCreate, onLogin, onUse int
		smsErr                   error
	}{
		{account.SMSBoth, 1, 1, 1, nil},
		{account.SMSPreload, 1, 0, 1, account.ErrSMSPreloaded},
		{account.SMSOnDemand, 0, 1, 0, nil},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			f := preloaded(t, tc.mode)
			if got := f.textCount(); got != tc.onCreate {
				t.Errorf("%d texts when the user was made, want %d", got, tc.onCreate)
			}
			in, err := f.svc.LogIn(ctx, admin, "socket 1", account.Attempt{UserID: "carol", Password: []byte("carol password")})
			if err != nil || !in.NeedPasscode || !errors.Is(in.SMSErr, tc.smsErr) {
				t.Fatalf("a login without a passcode: %+v, %v; want SMSErr %v", in, err, tc.smsErr)
			}
			if got := f.textCount() - tc.onCreate; got != tc.onLogin {
				t.Errorf("%d texts for a login without a passcode, want %d", got, tc.onLogin)
			}
			before := f.textCount()
			if _, err := f.svc.CheckPasscode(ctx, admin, in.Grant, f.lastText(t, carolsPhone)); err != nil {
				t.Fatal(err)
			}
			if got := f.textCount() - before; got != tc.onUse {
				t.Errorf("%d texts after the passcode was used, want %d", got, tc.onUse)
			}
		})
	}
}

// A pre-loaded passcode works until it is used or replaced, for at most
// the site's maximum age; a passcode sent when asked for neither revokes
// it nor is revoked by it.
func TestPreloadLifetime(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		before func(t *testing.T, f *fixture)
		want   error
	}{
		{"a second before the maximum age", func(_ *testing.T, f *fixture) { f.now = f.now.Add(account.DefaultSMSPreloadMaxAge - time.Second) }, nil},
		{"at the maximum age", func(_ *testing.T, f *fixture) { f.now = f.now.Add(account.DefaultSMSPreloadMaxAge) }, account.ErrInvalidCode},
		{"after a passcode asked for", func(t *testing.T, f *fixture) {
			if _, err := f.svc.SendLoginCode(ctx, admin, passwordOf(t, f, "carol")); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"replaced by a new number's", func(t *testing.T, f *fixture) {
			phone := "+447700900999"
			if _, err := f.svc.UpdateProfile(ctx, admin, account.ByAdmin("carol"), account.Profile{Phone: &phone}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.oneForm(f.lastText(t, phone)); err != nil {
				t.Errorf("the new number's pre-loaded passcode: %v", err)
			}
		}, account.ErrInvalidCode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := preloaded(t, account.SMSBoth)
			code := f.lastText(t, carolsPhone)
			tc.before(t, f)
			if _, err := f.oneForm(code); !errors.Is(err, tc.want) {
				t.Errorf("the pre-loaded passcode: %v, want %v", err, tc.want)
			}
		})
	}
}

// A passcode asked for still works after the pre-loaded one was used,
// and its use pre-loads the next, which replaces the one before.
func TestPreloadOnDemandApart(t *testing.T) {
	ctx := context.Background()
	f := preloaded(t, account.SMSBoth)
	first := f.lastText(t, carolsPhone)
	if _, err := f.svc.SendLoginCode(ctx, admin, passwordOf(t, f, "carol")); err != nil {
		t.Fatal(err)
	}
	asked := f.lastText(t, carolsPhone)
	if _, err := f.oneForm(first); err != nil {
		t.Fatalf("the pre-loaded passcode: %v", err)
	}
	second := f.lastText(t, carolsPhone)
	if _, err := f.svc.CheckPasscode(ctx, admin, passwordOf(t, f, "carol"), asked); err != nil {
		t.Fatalf("the passcode asked for: %v", err)
	}
	if _, err := f.oneForm(second); !errors.Is(err, account.ErrInvalidCode) {
		t.Errorf("the pre-loaded passcode replaced: %v, want %v", err, account.ErrInvalidCode)
	}
	if _, err := f.oneForm(f.lastText(t, carolsPhone)); err != nil {
		t.Errorf("the newest pre-loaded passcode: %v", err)
	}
}

// An expired pre-loaded passcode is replaced when it is tried, and so is
// a missing one at a login without a passcode, even where passcodes are
// not sent when asked for: no SMS user is left without one.
func TestPreloadExpiredIsReplaced(t *testing.T) {
	ctx := context.Background()
	f := preloaded(t, account.SMSPreload)
	f.now = f.now.Add(account.DefaultSMSPreloadMaxAge)
	if _, err := f.oneForm(f.lastText(t, carolsPhone)); !errors.Is(err, account.ErrInvalidCode) {
		t.Fatalf("the expired passcode: %v", err)
	}
	if got := f.textCount(); got != 2 {
		t.Fatalf("%d texts after the expired passcode was tried, want a new one", got)
	}
	if _, err := f.oneForm(f.lastText(t, carolsPhone)); err != nil {
		t.Errorf("the new passcode: %v", err)
	}
	// The next was not sent (the gateway failed): a login without a
	// passcode sends it.
	f.setSendErr(errors.New("gateway down"))
	if _, err := f.oneForm(f.lastText(t, carolsPhone)); err != nil {
		t.Fatalf("the passcode before the gateway failed: %v", err)
	}
	f.setSendErr(nil)
	f.now = f.now.Add(time.Hour)
	in, err := f.svc.LogIn(ctx, admin, "socket 1", account.Attempt{UserID: "carol", Password: []byte("carol password")})
	if err != nil || in.SentTo == "" || in.SMSErr != nil {
		t.Fatalf("a login owed a passcode with none pre-loaded: %+v, %v", in, err)
	}
	if _, err := f.oneForm(f.lastText(t, carolsPhone)); err != nil {
		t.Errorf("the passcode that login sent: %v", err)
	}
}

// setSendErr makes the text messages fail with err (nil: succeed).
func (f *fixture) setSendErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sendErr = err
}

// Pre-loaded passcodes have an allowance of their own: past it the next
// is not sent, which is audited and fails no logon; once the allowance
// refills, a login sends it.
func TestPreloadAllowance(t *testing.T) {
	ctx := context.Background()
	f := preloaded(t, account.SMSPreload)
	for i := 1; i <= 5; i++ {
		if _, err := f.oneForm(f.lastText(t, carolsPhone)); err != nil {
			t.Fatalf("logon %d: %v", i, err)
		}
	}
	if got := f.textCount(); got != 5 {
		t.Errorf("%d texts, want 5 (the allowance's burst)", got)
	}
	if got := events(t, f, "carol", "sms preload"); len(got) == 0 || got[len(got)-1].Outcome != string(account.CodeRateLimited) {
		t.Errorf("the pre-loaded passcode not sent: audit %+v", got)
	}
	f.now = f.now.Add(5 * time.Minute)
	in, err := f.svc.LogIn(ctx, admin, "socket 1", account.Attempt{UserID: "carol", Password: []byte("carol password")})
	if err != nil || in.SentTo == "" {
		t.Fatalf("a login once the allowance refilled: %+v, %v", in, err)
	}
	if _, err := f.oneForm(f.lastText(t, carolsPhone)); err != nil {
		t.Errorf("the passcode it sent: %v", err)
	}
}

// A pre-loaded passcode that cannot be sent is audited, and the logon
// that used the one before stands.
func TestPreloadSendFails(t *testing.T) {
	f := preloaded(t, account.SMSBoth)
	code := f.lastText(t, carolsPhone)
	f.setSendErr(errors.New("gateway down"))
	if _, err := f.oneForm(code); err != nil {
		t.Fatalf("the logon: %v", err)
	}
	got := events(t, f, "carol", "sms preload")
	if len(got) == 0 || got[len(got)-1].Outcome != string(account.CodeFailed) || strings.Contains(got[len(got)-1].Detail, "gateway") {
		t.Errorf("the failed send: audit %+v", got)
	}
}

// Wrong passcodes count towards the lockout as every second factor's do,
// send nothing while the pre-loaded passcode works, and once the user is
// locked the right one is refused too.
func TestPreloadLockout(t *testing.T) {
	f := preloaded(t, account.SMSBoth)
	code := f.lastText(t, carolsPhone)
	wrong := "000000"
	if code == wrong {
		wrong = "000001"
	}
	for i := range 3 { // the fixture's MaxFailures
		if _, err := f.oneForm(wrong); !errors.Is(err, account.ErrInvalidCode) {
			t.Fatalf("wrong passcode %d: %v", i+1, err)
		}
	}
	if got := f.textCount(); got != 1 {
		t.Errorf("%d texts after wrong passcodes, want only the first", got)
	}
	if _, err := f.oneForm(code); !errors.Is(err, account.ErrLocked) {
		t.Errorf("the right passcode of a locked user: %v, want %v", err, account.ErrLocked)
	}
}

// Users who get no passcodes by SMS are sent no pre-loaded ones.
func TestPreloadSMSUsersOnly(t *testing.T) {
	ctx := context.Background()
	f := preloaded(t, account.SMSBoth)
	before := f.textCount()
	f.tick()
	if _, err := f.svc.Login(ctx, admin, "alice", []byte("correct horse"), f.code(t, 0)); err != nil {
		t.Fatal(err)
	}
	addUser(t, f, account.NewUser{UserID: "dave", Phone: "+447700900222", Use2FA: true})
	if got := f.textCount() - before; got != 0 {
		t.Errorf("%d texts to users with tokens", got)
	}
}

// An administrator who makes a user with a token an SMS user (user update
// --sms) revokes the token, and the number is sent the passcode for the
// next logon; a user with no number on file cannot become one.
func TestPreloadAdminMakesSMSUser(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, texting)
	if _, err := f.svc.UpdateProfile(ctx, admin, account.ByAdmin("alice"), account.Profile{SMS: true}); !errors.Is(err, account.ErrBadPhone) {
		t.Errorf("no number: %v, want %v", err, account.ErrBadPhone)
	}
	phone := "+447700900333"
	if _, err := f.svc.UpdateProfile(ctx, admin, account.ByAdmin("alice"), account.Profile{Phone: &phone, SMS: true}); err != nil {
		t.Fatal(err)
	}
	if got, want := stateOf(t, f, "alice"), (userState{active: true, sms: true, twoFAs: true}); got != want {
		t.Errorf("alice after: %+v, want %+v", got, want)
	}
	if _, err := f.svc.Login(ctx, admin, "alice", []byte("correct horse"), f.lastText(t, phone)); err != nil {
		t.Errorf("the pre-loaded passcode: %v", err)
	}
}

// A new number from the self-help desk waits for the user's confirmation
// and is sent no passcode meanwhile; once it takes over (confirmed by the
// mailed link, or at the user's first password after the cooling-off) it
// is sent the passcode for the next logon.
func TestPreloadDeskNumberOnceItTakesOver(t *testing.T) {
	ctx := context.Background()
	const phone = "+447700900444"
	for _, tc := range []struct {
		name     string
		takeOver func(t *testing.T, f *fixture)
	}{
		{"confirmed by the mailed link", func(t *testing.T, f *fixture) {
			secret := caseSecret(t, f)
			c, err := f.svc.LookUpDeskCase(ctx, secret)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.svc.ConfirmDeskChange(ctx, admin, secret, c.Waiting); err != nil {
				t.Fatal(err)
			}
		}},
		{"after the cooling-off, at a login", func(t *testing.T, f *fixture) {
			f.now = f.now.Add(account.DefaultCoolingOff)
			in, err := f.svc.LogIn(ctx, admin, "socket 1", account.Attempt{UserID: "alice", Password: []byte("correct horse")})
			if err != nil || in.SentTo == "" {
				t.Fatalf("the login that let the number take over: %+v, %v", in, err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, texting)
			email := "alice@example.com" // for the desk's mails and their links
			if _, err := f.svc.UpdateProfile(ctx, admin, account.ByAdmin("alice"), account.Profile{Email: &email}); err != nil {
				t.Fatal(err)
			}
			res, err := f.svc.Helpdesk(ctx, admin, deskGrant(t, f), account.HelpdeskRequest{Phone: phone, MaxDays: 7})
			if err != nil {
				t.Fatal(err)
			}
			if res, err = f.svc.ConfirmHelpdesk(ctx, admin, deskGrant(t, f), f.lastText(t, phone), account.HelpdeskRequest{MaxDays: 7}); err != nil || res.Waits.IsZero() {
				t.Fatalf("the desk's number: %+v, %v", res, err)
			}
			before := f.textCount()
			tc.takeOver(t, f)
			if got := f.textCount() - before; got != 1 {
				t.Fatalf("%d texts when the number took over, want the passcode for the next logon", got)
			}
			if _, err := f.svc.Login(ctx, admin, "alice", []byte("correct horse"), f.lastText(t, phone)); err != nil {
				t.Errorf("the pre-loaded passcode: %v", err)
			}
		})
	}
}
