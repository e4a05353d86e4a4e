package account_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/token"
)

// operator makes userID an operator of role with a token, signs them in
// to the console with their password and a passcode, and returns the
// actor and the token.
func operator(t *testing.T, f *fixture, userID string, role account.Role) (account.Actor, token.Token) {
	t.Helper()
	ctx := context.Background()
	c, err := f.svc.CreateUser(ctx, admin, nil, account.NewUser{UserID: userID, Password: []byte(userID + " password"),
		Seed: true, OwnPassword: true, ConsoleRole: role})
	if err != nil {
		t.Fatal(err)
	}
	return signIn(t, f, userID, *c.Token), *c.Token
}

// signIn signs userID in to the console with their password and a
// passcode of tok (at the fixture's time: tick between two).
func signIn(t *testing.T, f *fixture, userID string, tok token.Token) account.Actor {
	t.Helper()
	ctx := context.Background()
	g, _, err := f.svc.CheckPassword(ctx, admin, userID, []byte(userID+" password"))
	if err != nil {
		t.Fatal(err)
	}
	code, _ := tok.Code(f.now)
	if g, err = f.svc.CheckPasscode(ctx, admin, g, code); err != nil {
		t.Fatal(err)
	}
	a, err := f.svc.OperatorSignIn(ctx, admin, g)
	if err != nil {
		t.Fatalf("%s signs in to the console: %v", userID, err)
	}
	return a
}

// lastEvent is the newest audit record of name about userID.
func lastEvent(t *testing.T, f *fixture, userID, name string) account.AuditEvent {
	t.Helper()
	all := events(t, f, userID, name)
	if len(all) == 0 {
		t.Fatalf("no %q record of %s", name, userID)
	}
	return all[len(all)-1]
}

// A help-desk operator unlocks, issues a temporary passcode (which then
// works), a new initial passcode to a user who has not enrolled, and a new
// number; each is audited under the operator's name.
func TestHelpdeskOperatorRecoversUsers(t *testing.T) { onEach(t, testHelpdeskOperatorRecoversUsers) }

func testHelpdeskOperatorRecoversUsers(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	olga, _ := operator(t, f, "olga", account.RoleHelpdesk)
	g := f.password(t)
	for range 3 {
		f.svc.CheckPasscode(ctx, admin, g, "000000")
	}
	if _, err := f.svc.Unlock(ctx, admin, olga.For("alice")); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	temp, err := f.svc.IssueTempPasscode(ctx, admin, olga.For("alice"), 1, 7)
	if err != nil {
		t.Fatalf("temporary passcode: %v", err)
	}
	if _, err := f.svc.CheckPasscode(ctx, admin, f.password(t), temp.Code); err != nil {
		t.Errorf("the operator's temporary passcode: %v", err)
	}
	if _, err := f.svc.IssueTempPasscodeOverride(ctx, admin, olga.For("alice"), 1, 7, "called back on the number on file"); err != nil {
		t.Errorf("the 30-day override by a help-desk operator: %v", err)
	}
	if _, err := f.svc.NewInitialPasscode(ctx, admin, olga.For("alice")); !errors.Is(err, account.ErrEnrolled) {
		t.Errorf("a new initial passcode for an enrolled user: %v", err)
	}
	first := addUser(t, f, account.NewUser{UserID: "newbie", Password: []byte("newbie password"), Email: "newbie@example.com", InitialPasscode: true})
	again, err := f.svc.NewInitialPasscode(ctx, admin, olga.For("newbie"))
	if err != nil || again.InitialPasscode == "" || again.InitialPasscode == first.InitialPasscode || !strings.HasPrefix(again.Mail, "sent to") {
		t.Fatalf("a new initial passcode: %+v, %v", again, err)
	}
	if m := f.mailed(); !strings.Contains(string(m[len(m)-1].Bytes()), again.InitialPasscode) {
		t.Error("the welcome mail does not hold the new initial passcode")
	}
	if err := f.svc.SetPhone(ctx, admin, olga.For("alice"), "+447700900123"); err != nil {
		t.Errorf("a new number: %v", err)
	}
	for _, c := range []struct{ userID, name string }{{"alice", "user unlock"}, {"alice", "temporary passcode"}, {"newbie", "initial passcode"}, {"alice", "phone"}} {
		e := lastEvent(t, f, c.userID, c.name)
		if e.Code != account.CodeOK || !strings.Contains(e.Detail, "by helpdesk operator olga") {
			t.Errorf("audit of %s: %+v", c.name, e)
		}
		if strings.Contains(e.Detail, temp.Code) || strings.Contains(e.Detail, again.InitialPasscode) {
			t.Errorf("audit of %s holds a passcode: %+v", c.name, e)
		}
	}
}

// What a role does not allow is refused, changes nothing, and is audited
// under the actor's name.
func TestRolesRefuseWhatTheyDoNotAllow(t *testing.T) { onEach(t, testRolesRefuseWhatTheyDoNotAllow) }

func testRolesRefuseWhatTheyDoNotAllow(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	help, _ := operator(t, f, "olga", account.RoleHelpdesk)
	f.tick()
	audit, _ := operator(t, f, "otto", account.RoleAuditor)
	role := account.RoleAdmin
	for _, c := range []struct {
		name string
		do   func() error
	}{
		{"helpdesk deletes", func() error { return f.svc.DeleteUser(ctx, admin, help.For("alice")) }},
		{"helpdesk disables", func() error { return f.svc.SetActive(ctx, admin, help.For("alice"), false) }},
		{"helpdesk resets", func() error { _, err := f.svc.Reset(ctx, admin, help.For("alice"), []byte("new password")); return err }},
		{"helpdesk changes the profile", func() error {
			firm := "other"
			_, err := f.svc.UpdateProfile(ctx, admin, help.For("alice"), account.Profile{Firm: &firm})
			return err
		}},
		{"helpdesk makes an operator", func() error {
			_, err := f.svc.UpdateProfile(ctx, admin, help.For("alice"), account.Profile{ConsoleRole: &role})
			return err
		}},
		{"helpdesk adds a user", func() error {
			_, err := f.svc.AddUser(ctx, admin, help, account.NewUser{UserID: "eve", Password: []byte("eve password")})
			return err
		}},
		{"auditor unlocks", func() error { _, err := f.svc.Unlock(ctx, admin, audit.For("alice")); return err }},
		{"auditor issues a temporary passcode", func() error { _, err := f.svc.IssueTempPasscode(ctx, admin, audit.For("alice"), 1, 7); return err }},
		{"auditor logs out", func() error { return f.svc.Logout(ctx, admin, audit.For("alice")) }},
	} {
		if err := c.do(); !errors.Is(err, account.ErrNotAllowed) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	v := stateOf(t, f, "alice")
	if !v.active || v.serial == "" {
		t.Errorf("alice after the refusals: %+v", v)
	}
	if _, err := f.svc.User(ctx, account.CommandLine, "eve"); !errors.Is(err, account.ErrNoSuchUser) {
		t.Errorf("eve, added by a help-desk operator: %v", err)
	}
	if e := lastEvent(t, f, "alice", "user delete"); e.Code != account.CodeNotAllowed || !strings.Contains(e.Detail, "by helpdesk operator olga") {
		t.Errorf("audit of the refused delete: %+v", e)
	}
}

// An operator never acts on their own account through the console, and a
// help-desk operator neither sees nor changes another operator or an
// administrator (who are to them as users nobody has); an auditor sees
// everyone and changes no one.
func TestOperatorsAndThemselves(t *testing.T) { onEach(t, testOperatorsAndThemselves) }

func testOperatorsAndThemselves(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	help, _ := operator(t, f, "olga", account.RoleHelpdesk)
	f.tick()
	boss, _ := operator(t, f, "adam", account.RoleAdmin)
	f.tick()
	audit, _ := operator(t, f, "otto", account.RoleAuditor)
	for _, c := range []struct {
		by     account.Actor
		userID string
		want   error
	}{{help, "olga", account.ErrNotAllowed}, {boss, "adam", account.ErrNotAllowed}, {help, "adam", account.ErrNoSuchUser}, {help, "otto", account.ErrNoSuchUser}} {
		if _, err := f.svc.Unlock(ctx, admin, c.by.For(c.userID)); !errors.Is(err, c.want) {
			t.Errorf("%s unlocks %s: %v", c.by.Name(), c.userID, err)
		}
	}
	if e := lastEvent(t, f, "otto", "user unlock"); e.Code != account.CodeNotAllowed {
		t.Errorf("audit of the unlock of an operator the help desk does not see: %+v", e)
	}
	if _, err := f.svc.Unlock(ctx, admin, boss.For("olga")); err != nil {
		t.Errorf("an admin unlocks a help-desk operator: %v", err)
	}
	if _, err := f.svc.User(ctx, help, "adam"); !errors.Is(err, account.ErrNoSuchUser) {
		t.Errorf("a help-desk operator reads an admin: %v", err)
	}
	seen := func(by account.Actor) string {
		t.Helper()
		users, err := f.svc.Users(ctx, by, account.UserFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, u := range users {
			ids = append(ids, u.UserID)
		}
		return strings.Join(ids, ",")
	}
	if got := seen(help); got != "alice" {
		t.Errorf("a help-desk operator lists %s", got)
	}
	if got := seen(audit); got != "adam,alice,olga,otto" {
		t.Errorf("an auditor lists %s", got)
	}
	helpSees, err := f.svc.AuditEvents(ctx, help, account.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range helpSees {
		if e.UserID == "adam" || e.UserID == "otto" {
			t.Errorf("a help-desk operator reads another operator's record: %+v", e)
		}
	}
	if all, _ := f.svc.AuditEvents(ctx, audit, account.AuditFilter{UserID: "adam"}); len(all) == 0 {
		t.Error("an auditor does not read an admin's records")
	}
}

// An operator's console sign-in ends with a change of their credentials,
// their role taken away, their account disabled, or OperatorSessionMax.
func TestOperatorSignInEnds(t *testing.T) { onEach(t, testOperatorSignInEnds) }

func testOperatorSignInEnds(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	help, tok := operator(t, f, "olga", account.RoleHelpdesk)
	none := account.Role("")
	for _, c := range []struct {
		name   string
		change func() error
	}{
		{"role taken away", func() error {
			_, err := f.svc.UpdateProfile(ctx, admin, account.ByAdmin("olga"), account.Profile{ConsoleRole: &none})
			return err
		}},
		{"disabled", func() error { return f.svc.SetActive(ctx, admin, account.ByAdmin("olga"), false) }},
		{"signed in too long", func() error { f.now = f.now.Add(account.OperatorSessionMax + time.Second); return nil }},
		{"password changed", func() error {
			_, err := f.svc.SetPassword(ctx, admin, account.ByAdmin("olga"), []byte("a new password"), account.Profile{})
			return err
		}},
	} {
		if err := c.change(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := f.svc.Check(ctx, help); !errors.Is(err, account.ErrSignedOut) && !errors.Is(err, account.ErrDisabled) {
			t.Errorf("%s: the sign-in still holds (%v)", c.name, err)
		}
		if _, err := f.svc.Unlock(ctx, admin, help.For("alice")); err == nil {
			t.Errorf("%s: the old sign-in still unlocks", c.name)
		}
		// Put olga back as she was, and sign her in again (a new password
		// is the last change: it is not undone).
		for _, undo := range []func() error{
			func() error { return f.svc.SetActive(ctx, admin, account.ByAdmin("olga"), true) },
			func() error {
				r := account.RoleHelpdesk
				_, err := f.svc.UpdateProfile(ctx, admin, account.ByAdmin("olga"), account.Profile{ConsoleRole: &r})
				return err
			},
		} {
			if err := undo(); err != nil {
				t.Fatal(err)
			}
		}
		if c.name != "password changed" { // the last
			f.tick()
			help = signIn(t, f, "olga", tok)
		}
	}
}

// Only an operator's own second factor signs them in: not a temporary
// passcode someone gave them, not a password alone, not a user without a
// console role.
func TestOperatorSignInNeedsTheirOwnFactor(t *testing.T) {
	onEach(t, testOperatorSignInNeedsTheirOwnFactor)
}

func testOperatorSignInNeedsTheirOwnFactor(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	operator(t, f, "olga", account.RoleHelpdesk)
	temp, err := f.svc.IssueTempPasscode(ctx, admin, account.ByAdmin("olga"), 1, 7)
	if err != nil {
		t.Fatal(err)
	}
	g, _, err := f.svc.CheckPassword(ctx, admin, "olga", []byte("olga password"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.OperatorSignIn(ctx, admin, g); !errors.Is(err, account.ErrNotAllowed) {
		t.Errorf("a password alone: %v", err)
	}
	withTemp, err := f.svc.CheckPasscode(ctx, admin, g, temp.Code)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.OperatorSignIn(ctx, admin, withTemp); !errors.Is(err, account.ErrNotAllowed) {
		t.Errorf("a temporary passcode: %v", err)
	}
	trader, err := f.svc.CheckPasscode(ctx, admin, f.password(t), f.code(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.OperatorSignIn(ctx, admin, trader); !errors.Is(err, account.ErrNotAllowed) {
		t.Errorf("a user without a console role: %v", err)
	}
	if e := lastEvent(t, f, "alice", "console sign-in"); e.Code != account.CodeNotAllowed {
		t.Errorf("audit of the refused sign-in: %+v", e)
	}
}

// Console roles are granted by the admin command line or an admin, never
// by a websocket administrator (a service account).
func TestConsoleRolesAreGrantedByAdministrators(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if _, err := f.svc.CreateUser(ctx, admin, nil, account.NewUser{UserID: "root", Password: []byte("root password"), Admin: true}); err != nil {
		t.Fatal(err)
	}
	root, _, err := f.svc.CheckPassword(ctx, admin, "root", []byte("root password"))
	if err != nil {
		t.Fatal(err)
	}
	r := account.RoleAdmin
	if _, err := f.svc.UpdateProfile(ctx, admin, root.For("alice"), account.Profile{ConsoleRole: &r}); !errors.Is(err, account.ErrNotAllowed) {
		t.Errorf("a websocket administrator grants a role: %v", err)
	}
	if _, err := f.svc.CreateUser(ctx, admin, &root, account.NewUser{UserID: "eve", Password: []byte("eve password"), ConsoleRole: r}); !errors.Is(err, account.ErrNotAllowed) {
		t.Errorf("a websocket administrator makes an operator: %v", err)
	}
	boss, _ := operator(t, f, "adam", account.RoleAdmin)
	if _, err := f.svc.SetPassword(ctx, admin, root.For("adam"), []byte("taken over"), account.Profile{}); !errors.Is(err, account.ErrNotAllowed) {
		t.Errorf("a websocket administrator sets an operator's password: %v", err)
	}
	h := account.RoleHelpdesk
	if _, err := f.svc.UpdateProfile(ctx, admin, boss.For("alice"), account.Profile{ConsoleRole: &h}); err != nil {
		t.Errorf("an admin operator grants a role: %v", err)
	}
	if v, _ := f.svc.User(ctx, account.CommandLine, "alice"); v.ConsoleRole != account.RoleHelpdesk {
		t.Errorf("alice's role: %q", v.ConsoleRole)
	}
	if _, err := account.ParseRole("root"); !errors.Is(err, account.ErrBadRole) {
		t.Errorf("ParseRole(root): %v", err)
	}
}

// An API key acts with its role until it is revoked: a request after the
// revocation is refused, and nothing of the key is in the audit.
func TestAPIKeys(t *testing.T) { onEach(t, testAPIKeys) }

func testAPIKeys(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on)
	key, err := f.svc.AddAPIKey(ctx, admin, "provisioning", account.RoleHelpdesk)
	if err != nil || !strings.HasPrefix(key, account.APIKeyPrefix) {
		t.Fatalf("AddAPIKey: %q, %v", key, err)
	}
	if _, err := f.svc.AddAPIKey(ctx, admin, "provisioning", account.RoleAuditor); !errors.Is(err, account.ErrNotAllowed) {
		t.Errorf("a second working key of one name: %v", err)
	}
	k, err := f.svc.APIKeyActor(ctx, key)
	if err != nil || k.Name() != "provisioning" || k.Role() != account.RoleHelpdesk || !k.IsKey() {
		t.Fatalf("APIKeyActor: %+v, %v", k, err)
	}
	for _, bad := range []string{"", "stk_", key + "x", strings.TrimPrefix(key, account.APIKeyPrefix), "Bearer " + key} {
		if _, err := f.svc.APIKeyActor(ctx, bad); !errors.Is(err, account.ErrBadKey) {
			t.Errorf("APIKeyActor(%q): %v", bad, err)
		}
	}
	if _, err := f.svc.Unlock(ctx, admin, k.For("alice")); err != nil {
		t.Fatalf("unlock by a help-desk key: %v", err)
	}
	if e := lastEvent(t, f, "alice", "user unlock"); !strings.Contains(e.Detail, "by helpdesk API key provisioning") {
		t.Errorf("audit of the key's unlock: %+v", e)
	}
	if err := f.svc.DeleteUser(ctx, admin, k.For("alice")); !errors.Is(err, account.ErrNotAllowed) {
		t.Errorf("delete by a help-desk key: %v", err)
	}
	if err := f.svc.RevokeAPIKey(ctx, admin, "provisioning"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Unlock(ctx, admin, k.For("alice")); !errors.Is(err, account.ErrBadKey) {
		t.Errorf("unlock by a key revoked since it was read: %v", err)
	}
	if _, err := f.svc.APIKeyActor(ctx, key); !errors.Is(err, account.ErrBadKey) {
		t.Errorf("a revoked key: %v", err)
	}
	if _, err := f.svc.AddAPIKey(ctx, admin, "provisioning", account.RoleAuditor); err != nil {
		t.Errorf("a new key of a revoked one's name: %v", err)
	}
	keys, _ := f.svc.APIKeys(ctx)
	if len(keys) != 2 || keys[0].Revoked.IsZero() == keys[1].Revoked.IsZero() {
		t.Errorf("APIKeys: %+v", keys)
	}
	all, _ := f.svc.AuditEvents(ctx, account.CommandLine, account.AuditFilter{})
	for _, e := range all {
		if strings.Contains(e.Detail, key) || strings.Contains(e.Detail, strings.TrimPrefix(key, account.APIKeyPrefix)[:10]) {
			t.Errorf("the audit holds the key: %+v", e)
		}
	}
}
