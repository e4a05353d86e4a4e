package account_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// One temporary passcode in 30 days: a second one is refused until 30
// days after the first, with the dates the user needs in the refusal.
func TestTempPasscodeThirtyDayRule(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		after time.Duration
		soon  bool
	}{
		{"at once", 0, true},
		{"the next day", 24 * time.Hour, true},
		{"a second short of 30 days", account.TempPasscodeInterval - time.Second, true},
		{"30 days on", account.TempPasscodeInterval, false},
		{"a year on", 365 * 24 * time.Hour, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			first := f.now
			if _, err := f.svc.IssueTempPasscode(ctx, admin, account.ByAdmin("alice"), 2, 7); err != nil {
				t.Fatal(err)
			}
			f.now = f.now.Add(tc.after)
			_, err := f.svc.IssueTempPasscode(ctx, admin, account.ByAdmin("alice"), 2, 7)
			if !tc.soon {
				if err != nil {
					t.Errorf("got %v, want a passcode", err)
				}
				return
			}
			soon, ok := errors.AsType[*account.TooSoonError](err)
			if !ok || !errors.Is(err, account.ErrTooSoon) {
				t.Fatalf("got %v, want a *TooSoonError", err)
			}
			if got, want := soon.Issued, first; !got.Equal(want) {
				t.Errorf("issued %v, want %v", got, want)
			}
			if got, want := soon.Next, first.Add(account.TempPasscodeInterval); !got.Equal(want) {
				t.Errorf("next %v, want %v", got, want)
			}
			if code, _ := account.CodeOf(err); code != account.CodeTooSoon {
				t.Errorf("code %q, want %q", code, account.CodeTooSoon)
			}
		})
	}
}

// A temporary passcode is valid for 1 to the maximum number of days; a
// request outside that is refused and does not count for the 30-day rule.
func TestTempPasscodeDays(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		days, max int
		want      error
	}{
		{-1, 7, account.ErrBadDays},
		{0, 7, account.ErrBadDays},
		{1, 7, nil},
		{7, 7, nil},
		{8, 7, account.ErrBadDays},
		{3, 2, account.ErrBadDays},
	} {
		f := newFixture(t)
		temp, err := f.svc.IssueTempPasscode(ctx, admin, account.ByAdmin("alice"), tc.days, tc.max)
		if !errors.Is(err, tc.want) {
			t.Errorf("%d days of at most %d: %v, want %v", tc.days, tc.max, err, tc.want)
			continue
		}
		if err != nil {
			if _, err := f.svc.IssueTempPasscode(ctx, admin, account.ByAdmin("alice"), 1, 7); err != nil {
				t.Errorf("after a refused request of %d days: %v", tc.days, err)
			}
			continue
		}
		if got, want := temp.Expires, f.now.Add(time.Duration(tc.days)*24*time.Hour); !got.Equal(want) {
			t.Errorf("%d days: expires %v, want %v", tc.days, got, want)
		}
		if got, want := len(temp.Code), account.TempPasscodeDigits; got != want {
			t.Errorf("%d digits, want %d", got, want)
		}
	}
}

// A temporary passcode signs in as often as needed until it expires,
// and not after; it is no token passcode: the enrolment's own check takes
// it, the One Swipe sign-in does not.
func TestTempPasscodeValidity(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	temp, err := f.svc.IssueTempPasscode(ctx, admin, account.ByAdmin("alice"), 2, 7)
	if err != nil {
		t.Fatal(err)
	}
	issued := f.now
	for _, tc := range []struct {
		name  string
		at    time.Duration
		check func(g account.Grant) (account.Grant, error)
		want  error
	}{
		{"at once", 0, func(g account.Grant) (account.Grant, error) { return f.svc.CheckPasscode(ctx, admin, g, temp.Code) }, nil},
		{"again", time.Minute, func(g account.Grant) (account.Grant, error) { return f.svc.CheckPasscode(ctx, admin, g, temp.Code) }, nil},
		{"with spaces", time.Hour, func(g account.Grant) (account.Grant, error) {
			return f.svc.CheckPasscode(ctx, admin, g, " "+temp.Code[:4]+" "+temp.Code[4:])
		}, nil},
		{"to enrol", 24 * time.Hour, func(g account.Grant) (account.Grant, error) {
			return f.svc.CheckEnrolPasscode(ctx, admin, g, temp.Code)
		}, nil},
		{"as a One Swipe sign-in", 24 * time.Hour, func(g account.Grant) (account.Grant, error) {
			return f.svc.CheckOneSwipeSignIn(ctx, admin, g, f.tok.Serial, temp.Code)
		}, account.ErrInvalidCode},
		{"a minute before it expires", 47*time.Hour + 59*time.Minute, func(g account.Grant) (account.Grant, error) {
			return f.svc.CheckPasscode(ctx, admin, g, temp.Code)
		}, nil},
		{"when it expires", 48 * time.Hour, func(g account.Grant) (account.Grant, error) {
			return f.svc.CheckPasscode(ctx, admin, g, temp.Code)
		}, account.ErrInvalidCode},
	} {
		f.now = issued.Add(tc.at)
		g, err := tc.check(f.password(t))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if err == nil && g.Proof != account.ProofTemporary {
			t.Errorf("%s: proof %v, want %v", tc.name, g.Proof, account.ProofTemporary)
		}
	}
}

// A temporary passcode ends with a completed enrolment (the user has a
// token again) and with the next one issued (by an override).
func TestTempPasscodeRevoked(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		end  func(t *testing.T, f *fixture, g account.Grant)
	}{
		{"an enrolment", func(t *testing.T, f *fixture, g account.Grant) {
			e, err := f.svc.NewEnrolment(ctx, g)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.CompleteEnrolment(ctx, admin, e, enrolCode(t, f, e)); err != nil {
				t.Fatal(err)
			}
		}},
		{"the next one", func(t *testing.T, f *fixture, _ account.Grant) {
			if _, err := f.svc.IssueTempPasscodeOverride(ctx, admin, account.ByAdmin("alice"), 1, 7, "lost it"); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			temp, err := f.svc.IssueTempPasscode(ctx, admin, account.ByAdmin("alice"), 2, 7)
			if err != nil {
				t.Fatal(err)
			}
			g, err := f.svc.CheckPasscode(ctx, admin, f.password(t), temp.Code)
			if err != nil {
				t.Fatal(err)
			}
			tc.end(t, f, g)
			if _, err := f.svc.CheckPasscode(ctx, admin, f.password(t), temp.Code); !errors.Is(err, account.ErrInvalidCode) {
				t.Errorf("the temporary passcode after %s: %v", tc.name, err)
			}
		})
	}
}

// The user is told of a temporary passcode by mail at the address on
// file (never the passcode itself); one without an address is not, and
// the result says so.
func TestTempPasscodeNotice(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	addUser(t, f, account.NewUser{UserID: "bob", Email: "bob@example.com", Use2FA: true, Seed: true})
	for _, tc := range []struct {
		userID, notice, to string
	}{
		{"bob", "sent to bob@example.com", "bob@example.com"},
		{"alice", "not sent: the user has no e-mail address", ""},
	} {
		before := len(f.mailed())
		temp, err := f.svc.IssueTempPasscode(ctx, admin, account.ByAdmin(tc.userID), 2, 7)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := temp.Notice, tc.notice; got != want {
			t.Errorf("%s: notice %q, want %q", tc.userID, got, want)
		}
		mails := f.mailed()[before:]
		if tc.to == "" {
			if len(mails) != 0 {
				t.Errorf("%s: mailed %+v", tc.userID, mails)
			}
			continue
		}
		if len(mails) != 1 || mails[0].To != tc.to {
			t.Fatalf("%s: mailed %+v", tc.userID, mails)
		}
		if strings.Contains(mails[0].Body, temp.Code) || strings.Contains(mails[0].Subject, temp.Code) {
			t.Errorf("%s: the notice holds the passcode", tc.userID)
		}
	}
}
