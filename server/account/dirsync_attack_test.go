package account_test

import (
	"context"
	"errors"
	"testing"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/directory"
	"github.com/softtoken/softtoken/server/ldaptest"
)

// Two members of the group with one user ID (a second entry elsewhere in
// the tree, or a person given a second uid) are nobody's: the password
// check refuses a user ID the directory does not have exactly once, so
// the sync must not make or update that user from either entry, or the
// welcome mail with the initial passcode, and later the mail and number,
// could be the other entry's.
func TestDirectorySyncSkipsAUserIDTwoMembersHave(t *testing.T) {
	ctx := context.Background()
	srv := ldaptest.Start(t, ldaptest.User{UID: "nina", Password: "nina-dir-pass-1", Mail: "nina@bank.test", Member: true})
	srv.AddEntry(t, "cn=nina,ou=groups,"+ldaptest.Base, map[string][]string{"objectClass": {"inetOrgPerson"},
		"uid": {"nina"}, "cn": {"nina"}, "sn": {"impostor"}, "mail": {"mallory@evil.test"}, "mobile": {"+447700900999"}}, true)
	d, err := directory.New(directory.Config{URL: srv.URL, BindDN: ldaptest.BindDN, BindPassword: ldaptest.BindPW, Base: ldaptest.Base, Group: ldaptest.Group})
	if err != nil {
		t.Fatal(err)
	}
	f := withDirectory(t, d)
	plan, err := f.svc.SyncDirectory(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range plan {
		if c.UserID == "nina" && c.Action != "skip" {
			t.Errorf("sync of a user ID two members have: %s %s (%v), want skip", c.Action, c.Detail, c.Err)
		}
	}
	for _, m := range f.mailed() {
		if m.To == "mallory@evil.test" {
			t.Error("the other entry's mail got nina's welcome mail")
		}
	}
	if v, err := f.svc.User(ctx, account.CommandLine, "nina"); !errors.Is(err, account.ErrNoSuchUser) {
		t.Errorf("nina made from one of two entries: %+v, %v", v, err)
	}
}

// A member of the group whose entry is outside --ldap-base (the group is
// a list of DNs anyone who may edit it can point anywhere) is not made a
// user: the password check searches the base only, so such a user could
// never sign in, and their welcome passcode would go to a mail nobody
// vetted.
func TestDirectorySyncLeavesMembersOutsideTheBase(t *testing.T) {
	srv := ldaptest.Start(t, ldaptest.User{UID: "rosa", Password: "rosa-dir-pass-1", Mail: "rosa@bank.test", Member: true})
	srv.AddEntry(t, "cn=quinn,ou=groups,"+ldaptest.Base, map[string][]string{"objectClass": {"inetOrgPerson"},
		"uid": {"quinn"}, "cn": {"quinn"}, "sn": {"quinn"}, "mail": {"quinn@evil.test"}}, true)
	d, err := directory.New(directory.Config{URL: srv.URL, BindDN: ldaptest.BindDN, BindPassword: ldaptest.BindPW, Base: ldaptest.People, Group: ldaptest.Group})
	if err != nil {
		t.Fatal(err)
	}
	f := withDirectory(t, d)
	plan := syncDir(t, f, false)
	if plan["rosa"].Action != "add" {
		t.Errorf("rosa, in the base: %+v", plan["rosa"])
	}
	if c, ok := plan["quinn"]; ok {
		t.Errorf("quinn, outside the base: %s %s", c.Action, c.Detail)
	}
}

// A user the directory disabled is disabled by the sync even when their
// entry also has a mail or number softtoken cannot use: the leaver's
// sign-ins must end whatever else the entry holds.
func TestDirectorySyncDisablesAnInvalidEntryTheDirectoryDisabled(t *testing.T) {
	dir := &fakeDirectory{}
	f := newService(t, func(c *account.Config) { c.Directory = dir })
	syncDir(t, f, false)
	dir.people = []directory.Person{{UserID: "gina", Disabled: true, Invalid: "the mobile is not a number in international form"}}
	plan := syncDir(t, f, false)
	if plan["gina"].Action != "disable" || stateOf(t, f, "gina").active {
		t.Errorf("gina disabled in the directory, with a bad number: %+v, active %v", plan["gina"], stateOf(t, f, "gina").active)
	}
}
