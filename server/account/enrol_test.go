package account_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// newcomer makes bob, who has the welcome mail's initial passcode and no
// token yet; it returns the passcode.
func newcomer(t *testing.T, f *fixture) string {
	t.Helper()
	return addUser(t, f, account.NewUser{UserID: "bob", Use2FA: true, InitialPasscode: true}).InitialPasscode
}

// The welcome mail's initial passcode enrols (and only enrols) for 30
// days; a right one past that is told apart but counts as a failure.
func TestInitialPasscode(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		after    time.Duration
		enrol    bool
		wrong    bool
		want     error
		failures int
	}{
		{"to enrol, at once", 0, true, false, nil, 0},
		{"to enrol, a second before it expires", account.InitialPasscodeValidity - time.Second, true, false, nil, 0},
		{"to enrol, when it expires", account.InitialPasscodeValidity, true, false, account.ErrPasscodeExpired, 1},
		{"to log in", 0, false, false, account.ErrInvalidCode, 1},
		{"a wrong one to enrol", 0, true, true, account.ErrInvalidCode, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			code := newcomer(t, f)
			if tc.wrong {
				code = "000000"
			}
			f.now = f.now.Add(tc.after)
			check := f.svc.CheckPasscode
			if tc.enrol {
				check = f.svc.CheckEnrolPasscode
			}
			g, err := check(ctx, admin, passwordOf(t, f, "bob"), code)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err == nil && g.Proof != account.ProofInitial {
				t.Errorf("proof %v, want %v", g.Proof, account.ProofInitial)
			}
			if got := stateOf(t, f, "bob").failures; got != tc.failures {
				t.Errorf("failures %d, want %d", got, tc.failures)
			}
		})
	}
}

// enrol completes an enrolment on g and returns it.
func enrol(t *testing.T, f *fixture, g account.Grant) (*account.Enrolment, account.Grant) {
	t.Helper()
	ctx := context.Background()
	e, err := f.svc.NewEnrolment(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	ng, err := f.svc.CompleteEnrolment(ctx, admin, e, enrolCode(t, f, e))
	if err != nil {
		t.Fatal(err)
	}
	return e, ng
}

// The initial passcode is spent by the enrolment it began: it enrols no
// second token, and a second enrolment begun with it before cannot
// complete.
func TestInitialPasscodeEnrolsOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	initial := newcomer(t, f)
	g1, err := f.svc.CheckEnrolPasscode(ctx, admin, passwordOf(t, f, "bob"), initial)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := f.svc.CheckEnrolPasscode(ctx, admin, passwordOf(t, f, "bob"), initial)
	if err != nil {
		t.Fatal(err)
	}
	second, err := f.svc.NewEnrolment(ctx, g2)
	if err != nil {
		t.Fatal(err)
	}
	first, ng := enrol(t, f, g1)
	if got, want := ng.Proof, account.ProofToken; got != want {
		t.Errorf("the enrolment's grant proves %v, want %v", got, want)
	}
	if got, want := stateOf(t, f, "bob").serial, first.Token.Serial; got != want {
		t.Errorf("bob's token %q, want %q", got, want)
	}
	if _, err := f.svc.CompleteEnrolment(ctx, admin, second, enrolCode(t, f, second)); !errors.Is(err, account.ErrSignedOut) {
		t.Errorf("the second enrolment begun with the initial passcode: %v", err)
	}
	if _, err := f.svc.CheckEnrolPasscode(ctx, admin, passwordOf(t, f, "bob"), initial); !errors.Is(err, account.ErrInvalidCode) {
		t.Errorf("the initial passcode after the enrolment: %v", err)
	}
	if got, want := stateOf(t, f, "bob").serial, first.Token.Serial; got != want {
		t.Errorf("bob's token after all that %q, want %q", got, want)
	}
}

// An enrolment completes with a code of the new token only (a wrong one
// counts no failure: the seed is the client's own), the new token
// replaces the old at once, and its confirmation code cannot sign in.
func TestEnrolmentReplacesTheToken(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	e, err := f.svc.NewEnrolment(ctx, signedIn(t, f, f.svc))
	if err != nil {
		t.Fatal(err)
	}
	for _, wrong := range []string{"000000", f.code(t, 0), ""} {
		if _, err := f.svc.CompleteEnrolment(ctx, admin, e, wrong); !errors.Is(err, account.ErrInvalidCode) {
			t.Errorf("completed with %q: %v", wrong, err)
		}
	}
	if got := stateOf(t, f, "alice"); got.failures != 0 || got.serial != f.tok.Serial {
		t.Fatalf("after wrong confirmations: %+v", got)
	}
	confirm := enrolCode(t, f, e)
	if _, err := f.svc.CompleteEnrolment(ctx, admin, e, confirm); err != nil {
		t.Fatal(err)
	}
	if got, want := stateOf(t, f, "alice").serial, e.Token.Serial; got != want {
		t.Errorf("alice's token %q, want %q", got, want)
	}
	f.tick()
	for _, tc := range []struct {
		name, code string
		want       error
	}{
		{"the confirmation code", confirm, account.ErrInvalidCode},
		{"the old token's code", f.code(t, 0), account.ErrInvalidCode},
		{"the new token's next code", enrolCode(t, f, e), nil},
	} {
		if _, err := f.svc.CheckPasscode(ctx, admin, f.password(t), tc.code); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// A One Swipe enrolment code signs its user in once, within ten minutes,
// and only them.
func TestOneSwipeCode(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		userID string
		after  time.Duration
		before func(t *testing.T, f *fixture, code string)
		want   error
	}{
		{"at once", "alice", 0, nil, nil},
		{"a second before it expires", "alice", account.EnrolCodeLifetime - time.Second, nil, nil},
		{"when it expires", "alice", account.EnrolCodeLifetime, nil, account.ErrPasscodeExpired},
		{"by another user", "bob", 0, nil, account.ErrInvalidCode},
		{"by nobody", "nobody", 0, nil, account.ErrInvalidCode},
		{"in capitals", "ALICE", 0, nil, nil},
		{"used before", "alice", 0, func(t *testing.T, f *fixture, code string) {
			if _, err := f.svc.UseEnrolCode(ctx, admin, "alice", code); err != nil {
				t.Fatal(err)
			}
		}, account.ErrCodeUsed},
		{"replaced by a newer one", "alice", 0, func(t *testing.T, f *fixture, _ string) {
			f.tick()
			if _, err := f.svc.IssueEnrolCode(ctx, admin, account.ByAdmin("alice"), "https://x/secenrol/"); err != nil {
				t.Fatal(err)
			}
		}, account.ErrInvalidCode},
		{"of a disabled user", "alice", 0, func(t *testing.T, f *fixture, _ string) {
			f.svc.SetActive(ctx, admin, account.ByAdmin("alice"), false)
		}, account.ErrInvalidCode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			addUser(t, f, account.NewUser{UserID: "bob"})
			e, err := f.svc.IssueEnrolCode(ctx, admin, signedIn(t, f, f.svc).Self(), "https://x/secenrol/")
			if err != nil {
				t.Fatal(err)
			}
			if got, want := e.Expires, f.now.Add(account.EnrolCodeLifetime); !got.Equal(want) {
				t.Errorf("expires %v, want %v", got, want)
			}
			if tc.before != nil {
				tc.before(t, f, e.Code)
			}
			f.now = f.now.Add(tc.after)
			g, err := f.svc.UseEnrolCode(ctx, admin, tc.userID, e.Code)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err == nil && (g.Proof != account.ProofOneSwipe || g.UserID != "alice") {
				t.Errorf("grant of %s proving %v", g.UserID, g.Proof)
			}
		})
	}
}

// A token set up with what the self-help desk gave waits for the
// cooling-off, however long it is set, before it signs in.
func TestDeskTokenWaitsForTheCoolingOff(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		coolingOff time.Duration
	}{
		{"the default", 0},
		{"two hours", 2 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newService(t, func(c *account.Config) { c.CoolingOff = tc.coolingOff })
			e := enrolWith(t, f, f.svc, deskUser(t, f))
			wait := cmpOr(tc.coolingOff, account.DefaultCoolingOff)
			if got, want := e.Waits(), f.now.Add(wait); !got.Equal(want) {
				t.Fatalf("waits until %v, want %v", got, want)
			}
			for _, step := range []struct {
				at   time.Time
				want error
			}{{e.Waits().Add(-time.Minute), account.ErrInvalidCode}, {e.Waits(), nil}} {
				f.now = step.at
				code, _ := e.Token.Code(f.now)
				g, _, err := f.svc.CheckPassword(ctx, admin, "bob", []byte("bob's password"))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.svc.CheckPasscode(ctx, admin, g, code); !errors.Is(err, step.want) {
					t.Errorf("the new token at %v: %v, want %v", step.at.Sub(e.Waits()), err, step.want)
				}
			}
		})
	}
}

// Security answers are two different questions of the list, each answer
// 2 to 200 characters; until they are saved the user is asked for them.
func TestSecurityAnswers(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		answers map[int]string
		want    error
	}{
		{"none", map[int]string{}, account.ErrBadAnswers},
		{"one", map[int]string{1: "Springfield"}, account.ErrBadAnswers},
		{"three", map[int]string{1: "Springfield", 2: "Rex", 3: "Blue"}, account.ErrBadAnswers},
		{"a question not on the list", map[int]string{1: "Springfield", 99: "Rex"}, account.ErrBadAnswers},
		{"question zero", map[int]string{0: "Springfield", 2: "Rex"}, account.ErrBadAnswers},
		{"an answer of one letter", map[int]string{1: "S", 2: "Rex"}, account.ErrBadAnswers},
		{"an answer of spaces", map[int]string{1: "   ", 2: "Rex"}, account.ErrBadAnswers},
		{"two good ones", map[int]string{1: "Springfield", 2: "Rex"}, nil},
	} {
		f := newFixture(t)
		g := signedIn(t, f, f.svc)
		if need, err := f.svc.NeedsAnswers(ctx, g); err != nil || !need {
			t.Fatalf("before: needs answers %v, %v", need, err)
		}
		if err := f.svc.SaveAnswers(ctx, admin, g, tc.answers); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if need, _ := f.svc.NeedsAnswers(ctx, g); need != (tc.want != nil) {
			t.Errorf("%s: needs answers after: %v", tc.name, need)
		}
	}
}

// Answers compare as people mean them: case and spacing do not matter,
// the words do.
func TestSecurityAnswerComparison(t *testing.T) {
	ctx := context.Background()
	f := withAnswers(t)
	for _, tc := range []struct {
		name   string
		answer func(right string) string
		want   error
	}{
		{"in small letters", strings.ToLower, nil},
		{"in capitals, spaced", func(a string) string { return "  " + strings.ToUpper(a) + " " }, nil},
		{"split in two", func(a string) string { return a[:2] + " " + a[2:] }, account.ErrWrongAnswer},
		{"another word", func(a string) string { return a + "s" }, account.ErrWrongAnswer},
	} {
		g := f.password(t)
		q, err := f.svc.QuestionFor(ctx, g)
		if err != nil {
			t.Fatal(err)
		}
		right := map[int]string{1: "Springfield", 2: "Rex"}[q.ID]
		if _, err := f.svc.CheckAnswer(ctx, admin, g, q.ID, tc.answer(right)); !errors.Is(err, tc.want) {
			t.Errorf("%s (%q): %v, want %v", tc.name, tc.answer(right), err, tc.want)
		}
	}
}

// Users who let the welcome mail's passcode expire without enrolling are
// disabled; nobody else is.
func TestDisableUnenrolled(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	newcomer(t, f)
	addUser(t, f, account.NewUser{UserID: "carol", Use2FA: true, InitialPasscode: true})
	carol, err := f.svc.CheckEnrolPasscode(ctx, admin, passwordOf(t, f, "carol"), addUser(t, f, account.NewUser{UserID: "dave", InitialPasscode: true}).InitialPasscode)
	if err == nil {
		t.Fatalf("dave's passcode enrolled carol: %+v", carol)
	}
	f.now = f.now.Add(account.InitialPasscodeValidity)
	if ids, err := f.svc.DisableUnenrolled(ctx); err != nil || len(ids) != 0 {
		t.Fatalf("when the passcodes expire: %v, %v", ids, err)
	}
	f.now = f.now.Add(time.Second)
	ids, err := f.svc.DisableUnenrolled(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	if got, want := ids, []string{"bob", "carol", "dave"}; !slices.Equal(got, want) {
		t.Errorf("disabled %v, want %v (alice has a token)", got, want)
	}
	for userID, active := range map[string]bool{"alice": true, "bob": false} {
		if got := stateOf(t, f, userID).active; got != active {
			t.Errorf("%s active %v, want %v", userID, got, active)
		}
	}
	if got := len(events(t, f, "bob", "disable unenrolled")); got != 1 {
		t.Errorf("bob's disable audited %d times, want once", got)
	}
}
