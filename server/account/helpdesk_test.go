package account_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// deskGrant is alice's grant at the self-help desk: her password and the
// right answer to the question drawn. She chooses her answers first if
// she has none.
func deskGrant(t *testing.T, f *fixture) account.Grant {
	t.Helper()
	ctx := context.Background()
	if need, err := f.svc.NeedsAnswers(ctx, f.password(t)); err != nil {
		t.Fatal(err)
	} else if need {
		f.tick()
		if err := f.svc.SaveAnswers(ctx, admin, signedIn(t, f, f.svc), map[int]string{1: "Springfield", 2: "Rex"}); err != nil {
			t.Fatal(err)
		}
	}
	g := f.password(t)
	q, err := f.svc.QuestionFor(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if g, err = f.svc.CheckAnswer(ctx, admin, g, q.ID, map[int]string{1: "Springfield", 2: "Rex"}[q.ID]); err != nil {
		t.Fatal(err)
	}
	return g
}

// The help desk's question is drawn from the user's answers and stays
// the same until it is answered right: asking again gives no choice of
// question. A user without answers has no question.
func TestHelpdeskQuestion(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if _, err := f.svc.QuestionFor(ctx, f.password(t)); !errors.Is(err, account.ErrNoQuestions) {
		t.Errorf("before any answers: %v, want %v", err, account.ErrNoQuestions)
	}
	deskGrant(t, f) // chooses the answers
	g := f.password(t)
	first, err := f.svc.QuestionFor(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if first.ID != 1 && first.ID != 2 || first.Text != account.Questions[first.ID] {
		t.Fatalf("question %+v, want one of alice's", first)
	}
	for range 2 {
		if _, err := f.svc.CheckAnswer(ctx, admin, g, first.ID, "wrong"); !errors.Is(err, account.ErrWrongAnswer) {
			t.Fatal(err)
		}
		again, err := f.svc.QuestionFor(ctx, f.password(t))
		if err != nil || again.ID != first.ID {
			t.Fatalf("asked again after a wrong answer: question %d, then %d (%v)", first.ID, again.ID, err)
		}
	}
	other := 3 - first.ID
	if _, err := f.svc.Unlock(ctx, admin, account.ByAdmin("alice")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CheckAnswer(ctx, admin, f.password(t), other, map[int]string{1: "Springfield", 2: "Rex"}[other]); !errors.Is(err, account.ErrWrongAnswer) {
		t.Errorf("the right answer to the question not drawn: %v, want %v", err, account.ErrWrongAnswer)
	}
}

// A temporary passcode from the help desk is a temporary passcode under
// the 30-day rule it shares with the administrators' and the desk's new
// numbers.
func TestHelpdeskTempPasscode(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	g := deskGrant(t, f)
	asked := f.now
	res, err := f.svc.Helpdesk(ctx, admin, g, account.HelpdeskRequest{Days: 3, MaxDays: 7})
	if err != nil {
		t.Fatal(err)
	}
	if res.Temp == nil || res.ConfirmTo != "" || res.Phone != "" {
		t.Fatalf("result %+v, want a temporary passcode alone", res)
	}
	if got, want := res.Temp.Expires, f.now.Add(3*24*time.Hour); !got.Equal(want) {
		t.Errorf("expires %v, want %v", got, want)
	}
	if g, err := f.svc.CheckPasscode(ctx, admin, f.password(t), res.Temp.Code); err != nil || g.Proof != account.ProofTemporary {
		t.Errorf("the desk's passcode: %v, %v", g.Proof, err)
	}
	f.now = f.now.Add(24 * time.Hour)
	for _, tc := range []struct {
		name string
		do   func() error
	}{
		{"the desk again", func() error {
			_, err := f.svc.Helpdesk(ctx, admin, deskGrant(t, f), account.HelpdeskRequest{Days: 1, MaxDays: 7})
			return err
		}},
		{"an administrator", func() error {
			_, err := f.svc.IssueTempPasscode(ctx, admin, account.ByAdmin("alice"), 1, 7)
			return err
		}},
		{"a new number at the desk", func() error {
			_, err := f.svc.Helpdesk(ctx, admin, deskGrant(t, f), account.HelpdeskRequest{Phone: "+447700900123", MaxDays: 7})
			return err
		}},
	} {
		soon, ok := errors.AsType[*account.TooSoonError](tc.do())
		if !ok {
			t.Errorf("%s the next day: not too soon", tc.name)
			continue
		}
		if !soon.Issued.Equal(asked) || !soon.Next.Equal(asked.Add(account.TempPasscodeInterval)) {
			t.Errorf("%s the next day: issued %v, next %v; want %v and 30 days on", tc.name, soon.Issued, soon.Next, asked)
		}
	}
}

// The desk's requests are checked before anything is done.
func TestHelpdeskRequestChecks(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		r    account.HelpdeskRequest
		want error
	}{
		{"too many days", account.HelpdeskRequest{Days: 8, MaxDays: 7}, account.ErrBadDays},
		{"negative days", account.HelpdeskRequest{Days: -1, MaxDays: 7}, account.ErrBadDays},
		{"no mobile number", account.HelpdeskRequest{Phone: "call me", MaxDays: 7}, account.ErrBadPhone},
		{"a bad number and days", account.HelpdeskRequest{Phone: "12", Days: 1, MaxDays: 7}, account.ErrBadPhone},
	} {
		f := newFixture(t, texting)
		if _, err := f.svc.Helpdesk(ctx, admin, deskGrant(t, f), tc.r); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if _, err := f.svc.IssueTempPasscode(ctx, admin, account.ByAdmin("alice"), 1, 7); err != nil {
			t.Errorf("%s counted for the 30-day rule: %v", tc.name, err)
		}
		if got := f.textCount(); got != 0 {
			t.Errorf("%s: %d texts sent", tc.name, got)
		}
	}
}

// A new number from the desk is only sent a code; the code confirms it
// (a wrong one is a failure), and then it waits for the cooling-off, the
// temporary passcode asked with it issued at once; from then the 30-day
// rule holds.
func TestHelpdeskNewNumber(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, texting)
	g := deskGrant(t, f)
	r := account.HelpdeskRequest{Phone: "+44 7700 900123", Days: 2, MaxDays: 7}
	res, err := f.svc.Helpdesk(ctx, admin, g, r)
	if err != nil {
		t.Fatal(err)
	}
	if res.ConfirmTo != "+44…123" || res.Temp != nil {
		t.Fatalf("result %+v, want a code sent to the number and nothing else", res)
	}
	if _, err := f.svc.IssueTempPasscode(ctx, admin, account.ByAdmin("alice"), 1, 7); err != nil {
		t.Errorf("a code sent counted for the 30-day rule: %v", err)
	}
	f.now = f.now.Add(account.TempPasscodeInterval)
	g = deskGrant(t, f)
	if _, err := f.svc.Helpdesk(ctx, admin, g, r); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ConfirmHelpdesk(ctx, admin, g, "000000", r); !errors.Is(err, account.ErrInvalidCode) {
		t.Errorf("a wrong code: %v", err)
	}
	if got := stateOf(t, f, "alice").failures; got != 1 {
		t.Errorf("failures after a wrong code: %d, want 1", got)
	}
	confirmed := f.now
	res, err = f.svc.ConfirmHelpdesk(ctx, admin, g, f.lastText(t, "+447700900123"), r)
	if err != nil {
		t.Fatal(err)
	}
	if res.Phone != "+44…123" || !res.Waits.Equal(confirmed.Add(account.DefaultCoolingOff)) || res.Temp == nil {
		t.Errorf("result %+v, want the number waiting a day and a temporary passcode", res)
	}
	if got := stateOf(t, f, "alice"); got.sms || got.serial != f.tok.Serial {
		t.Errorf("alice while the number waits: %+v, want her token still", got)
	}
	if _, err := f.svc.IssueTempPasscode(ctx, admin, account.ByAdmin("alice"), 1, 7); !errors.Is(err, account.ErrTooSoon) {
		t.Errorf("a temporary passcode after the desk's new number: %v, want %v", err, account.ErrTooSoon)
	}
}
