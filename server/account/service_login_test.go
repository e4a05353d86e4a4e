package account_test

import (
	"context"
	"errors"
	"testing"

	"github.com/softtoken/softtoken/server/account"
)

// A service account logs in with its password alone, from its networks
// (loopback unless it was given others), each login audited; anywhere
// else, or with a wrong password, it is told the same as anyone.
func TestServiceAccountLogin(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if _, err := f.svc.CreateUser(ctx, admin, nil, account.NewUser{UserID: "portal", Password: []byte("backend password"),
		Admin: true, Service: true}); err != nil {
		t.Fatal(err)
	}
	logins := 0
	for _, tc := range []struct {
		client, pw string
		want       error
	}{
		{"127.0.0.1", "backend password", nil},
		{"127.9.9.9", "backend password", nil},
		{"::1", "backend password", nil},
		{"10.0.0.1", "backend password", account.ErrInvalidLogin},
		{"192.0.2.1", "backend password", account.ErrInvalidLogin},
		{"127.0.0.1", "wrong password", account.ErrInvalidLogin},
	} {
		in, err := f.svc.Login(ctx, account.Origin{Client: tc.client, Via: "websocket"}, "portal", []byte(tc.pw), "")
		if !errors.Is(err, tc.want) {
			t.Errorf("from %s with %q: %v, want %v", tc.client, tc.pw, err, tc.want)
			continue
		}
		if err != nil {
			continue
		}
		logins++
		if in.NeedPasscode || in.Grant.UserID != "portal" || in.Grant.Proof != account.ProofPassword {
			t.Errorf("from %s: %+v, want a grant of the password alone", tc.client, in.Grant)
		}
	}
	var audited int
	for _, e := range events(t, f, "portal", "service login") {
		if succeeded(e) {
			audited++
		}
	}
	if audited != logins {
		t.Errorf("%d service logins audited, want %d", audited, logins)
	}
}

// verifylogin verifies people: a service account's right password answers
// as a wrong one, so one back-end cannot try another's passwords there.
func TestVerifyRefusesServiceAccounts(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	from := account.Origin{Client: "127.0.0.1", Via: "websocket"}
	portal := service(t, f, "portal", "127.0.0.1", account.ServiceLimits{})
	service(t, f, "provisioning", "127.0.0.1", account.ServiceLimits{Scopes: account.Scopes})
	for _, tc := range []struct {
		userID, pw, code string
		want             error
	}{
		{"provisioning", "backend password", "", account.ErrInvalidLogin},
		{"portal", "backend password", "", account.ErrInvalidLogin},
		{"alice", "correct horse", f.code(t, 0), nil},
		{"alice", "wrong", f.code(t, 0), account.ErrInvalidLogin},
	} {
		if _, err := f.svc.Verify(ctx, from, portal, tc.userID, []byte(tc.pw), tc.code); !errors.Is(err, tc.want) {
			t.Errorf("verifying %s: %v, want %v", tc.userID, err, tc.want)
		}
	}
}

// An administrator's grant over the websocket reaches ordinary users and
// the administrator themselves: another administrator is changed with
// the admin commands, so that one leaked service account cannot take
// over the others.
func TestAdminsGrantReachesOrdinaryUsersOnly(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	manager := service(t, f, "provisioning", "127.0.0.1", account.ServiceLimits{Scopes: account.Scopes})
	addUser(t, f, account.NewUser{UserID: "root", Admin: true})
	service(t, f, "portal", "127.0.0.1", account.ServiceLimits{})
	firm := "ACME"
	for _, tc := range []struct {
		userID string
		want   error
	}{
		{"alice", nil},
		{"provisioning", nil},
		{"root", account.ErrNotAllowed},
		{"portal", account.ErrNotAllowed},
		{"nobody", account.ErrNoSuchUser},
	} {
		_, err := f.svc.UpdateProfile(ctx, account.Origin{Client: "127.0.0.1", Via: "websocket"}, manager.For(tc.userID), account.Profile{Firm: &firm})
		if !errors.Is(err, tc.want) {
			t.Errorf("a profile change of %s: %v, want %v", tc.userID, err, tc.want)
		}
	}
	if _, err := f.svc.UpdateProfile(ctx, admin, account.ByAdmin("root"), account.Profile{Firm: &firm}); err != nil {
		t.Errorf("the admin command line on an administrator: %v", err)
	}
}
