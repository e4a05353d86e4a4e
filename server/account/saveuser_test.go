package account_test

import (
	"context"
	"errors"
	"testing"

	"github.com/softtoken/softtoken/server/account"
)

// SaveUser, the websocket's adduser: an administrator creates a user who
// does not exist (with a password) or changes one who does, in one call.
func TestSaveUserCreatesOrChanges(t *testing.T) {
	ctx := context.Background()
	firm := "New Firm"
	tests := []struct {
		name     string
		n        account.NewUser
		change   account.Profile
		wantErr  error
		wantFirm string // of the user afterwards; "" when there is none
		wantSeed bool
	}{
		{"a new user with a password", account.NewUser{UserID: "bob", Password: []byte("bob's password"), Firm: "Bob & Co", Use2FA: true, Seed: true},
			account.Profile{}, nil, "Bob & Co", true},
		{"a new user without a password", account.NewUser{UserID: "bob", Firm: "Bob & Co"}, account.Profile{}, account.ErrPasswordNeeded, "", false},
		{"an existing user changed, no password needed", account.NewUser{UserID: "alice"}, account.Profile{Firm: &firm}, nil, "New Firm", false},
		{"an existing user, the password given ignored", account.NewUser{UserID: "ALICE", Password: []byte("ignored password")},
			account.Profile{Firm: &firm}, nil, "New Firm", false},
		{"a weak password for a new user", account.NewUser{UserID: "bob", Password: []byte("short")}, account.Profile{}, account.ErrWeakPassword, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newService(t, nil)
			addUser(t, f, account.NewUser{UserID: "root", Admin: true})
			root := passwordOf(t, f, "root")
			tok, err := f.svc.SaveUser(ctx, admin, root, tt.n, tt.change)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("SaveUser = %v, want %v", err, tt.wantErr)
			}
			if got := tok != nil; got != tt.wantSeed {
				t.Errorf("a new token returned: %v, want %v", got, tt.wantSeed)
			}
			v, err := f.svc.User(ctx, account.CommandLine, tt.n.UserID)
			switch {
			case tt.wantFirm == "" && !errors.Is(err, account.ErrNoSuchUser):
				t.Errorf("the user after a refusal: %+v, %v; want none", v, err)
			case tt.wantFirm != "" && (err != nil || v.Firm != tt.wantFirm):
				t.Errorf("the user's firm: %q (%v), want %q", v.Firm, err, tt.wantFirm)
			}
		})
	}
}

// Only an administrator's grant saves users: a user's own grant is
// refused, and no user is made.
func TestSaveUserNeedsAnAdministrator(t *testing.T) {
	ctx := context.Background()
	f := newService(t, nil)
	alice := f.password(t)
	_, err := f.svc.SaveUser(ctx, admin, alice, account.NewUser{UserID: "bob", Password: []byte("bob's password")}, account.Profile{})
	if !errors.Is(err, account.ErrNotAllowed) {
		t.Fatalf("SaveUser with alice's grant = %v, want ErrNotAllowed", err)
	}
	if _, err := f.svc.User(ctx, account.CommandLine, "bob"); !errors.Is(err, account.ErrNoSuchUser) {
		t.Errorf("bob after the refusal: %v, want no such user", err)
	}
}

// A new user's passcodes come by SMS or from a token, never both: the
// rule refuses the pair whichever door asks (the admin command refuses
// its flags too), and makes no one.
func TestCreateUserSMSOrTokenNotBoth(t *testing.T) {
	ctx := context.Background()
	f := newService(t, nil)
	_, err := f.svc.CreateUser(ctx, admin, nil, account.NewUser{UserID: "bob", Password: []byte("bob's password"), OwnPassword: true,
		SMS: true, Phone: "+447700900123", Seed: true})
	if !errors.Is(err, account.ErrNotAllowed) {
		t.Fatalf("CreateUser with SMS and a seed = %v, want ErrNotAllowed", err)
	}
	if _, err := f.svc.User(ctx, account.CommandLine, "bob"); !errors.Is(err, account.ErrNoSuchUser) {
		t.Errorf("bob after the refusal: %v, want no such user", err)
	}
}
