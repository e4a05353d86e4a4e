package account_test

import (
	"context"
	"errors"
	"testing"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/directory"
	"github.com/softtoken/softtoken/server/ldaptest"
)

// A leaver's entry deleted and a joiner given the same uid before the
// next sync: the joiner is another person (another entryUUID). Their
// directory password does not open the leaver's user, and the sync
// disables the leaver's user instead of handing it over (the token, the
// number an SMS passcode goes to, the roles).
func TestReusedUserIDIsAnotherPerson(t *testing.T) {
	ctx := context.Background()
	srv := ldaptest.Start(t, ldaptest.User{UID: "sam", Password: "sam-old-pass-1", Mail: "sam.old@bank.test", Mobile: "+447700900111", Member: true})
	d, err := directory.New(directory.Config{URL: srv.URL, BindDN: ldaptest.BindDN, BindPassword: ldaptest.BindPW, Base: ldaptest.Base, Group: ldaptest.Group})
	if err != nil {
		t.Fatal(err)
	}
	f := withDirectory(t, d)
	if c := syncDir(t, f, false)["sam"]; c.Action != "add" {
		t.Fatalf("first sync: %+v, want sam added", c)
	}
	seed(t, f, "sam")
	if _, _, err := f.svc.CheckPassword(ctx, admin, "sam", []byte("sam-old-pass-1")); err != nil {
		t.Fatalf("the leaver's own password, before leaving: %v", err)
	}

	srv.RemoveMember(t, "sam")
	srv.DeleteEntry(t, "sam")
	srv.AddUser(t, ldaptest.User{UID: "sam", Password: "sam-new-pass-1", Mail: "sam.new@bank.test", Mobile: "+447700900222", Member: true})

	if _, _, err := f.svc.CheckPassword(ctx, admin, "sam", []byte("sam-new-pass-1")); !errors.Is(err, account.ErrInvalidLogin) {
		t.Errorf("the joiner's password for the leaver's user: %v, want ErrInvalidLogin", err)
	}
	if c := syncDir(t, f, false)["sam"]; c.Action != "disable" {
		t.Errorf("sync after the uid was given again: %+v, want the leaver's user disabled", c)
	}
	u, err := f.svc.User(ctx, account.CommandLine, "sam")
	if err != nil {
		t.Fatal(err)
	}
	if u.Active || u.Phone == "+447700900222" || u.Email == "sam.new@bank.test" {
		t.Errorf("after the sync the leaver's user is active %v, phone %s, mail %s: handed to the joiner", u.Active, u.Phone, u.Email)
	}
	if c := syncDir(t, f, false)["sam"]; c.Action != "skip" {
		t.Errorf("the next sync: %+v, want sam skipped (an administrator deletes the old user)", c)
	}
}
