package account_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// A site that switches to on-demand passcodes ("would rather no passcode
// waited on a handset", docs/deploy.md) no longer accepts the pre-loaded
// ones already sent: they wait on handsets for up to the maximum age.
func TestPreloadRefusedOnceTheSiteIsOnDemand(t *testing.T) {
	f := preloaded(t, account.SMSBoth)
	code := f.lastText(t, carolsPhone)
	f.tune = func(c *account.Config) { c.SMSMode = account.SMSOnDemand }
	texting(f)
	f.open(t) // the restart with --sms-mode on-demand
	if _, err := f.oneForm(code); !errors.Is(err, account.ErrInvalidCode) {
		t.Errorf("a pre-loaded passcode at an on-demand site: %v, want %v", err, account.ErrInvalidCode)
	}
}

// A desk number that takes over at the user's first password after the
// cooling-off is sent the passcode for the next logon, whichever door
// that password came through: the enrol site and the self-help desk
// sign in with the password alone (CheckPassword), as a login does.
func TestPreloadDeskNumberTakesOverAtAWebSignIn(t *testing.T) {
	ctx := context.Background()
	const phone = "+447700900444"
	f := newFixture(t, texting)
	email := "alice@example.com"
	if _, err := f.svc.UpdateProfile(ctx, admin, account.ByAdmin("alice"), account.Profile{Email: &email}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Helpdesk(ctx, admin, deskGrant(t, f), account.HelpdeskRequest{Phone: phone, MaxDays: 7}); err != nil {
		t.Fatal(err)
	}
	if res, err := f.svc.ConfirmHelpdesk(ctx, admin, deskGrant(t, f), f.lastText(t, phone), account.HelpdeskRequest{MaxDays: 7}); err != nil || res.Waits.IsZero() {
		t.Fatalf("the desk's number: %+v, %v", res, err)
	}
	f.now = f.now.Add(account.DefaultCoolingOff + time.Minute)
	before := f.textCount()
	if _, _, err := f.svc.CheckPassword(ctx, admin, "alice", []byte("correct horse")); err != nil {
		t.Fatal(err) // the enrol site's or the desk's sign-in
	}
	if got := stateOf(t, f, "alice"); !got.sms {
		t.Fatalf("the number did not take over: %+v", got)
	}
	if got := f.textCount() - before; got != 1 {
		t.Fatalf("%d texts when the number took over, want the passcode for the next logon", got)
	}
	if _, err := f.svc.Login(ctx, admin, "alice", []byte("correct horse"), f.lastText(t, phone)); err != nil {
		t.Errorf("the one-form logon with the pre-loaded passcode: %v", err)
	}
}

// A pre-loaded passcode used to sign in to the enrol site (an enrolment's
// passcode) is followed by the next, as after every use of an SMS
// passcode: a user who signs in there and leaves without enrolling
// anything still has the passcode for their next one-form logon.
func TestPreloadNextAfterAnEnrolSiteSignIn(t *testing.T) {
	ctx := context.Background()
	f := preloaded(t, account.SMSBoth)
	before := f.textCount()
	if _, err := f.svc.CheckEnrolPasscode(ctx, admin, passwordOf(t, f, "carol"), f.lastText(t, carolsPhone)); err != nil {
		t.Fatalf("the enrol site's sign-in with the pre-loaded passcode: %v", err)
	}
	if got := f.textCount() - before; got != 1 {
		t.Errorf("%d texts after the pre-loaded passcode was used, want the next one", got)
	}
	if _, err := f.oneForm(f.lastText(t, carolsPhone)); err != nil {
		t.Errorf("the next one-form logon: %v", err)
	}
}

// An administrator who asks for an SMS user and a new token at once is
// refused: the token would win, with an audit record and a notice saying
// passcodes go by SMS, and no passcode sent.
func TestPreloadAdminSMSAndTokenAtOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, texting)
	phone := "+447700900333"
	if _, err := f.svc.UpdateProfile(ctx, admin, account.ByAdmin("alice"), account.Profile{Phone: &phone, SMS: true, NewSeed: true}); !errors.Is(err, account.ErrNotAllowed) {
		t.Errorf("--sms with --new-seed: %v, want %v", err, account.ErrNotAllowed)
	}
	if got, want := stateOf(t, f, "alice"), (userState{active: true, twoFAs: true, serial: f.tok.Serial}); got != want {
		t.Errorf("alice after: %+v, want %+v (unchanged)", got, want)
	}
}
