package account_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// An enrolment begins with a One Swipe code, or the password and a
// passcode (the initial one included), in one call: each proof's failure
// is its own, and a user with no security questions yet must answer them
// before the new token can be confirmed.
func TestBeginEnrolment(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c, err := f.svc.CreateUser(ctx, admin, nil, account.NewUser{UserID: "bob", Password: []byte("bob's password"), InitialPasscode: true})
	if err != nil {
		t.Fatal(err)
	}
	swipe, err := f.svc.IssueEnrolCode(ctx, admin, account.ByAdmin("alice"), "https://enrol.example/")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		user      string
		proof     account.EnrolProof
		want      error
		questions bool
	}{
		{"wrong password", "bob", account.EnrolProof{Password: []byte("wrong"), Passcode: c.InitialPasscode}, account.ErrInvalidLogin, false},
		{"right password, wrong passcode", "bob", account.EnrolProof{Password: []byte("bob's password"), Passcode: "00000000"}, account.ErrInvalidCode, false},
		{"password alone", "bob", account.EnrolProof{Password: []byte("bob's password")}, account.ErrInvalidCode, false},
		{"initial passcode", "bob", account.EnrolProof{Password: []byte("bob's password"), Passcode: c.InitialPasscode}, nil, true},
		{"a code of the token", "alice", account.EnrolProof{Password: []byte("correct horse"), Passcode: f.code(t, 0)}, nil, true},
		{"one swipe code", "alice", account.EnrolProof{OneSwipe: swipe.Code}, nil, true},
		{"one swipe code again", "alice", account.EnrolProof{OneSwipe: swipe.Code}, account.ErrCodeUsed, false},
	}
	for _, tc := range tests {
		e, err := f.svc.BeginEnrolment(ctx, admin, tc.user, tc.proof)
		if !errors.Is(err, tc.want) || (err == nil) != (e != nil) {
			t.Errorf("%s: BeginEnrolment = %v, %v; want %v", tc.name, e, err, tc.want)
			continue
		}
		if e == nil {
			continue
		}
		if e.NeedsAnswers() != tc.questions || e.UserID() != tc.user || e.Token.Secret.Base32() == "" {
			t.Errorf("%s: enrolment of %q asks questions %v, want of %q asking %v", tc.name, e.UserID(), e.NeedsAnswers(), tc.user, tc.questions)
		}
	}
}

// Answers given, the enrolment no longer waits for them and completes
// with a code of the new token; an enrolment that needed none never did.
func TestBeginEnrolmentAnswers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	e, err := f.svc.BeginEnrolment(ctx, admin, "alice", account.EnrolProof{Password: []byte("correct horse"), Passcode: f.code(t, 0)})
	if err != nil || !e.NeedsAnswers() {
		t.Fatalf("BeginEnrolment = %v, %v; want one needing answers", e, err)
	}
	if err := f.svc.SetAnswers(ctx, e, map[int]string{1: "only one"}); !errors.Is(err, account.ErrBadAnswers) || !e.NeedsAnswers() {
		t.Fatalf("one answer: %v, needs answers %v; want ErrBadAnswers and still needing them", err, e.NeedsAnswers())
	}
	if err := f.svc.SetAnswers(ctx, e, map[int]string{1: "Springfield", 2: "Rex"}); err != nil || e.NeedsAnswers() {
		t.Fatalf("two answers: %v, needs answers %v", err, e.NeedsAnswers())
	}
	code, err := e.Token.Code(f.now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CompleteEnrolment(ctx, admin, e, code); err != nil {
		t.Fatalf("CompleteEnrolment: %v", err)
	}
	f.now = f.now.Add(time.Minute)
	if code, err = e.Token.Code(f.now); err != nil {
		t.Fatal(err)
	}
	again, err := f.svc.BeginEnrolment(ctx, admin, "alice", account.EnrolProof{Password: []byte("correct horse"), Passcode: code})
	if err != nil || again.NeedsAnswers() {
		t.Fatalf("second enrolment = %v, %v; want one needing no answers", again, err)
	}
}
