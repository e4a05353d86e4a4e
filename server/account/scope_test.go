package account_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/softtoken/softtoken/server/account"
)

// service makes a service account with limits and signs it in from
// client; it returns its grant.
func service(t *testing.T, f *fixture, userID, client string, lim account.ServiceLimits) account.Grant {
	t.Helper()
	ctx := context.Background()
	if _, err := f.svc.CreateUser(ctx, admin, nil, account.NewUser{UserID: userID, Password: []byte("backend password"),
		Admin: true, Service: true, Limits: lim}); err != nil {
		t.Fatal(err)
	}
	in, err := f.svc.Login(ctx, account.Origin{Client: client, Via: "websocket"}, userID, []byte("backend password"), "")
	if err != nil {
		t.Fatalf("%s logs in from %s: %v", userID, client, err)
	}
	return in.Grant
}

// Every administrator's door of the rules asks for the scope it needs: a
// verify-only service account verifies and does nothing else, whatever
// method it reaches; a managing one may manage.
func TestServiceAccountScopes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	from := account.Origin{Client: "127.0.0.1", Via: "websocket"}
	verifier := service(t, f, "portal", "127.0.0.1", account.ServiceLimits{})
	manager := service(t, f, "provisioning", "127.0.0.1", account.ServiceLimits{Scopes: account.Scopes})
	// In this order: verifylogin while alice's token is hers, disable
	// last.
	on := []struct {
		name string
		do   func(g account.Grant) error
	}{
		{"verifylogin", func(g account.Grant) error {
			_, err := f.svc.Verify(ctx, from, g, "alice", []byte("correct horse"), f.code(t, 0))
			return err
		}},
		{"create a user", func(g account.Grant) error {
			_, err := f.svc.CreateUser(ctx, from, &g, account.NewUser{UserID: "newcomer-" + g.UserID, Password: []byte("newcomer password")})
			return err
		}},
		{"change a password", func(g account.Grant) error {
			_, _, err := f.svc.ChangePassword(ctx, from, g.For("alice"), []byte("wrong"), []byte("attacker password"), account.Profile{})
			return err
		}},
		{"temporary passcode", func(g account.Grant) error {
			_, err := f.svc.IssueTempPasscode(ctx, from, g.For("alice"), 1, 7)
			return err
		}},
		{"reset a password", func(g account.Grant) error {
			_, err := f.svc.SetPassword(ctx, from, g.For("alice"), []byte("attacker password"), account.Profile{})
			return err
		}},
		{"a new seed", func(g account.Grant) error {
			_, err := f.svc.UpdateProfile(ctx, from, g.For("alice"), account.Profile{NewSeed: true})
			return err
		}},
		{"revoke token", func(g account.Grant) error { return f.svc.RevokeToken(ctx, from, g.For("alice")) }},
		{"disable", func(g account.Grant) error { return f.svc.SetActive(ctx, from, g.For("alice"), false) }},
	}
	for _, tc := range on {
		name, do := tc.name, tc.do
		t.Run(name, func(t *testing.T) {
			err := do(verifier)
			switch {
			case name == "verifylogin" && err != nil:
				t.Errorf("a verify-only service account: %v", err)
			case name != "verifylogin":
				var se *account.ScopeError
				if !errors.As(err, &se) || !errors.Is(err, account.ErrNotAllowed) || se.Actor != "portal" || se.Need != account.ScopeManage {
					t.Errorf("a verify-only service account: %v, want the manage scope refused", err)
				}
			}
			f.now = f.now.Add(30e9) // a new step for the next passcode
			if name == "verifylogin" || name == "change a password" || name == "temporary passcode" {
				return // told by their own tests; the scope is what matters here
			}
			if err := do(manager); err != nil {
				t.Errorf("a managing service account: %v", err)
			}
		})
	}
}

// A service account logs in only from its networks; elsewhere its right
// password answers as a wrong one.
func TestServiceAccountNetworksAtLogin(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	lim := account.ServiceLimits{Networks: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}}
	service(t, f, "backend", "10.1.2.3", lim)
	for _, tt := range []struct {
		client string
		want   error
	}{
		{"10.1.200.7", nil},
		{"[::ffff:10.1.2.3]:4242", nil},
		{"10.2.0.1", account.ErrInvalidLogin},
		{"127.0.0.1", account.ErrInvalidLogin},
		{"admin command line", account.ErrInvalidLogin},
	} {
		_, err := f.svc.Login(ctx, account.Origin{Client: tt.client, Via: "websocket"}, "backend", []byte("backend password"), "")
		if !errors.Is(err, tt.want) {
			t.Errorf("from %s: %v, want %v", tt.client, err, tt.want)
		}
	}
}

// The scopes and networks a service account may be given, and those it
// may not.
func TestParseServiceLimits(t *testing.T) {
	for _, tt := range []struct {
		scopes, networks string
		ok               bool
	}{
		{"verify", "10.0.0.0/8", true},
		{"verify, manage", "192.0.2.7,2001:db8::/32", true},
		{"VERIFY", "::1", true},
		{"everything", "", false},
		{"verify", "10.0.0.0/33", false},
		{"verify", "not a network", false},
	} {
		_, serr := account.ParseScopes(tt.scopes)
		_, nerr := account.ParseNetworks(tt.networks)
		if ok := serr == nil && nerr == nil; ok != tt.ok {
			t.Errorf("%q, %q: %v %v, want ok %v", tt.scopes, tt.networks, serr, nerr, tt.ok)
		}
		for _, err := range []error{serr, nerr} {
			if err != nil && !errors.Is(err, account.ErrBadScope) {
				t.Errorf("%q, %q: %v is not ErrBadScope", tt.scopes, tt.networks, err)
			}
		}
	}
}
