package account_test

import (
	"context"
	"errors"
	"testing"

	"github.com/softtoken/softtoken/server/account"
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
