package account_test

// Attacks on issue #24 (operators of a console and keys of an admin API
// acting through the rules): each test failed before the fix committed
// with it, and passes on both databases now.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/mail"
)

// wsAdmin is a websocket service account that may manage users, signed
// in with its password alone from its own network, as the websocket
// signs it in.
func wsAdmin(t *testing.T, f *fixture, userID string) account.Grant {
	t.Helper()
	ctx := context.Background()
	if _, err := f.svc.CreateUser(ctx, admin, nil, account.NewUser{UserID: userID, Password: []byte(userID + " password"), Admin: true,
		Service: true, Limits: account.ServiceLimits{Scopes: []account.Scope{account.ScopeManage}}}); err != nil {
		t.Fatal(err)
	}
	g, _, err := f.svc.CheckPassword(ctx, fromPortal, userID, []byte(userID+" password"))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// fromPortal is a web back-end on the server's own host.
var fromPortal = account.Origin{Client: "127.0.0.1:40000", Via: "websocket"}

// A service account is no person: it never holds a console role, so its
// password alone (it has no second factor) never signs anyone in to the
// console. Were it an operator, it could give itself a token over the
// websocket (adduser of itself with a new seed) and sign in with it.
func TestServiceAccountIsNeverAnOperator(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	r := account.RoleAdmin
	_, err := f.svc.CreateUser(ctx, admin, nil, account.NewUser{UserID: "portal", Password: []byte("portal password"), Admin: true,
		Service: true, Limits: account.ServiceLimits{Scopes: []account.Scope{account.ScopeManage}}, ConsoleRole: r})
	if !errors.Is(err, account.ErrNotAllowed) {
		t.Errorf("a service account made an operator: %v", err)
	}
	svc := wsAdmin(t, f, "backend")
	if _, err := f.svc.UpdateProfile(ctx, admin, account.ByAdmin("backend"), account.Profile{ConsoleRole: &r}); !errors.Is(err, account.ErrNotAllowed) {
		t.Errorf("a service account given a console role: %v", err)
	}
	// Whatever the command line let through, the password alone of the
	// service account must not reach the console.
	tok, err := f.svc.UpdateProfile(ctx, fromPortal, svc.For("backend"), account.Profile{NewSeed: true})
	if err != nil || tok == nil {
		return // no token: no way in
	}
	f.tick()
	g, _, err := f.svc.CheckPassword(ctx, fromPortal, "backend", []byte("backend password"))
	if err != nil {
		t.Fatal(err)
	}
	code, _ := tok.Code(f.now)
	if g, err = f.svc.CheckPasscode(ctx, fromPortal, g, code); err != nil {
		return
	}
	if a, err := f.svc.OperatorSignIn(ctx, fromPortal, g); err == nil {
		t.Errorf("a service account's password alone signs in to the console as %s", a)
	}
}

// A websocket administrator never grants a console role, also not with
// a password reset or a password change (whose profile changes go in the
// same transaction): it could otherwise make a user whose password it
// sets (and whose token it makes) an admin of the console.
func TestWebsocketAdministratorGrantsNoRoleWithAPassword(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	svc := wsAdmin(t, f, "backend")
	r := account.RoleAdmin
	if _, err := f.svc.SetPassword(ctx, fromPortal, svc.For("alice"), []byte("chosen by the portal"), account.Profile{ConsoleRole: &r}); !errors.Is(err, account.ErrNotAllowed) {
		t.Errorf("a websocket administrator's password reset grants a role: %v", err)
	}
	addUser(t, f, account.NewUser{UserID: "bob", Seed: true})
	if _, _, err := f.svc.ChangePassword(ctx, fromPortal, svc.For("bob"), []byte("bob password"), []byte("bob's new password"),
		account.Profile{ConsoleRole: &r}); !errors.Is(err, account.ErrNotAllowed) {
		t.Errorf("a websocket administrator's password change grants a role: %v", err)
	}
	for _, userID := range []string{"alice", "bob"} {
		if v, _ := f.svc.User(ctx, account.CommandLine, userID); v.ConsoleRole != "" {
			t.Errorf("%s is an operator of role %s", userID, v.ConsoleRole)
		}
	}
}

// A help-desk operator or key cannot tell an operator or an
// administrator from a user ID nobody has: reading or acting on either
// answers the same (no such user), so probing finds no operator.
func TestHelpdeskCannotProbeForOperators(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	help, _ := operator(t, f, "olga", account.RoleHelpdesk)
	f.tick()
	operator(t, f, "adam", account.RoleAdmin)
	key, err := f.svc.AddAPIKey(ctx, admin, "desk", account.RoleHelpdesk)
	if err != nil {
		t.Fatal(err)
	}
	k, err := f.svc.APIKeyActor(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, by := range []account.Actor{help, k} {
		for _, c := range []struct {
			name string
			do   func(userID string) error
		}{
			{"read", func(id string) error { _, err := f.svc.User(ctx, by, id); return err }},
			{"unlock", func(id string) error { _, err := f.svc.Unlock(ctx, admin, by.For(id)); return err }},
			{"log out", func(id string) error { return f.svc.Logout(ctx, admin, by.For(id)) }},
			{"temporary passcode", func(id string) error { _, err := f.svc.IssueTempPasscode(ctx, admin, by.For(id), 1, 7); return err }},
			{"set a number", func(id string) error { return f.svc.SetPhone(ctx, admin, by.For(id), "+447700900123") }},
			{"delete", func(id string) error { return f.svc.DeleteUser(ctx, admin, by.For(id)) }},
		} {
			ghost, adam := c.do("ghost"), c.do("adam")
			if !errors.Is(ghost, account.ErrNoSuchUser) && !errors.Is(ghost, account.ErrNotAllowed) {
				t.Fatalf("%s: %s of a user nobody has: %v", by, c.name, ghost)
			}
			if errors.Is(ghost, account.ErrNoSuchUser) != errors.Is(adam, account.ErrNoSuchUser) {
				t.Errorf("%s tells an admin from nobody by %s: %v / %v", by, c.name, adam, ghost)
			}
		}
	}
	if v := stateOf(t, f, "adam"); !v.active || v.serial == "" {
		t.Errorf("adam after the probes: %+v", v)
	}
}

// An operator or a key never checks someone's password: a password
// change through an actor (which proves the current password) is refused
// before the password is looked at, so that it is no oracle for the
// passwords of administrators; and a refused reset is refused for the
// role, audited under the actor, whatever the new password.
func TestActorsCheckNoPasswords(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	help, _ := operator(t, f, "olga", account.RoleHelpdesk)
	f.tick()
	audit, _ := operator(t, f, "otto", account.RoleAuditor)
	f.tick()
	operator(t, f, "adam", account.RoleAdmin)
	for _, by := range []account.Actor{help, audit} {
		before := len(events(t, f, "adam", "password"))
		right, wrong := []byte("adam password"), []byte("not adam's password")
		_, _, errRight := f.svc.ChangePassword(ctx, admin, by.For("adam"), right, []byte("a new password"), account.Profile{})
		_, _, errWrong := f.svc.ChangePassword(ctx, admin, by.For("adam"), wrong, []byte("a new password"), account.Profile{})
		if errRight == nil || errors.Is(errRight, account.ErrInvalidLogin) != errors.Is(errWrong, account.ErrInvalidLogin) ||
			errors.Is(errWrong, account.ErrInvalidLogin) {
			t.Errorf("%s checks adam's password: right %v, wrong %v", by, errRight, errWrong)
		}
		if n := len(events(t, f, "adam", "password")); n != before {
			t.Errorf("%s had adam's password checked (%d checks)", by, n-before)
		}
		if _, err := f.svc.SetPassword(ctx, admin, by.For("alice"), []byte("x"), account.Profile{}); !errors.Is(err, account.ErrNotAllowed) {
			t.Errorf("%s resets a password: %v", by, err)
		}
		if e := lastEvent(t, f, "alice", "password reset"); e.Code != account.CodeNotAllowed || !strings.Contains(e.Detail, "by "+by.String()) {
			t.Errorf("audit of %s's refused password reset: %+v", by, e)
		}
		if by.Role() == account.RoleAuditor {
			if _, err := f.svc.IssueTempPasscode(ctx, admin, by.For("alice"), 0, 7); !errors.Is(err, account.ErrNotAllowed) {
				t.Errorf("%s issues a temporary passcode of 0 days: %v", by, err)
			}
		}
		if _, err := f.svc.Reset(ctx, admin, by.For("alice"), []byte("x")); !errors.Is(err, account.ErrNotAllowed) {
			t.Errorf("%s resets alice: %v", by, err)
		}
		if e := lastEvent(t, f, "alice", "user reset"); e.Code != account.CodeNotAllowed || !strings.Contains(e.Detail, "by "+by.String()) {
			t.Errorf("audit of %s's refused reset: %+v", by, e)
		}
	}
}

// A notice that could not be mailed after an operator's temporary
// passcode or password reset is recorded under the operator's name, as
// the change is.
func TestOperatorsMailFailuresNameThem(t *testing.T) {
	ctx := context.Background()
	down := false
	f := newService(t, func(c *account.Config) {
		c.Mail = mail.MailerFunc(func(context.Context, mail.Message) error {
			if down {
				return errors.New("the mail server is down")
			}
			return nil
		})
	})
	help, _ := operator(t, f, "olga", account.RoleHelpdesk)
	addUser(t, f, account.NewUser{UserID: "bob", Seed: true, Email: "bob@example.com"})
	down = true
	if _, err := f.svc.IssueTempPasscode(ctx, admin, help.For("bob"), 1, 7); err != nil {
		t.Fatal(err)
	}
	if e := lastEvent(t, f, "bob", "mail notice"); !strings.Contains(e.Detail, "by helpdesk operator olga") {
		t.Errorf("audit of the failed notice of a temporary passcode: %+v", e)
	}
	down = false
	f.tick()
	boss, _ := operator(t, f, "adam", account.RoleAdmin)
	down = true
	if _, err := f.svc.SetPassword(ctx, admin, boss.For("bob"), []byte("a password for bob"), account.Profile{}); err != nil {
		t.Fatal(err)
	}
	if e := lastEvent(t, f, "bob", "mail notice"); !strings.Contains(e.Detail, "by admin operator adam") {
		t.Errorf("audit of the failed notice of a password reset: %+v", e)
	}
}

// An operator's password and one security answer (things someone close
// to them may know) never become a way into the console: the self-help
// desk gives an operator nothing, so no token or number set up with what
// it gave takes over after the cooling-off and signs them in.
func TestSelfHelpDeskGivesAnOperatorNothing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	pw := []byte("adam password")
	c, err := f.svc.CreateUser(ctx, admin, nil, account.NewUser{UserID: "adam", Password: pw, Email: "adam@example.com",
		Seed: true, OwnPassword: true, ConsoleRole: account.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	g, _, err := f.svc.CheckPassword(ctx, admin, "adam", pw)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := c.Token.Code(f.now)
	if g, err = f.svc.CheckPasscode(ctx, admin, g, code); err != nil {
		t.Fatal(err)
	}
	answers := map[int]string{1: "Springfield", 2: "Rex"}
	if err := f.svc.SaveAnswers(ctx, admin, g, answers); err != nil {
		t.Fatal(err)
	}
	// Someone who knows adam's password and an answer, at the desk.
	desk := account.Origin{Client: "203.0.113.9", Via: "help desk"}
	if g, _, err = f.svc.CheckPassword(ctx, desk, "adam", pw); err != nil {
		t.Fatal(err)
	}
	q, err := f.svc.QuestionFor(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if g, err = f.svc.CheckAnswer(ctx, desk, g, q.ID, answers[q.ID]); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.Helpdesk(ctx, desk, g, account.HelpdeskRequest{Days: 2, MaxDays: 7})
	if !errors.Is(err, account.ErrNotAllowed) {
		t.Errorf("the self-help desk serves an operator: %v", err)
	}
	if err != nil {
		return
	}
	// With the desk's passcode, a token of the attacker's, which takes
	// over after the cooling-off.
	if g, _, err = f.svc.CheckPassword(ctx, desk, "adam", pw); err != nil {
		t.Fatal(err)
	}
	if g, err = f.svc.CheckEnrolPasscode(ctx, desk, g, res.Temp.Code); err != nil {
		t.Fatal(err)
	}
	e, err := f.svc.NewEnrolment(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	code, _ = e.Token.Code(f.now)
	if _, err := f.svc.CompleteEnrolment(ctx, desk, e, code); err != nil {
		t.Fatal(err)
	}
	f.now = e.Waits().Add(time.Minute)
	if g, _, err = f.svc.CheckPassword(ctx, desk, "adam", pw); err != nil {
		t.Fatal(err)
	}
	code, _ = e.Token.Code(f.now)
	if g, err = f.svc.CheckPasscode(ctx, desk, g, code); err != nil {
		t.Fatal(err)
	}
	if a, err := f.svc.OperatorSignIn(ctx, desk, g); err == nil {
		t.Errorf("a password and a security answer sign in to the console as %s", a)
	}
}

// The lock of a user's "this was not me" (someone else had their password
// and an answer) is lifted by an administrator, who then resets what the
// stranger knew: a help-desk operator or key, who cannot reset, cannot
// unlock it either, and so cannot hand the account back to the stranger
// who still knows the password.
func TestHelpdeskDoesNotLiftANotMeLock(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	deskUser(t, f)
	if err := f.svc.DeskNotMe(ctx, admin, caseSecret(t, f)); err != nil {
		t.Fatal(err)
	}
	help, _ := operator(t, f, "olga", account.RoleHelpdesk)
	f.tick()
	boss, _ := operator(t, f, "adam", account.RoleAdmin)
	if _, err := f.svc.Unlock(ctx, admin, help.For("bob")); !errors.Is(err, account.ErrNotAllowed) {
		t.Errorf("a help-desk operator lifts the lock of \"this was not me\": %v", err)
	}
	if !stateOf(t, f, "bob").locked {
		t.Fatal("bob is not locked any more")
	}
	if e := lastEvent(t, f, "bob", "user unlock"); e.Code != account.CodeNotAllowed || !strings.Contains(e.Detail, "by helpdesk operator olga") {
		t.Errorf("audit of the refused unlock: %+v", e)
	}
	if _, err := f.svc.Unlock(ctx, admin, boss.For("bob")); err != nil {
		t.Errorf("an admin operator lifts the lock of \"this was not me\": %v", err)
	}
}

// A websocket administrator who is also an operator of the console does
// not change their own account over the websocket either: signed in
// there with their password alone (a site without the second factor),
// they could otherwise make themselves a token and sign in to the
// console with it.
func TestWebsocketAdministratorDoesNotChangeTheirOwnOperatorAccount(t *testing.T) {
	ctx := context.Background()
	f := newService(t, func(c *account.Config) { c.PasswordOnly = true })
	pw := []byte("root password")
	if _, err := f.svc.CreateUser(ctx, admin, nil, account.NewUser{UserID: "root", Password: pw, Admin: true, OwnPassword: true,
		ConsoleRole: account.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	in, err := f.svc.Login(ctx, fromPortal, "root", pw, "")
	if err != nil || in.NeedPasscode {
		t.Fatalf("root's websocket login with the password alone: %+v, %v", in, err)
	}
	tok, err := f.svc.UpdateProfile(ctx, fromPortal, in.Grant.For("root"), account.Profile{NewSeed: true})
	if !errors.Is(err, account.ErrNotAllowed) {
		t.Errorf("a websocket administrator gives their own operator account a token: %v", err)
	}
	if tok == nil {
		return
	}
	f.tick()
	g, _, err := f.svc.CheckPassword(ctx, fromPortal, "root", pw)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := tok.Code(f.now)
	if g, err = f.svc.CheckPasscode(ctx, fromPortal, g, code); err != nil {
		t.Fatal(err)
	}
	if a, err := f.svc.OperatorSignIn(ctx, fromPortal, g); err == nil {
		t.Errorf("a password alone signs in to the console as %s", a)
	}
}

// A key revoked while one of its requests is in flight on another node:
// once the revocation has returned, no request of the key commits. The
// request either commits before the revocation (which waits for it) or
// is refused. On PostgreSQL the key's row was read without a lock, so a
// request that read it before the revocation committed after it.
func TestKeyRevokedMidRequestOnAnotherNode(t *testing.T) {
	onEach(t, testKeyRevokedMidRequestOnAnotherNode)
}

func testKeyRevokedMidRequestOnAnotherNode(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	key, err := f.svc.AddAPIKey(ctx, admin, "desk", account.RoleHelpdesk)
	if err != nil {
		t.Fatal(err)
	}
	nodeB, p := secondNode(t, f)
	k, err := nodeB.APIKeyActor(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	var revokedFirst bool
	errB, errA := interleave(t, p,
		func() error { _, err := nodeB.Unlock(ctx, admin, k.For("alice")); return err },
		func() error {
			err := f.svc.RevokeAPIKey(ctx, admin, "desk")
			select {
			case <-p.resume:
			default:
				revokedFirst = true // returned while node B's request was in flight
			}
			return err
		})
	if errA != nil {
		t.Fatal(errA)
	}
	if revokedFirst && errB == nil {
		t.Error("a request of a key committed after the key's revocation returned")
	}
}

// A help-desk operator reading the audit does not learn the admin API's
// keys (their names and roles, who made and revoked them): those records
// are the administrators', as the operators' own are.
func TestHelpdeskDoesNotReadTheKeysInTheAudit(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if _, err := f.svc.AddAPIKey(ctx, admin, "provisioning", account.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RevokeAPIKey(ctx, admin, "provisioning"); err != nil {
		t.Fatal(err)
	}
	help, _ := operator(t, f, "olga", account.RoleHelpdesk)
	seen, err := f.svc.AuditEvents(ctx, help, account.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range seen {
		if strings.HasPrefix(e.Event, "apikey") {
			t.Errorf("a help-desk operator reads %+v", e)
		}
	}
	all, _ := f.svc.AuditEvents(ctx, account.CommandLine, account.AuditFilter{})
	if len(seen) == 0 || len(seen) >= len(all) {
		t.Errorf("the help desk reads %d of %d records", len(seen), len(all))
	}
}

// The check of the current password in an operator's password change is
// recorded under the operator's name, as the change is: a wrong guess
// through the console is on record as theirs.
func TestOperatorsPasswordChecksNameThem(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	boss, _ := operator(t, f, "adam", account.RoleAdmin)
	addUser(t, f, account.NewUser{UserID: "bob", Seed: true})
	if _, _, err := f.svc.ChangePassword(ctx, admin, boss.For("bob"), []byte("a guess"), []byte("a new password"), account.Profile{}); !errors.Is(err, account.ErrInvalidLogin) {
		t.Fatalf("a wrong current password: %v", err)
	}
	if e := lastEvent(t, f, "bob", "password"); !strings.Contains(e.Detail, "by admin operator adam") {
		t.Errorf("audit of the password checked for an operator: %+v", e)
	}
}

// A role that adds no users is refused for that, before any hash work,
// and on record under its name, whatever it asked for.
func TestAddUserIsRefusedForTheRoleFirst(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	audit, _ := operator(t, f, "otto", account.RoleAuditor)
	if _, err := f.svc.AddUser(ctx, admin, audit, account.NewUser{UserID: "eve", Password: []byte("x")}); !errors.Is(err, account.ErrNotAllowed) || errors.Is(err, account.ErrWeakPassword) {
		t.Errorf("an auditor adds a user with a short password: %v", err)
	}
	if e := lastEvent(t, f, "eve", "user add"); e.Code != account.CodeNotAllowed || !strings.Contains(e.Detail, "by auditor operator otto") {
		t.Errorf("audit of the refused user add: %+v", e)
	}
}

// A help-desk operator's new number for an SMS user moves where the
// passcodes go: it is a recovery under the 30-day rule, as a temporary
// passcode is (a number of a user who gets no SMS passcodes is not).
func TestHelpdeskNumberKeepsTheThirtyDayRule(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, texting)
	help, tok := operator(t, f, "olga", account.RoleHelpdesk)
	smsUser(t, f, "+447700900001")
	if _, err := f.svc.IssueTempPasscode(ctx, admin, help.For("carol"), 1, 7); err != nil {
		t.Fatal(err)
	}
	for i, phone := range []string{"+447700900666", "+447700900667"} {
		if err := f.svc.SetPhone(ctx, admin, help.For("carol"), phone); !errors.Is(err, account.ErrTooSoon) {
			t.Errorf("new number %d within 30 days of a temporary passcode: %v", i+1, err)
		}
	}
	if err := f.svc.SetPhone(ctx, admin, help.For("alice"), "+447700900668"); err != nil {
		t.Errorf("a number for a user with a token: %v", err)
	}
	f.now = f.now.Add(account.TempPasscodeInterval + time.Hour)
	help = signIn(t, f, "olga", tok) // the sign-in of a month ago is over
	if err := f.svc.SetPhone(ctx, admin, help.For("carol"), "+447700900669"); err != nil {
		t.Fatalf("a new number after 30 days: %v", err)
	}
	if _, err := f.svc.IssueTempPasscode(ctx, admin, help.For("carol"), 1, 7); !errors.Is(err, account.ErrTooSoon) {
		t.Errorf("a temporary passcode the day of a new number: %v", err)
	}
	boss, _ := operator(t, f, "adam", account.RoleAdmin)
	if err := f.svc.SetPhone(ctx, admin, boss.For("carol"), "+447700900670"); err != nil {
		t.Errorf("an admin's new number: %v", err)
	}
}
