package account_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"testing"

	"github.com/softtoken/softtoken/server/account"
)

// deskUser makes bob, with an e-mail address, a token and two security
// answers, and takes him through the self-help desk to a temporary
// passcode. It returns the passcode.
func deskUser(t *testing.T, f *fixture) string {
	t.Helper()
	ctx := context.Background()
	c, err := f.svc.CreateUser(ctx, admin, nil, account.NewUser{UserID: "bob", Password: []byte("bob's password"), Email: "bob@example.com",
		Use2FA: true, Seed: true, OwnPassword: true})
	if err != nil {
		t.Fatal(err)
	}
	g, _, err := f.svc.CheckPassword(ctx, admin, "bob", []byte("bob's password"))
	if err != nil {
		t.Fatal(err)
	}
	code, _ := c.Token.Code(f.now)
	if g, err = f.svc.CheckPasscode(ctx, admin, g, code); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SaveAnswers(ctx, admin, g, map[int]string{1: "Springfield", 2: "Rex"}); err != nil {
		t.Fatal(err)
	}
	g, _, err = f.svc.CheckPassword(ctx, admin, "bob", []byte("bob's password"))
	if err != nil {
		t.Fatal(err)
	}
	q, err := f.svc.QuestionFor(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if g, err = f.svc.CheckAnswer(ctx, admin, g, q.ID, map[int]string{1: "Springfield", 2: "Rex"}[q.ID]); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.Helpdesk(ctx, admin, g, account.HelpdeskRequest{Days: 2, MaxDays: 7})
	if err != nil {
		t.Fatal(err)
	}
	return res.Temp.Code
}

var caseLink = regexp.MustCompile(`https://desk\.example/sechelpdesk/notme\?c=(\S+)`)

// caseSecret is the secret of the newest help desk link mailed.
func caseSecret(t *testing.T, f *fixture) string {
	t.Helper()
	var secret string
	for _, m := range f.mailed() {
		if l := caseLink.FindStringSubmatch(m.Body); l != nil {
			secret, _ = url.QueryUnescape(l[1])
		}
	}
	if secret == "" {
		t.Fatal("no help desk link was mailed")
	}
	return secret
}

// enrolWith enrols a new token for bob signed in with passcode.
func enrolWith(t *testing.T, f *fixture, svc *account.Service, passcode string) *account.Enrolment {
	t.Helper()
	ctx := context.Background()
	g, _, err := svc.CheckPassword(ctx, admin, "bob", []byte("bob's password"))
	if err != nil {
		t.Fatal(err)
	}
	if g, err = svc.CheckEnrolPasscode(ctx, admin, g, passcode); err != nil {
		t.Fatal(err)
	}
	e, err := svc.NewEnrolment(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := e.Token.Code(f.now)
	if _, err := svc.CompleteEnrolment(ctx, admin, e, code); err != nil {
		t.Fatal(err)
	}
	return e
}

// A "this was not me" and a confirmation of the same case at once, on two
// nodes: whichever commits first, the account ends locked for an
// administrator, and the token that waited never took over with the lock
// cleared (a confirmation that read the case before the lock used to
// clear it, as every enrolment clears the failures).
func TestDeskNotMeHoldsAgainstARacingConfirmation(t *testing.T) {
	onEach(t, testDeskNotMeHoldsAgainstARacingConfirmation)
}

func testDeskNotMeHoldsAgainstARacingConfirmation(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	temp := deskUser(t, f)
	e := enrolWith(t, f, f.svc, temp)
	if e.Waits().IsZero() {
		t.Fatal("the token enrolled with the desk's passcode does not wait")
	}
	secret := caseSecret(t, f)
	shown, err := f.svc.LookUpDeskCase(ctx, secret)
	if err != nil || shown.Serial != e.Token.Serial {
		t.Fatalf("the case page shows %+v (%v), want the token %s", shown, err, e.Token.Serial)
	}
	nodeB, p := secondNode(t, f)
	errB, errA := interleave(t, p,
		func() error { return nodeB.DeskNotMe(ctx, admin, secret) },
		func() error { return f.svc.ConfirmDeskChange(ctx, admin, secret, shown.Waiting) })
	if errB != nil || errA != nil && !errors.Is(errA, account.ErrNoDeskCase) {
		t.Fatalf("not me: %v; confirmation: %v", errB, errA)
	}
	if v, err := f.svc.User(ctx, account.CommandLine, "bob"); err != nil || !v.Locked {
		t.Errorf("after \"not me\" and a racing confirmation bob is not locked: %+v %v", v, err)
	}
	if _, _, err := f.svc.CheckPassword(ctx, admin, "bob", []byte("bob's password")); !errors.Is(err, account.ErrLocked) {
		t.Errorf("sign-in after \"not me\": %v", err)
	}
}

// A token that waited takes over at the user's first sign-in after the
// cooling-off, on the row as it is then: its code works, the desk's
// passcode no longer does; a second confirmation finds nothing to do.
func TestDeskCoolingOffTakesOverAtSignIn(t *testing.T) {
	onEach(t, testDeskCoolingOffTakesOverAtSignIn)
}

func testDeskCoolingOffTakesOverAtSignIn(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	temp := deskUser(t, f)
	e := enrolWith(t, f, f.svc, temp)
	f.now = e.Waits()
	g, _, err := f.svc.CheckPassword(ctx, admin, "bob", []byte("bob's password"))
	if err != nil {
		t.Fatal(err)
	}
	code, _ := e.Token.Code(f.now)
	if _, err := f.svc.CheckPasscode(ctx, admin, g, code); err != nil {
		t.Errorf("the new token after the cooling-off: %v", err)
	}
	if g, _, err = f.svc.CheckPassword(ctx, admin, "bob", []byte("bob's password")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CheckPasscode(ctx, admin, g, temp); !errors.Is(err, account.ErrInvalidCode) {
		t.Errorf("the desk's passcode after the token took over: %v", err)
	}
	if err := f.svc.ConfirmDeskChange(ctx, admin, caseSecret(t, f), ""); err != nil {
		t.Errorf("a confirmation after the token took over: %v", err)
	}
}
