package directory

import (
	"context"
	"errors"
	"testing"

	"github.com/softtoken/softtoken/server/ldaptest"
)

// open starts a slapd with alice (a member), bob (not one) and a member
// whose name needs escaping, and returns its directory.
func open(t *testing.T) (*ldaptest.Server, *LDAP) {
	t.Helper()
	srv := ldaptest.Start(t,
		ldaptest.User{UID: "alice", Password: "alice-pass-1", Mail: "alice@bank.test", Mobile: "+44 7700 900123", Lang: "it-IT, en;q=0.5", Member: true},
		ldaptest.User{UID: "bob", Password: "bob-pass-1", Mail: "bob@bank.test"},
		ldaptest.User{UID: "o*brien)", Password: "obrien-pass-1", Member: true},
	)
	d, err := New(Config{URL: srv.URL, BindDN: ldaptest.BindDN, BindPassword: ldaptest.BindPW, Base: ldaptest.Base, Group: ldaptest.Group})
	if err != nil {
		t.Fatal(err)
	}
	return srv, d
}

func TestCheckPassword(t *testing.T) {
	srv, d := open(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, user, pw string
		want           error
	}{
		{"right", "alice", "alice-pass-1", nil},
		{"user ID in another case", "ALICE", "alice-pass-1", nil},
		{"wrong", "alice", "alice-pass-2", ErrWrongPassword},
		{"empty: never an unauthenticated bind", "alice", "", ErrWrongPassword},
		{"not in the group", "bob", "bob-pass-1", ErrWrongPassword},
		{"no such user", "carol", "whatever-1", ErrWrongPassword},
		{"a wildcard is no user", "*", "alice-pass-1", ErrWrongPassword},
		{"an injection is no user", "alice)(uid=*", "alice-pass-1", ErrWrongPassword},
		{"escaped name", "o*brien)", "obrien-pass-1", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := d.CheckPassword(ctx, tc.user, "", []byte(tc.pw)); !errors.Is(err, tc.want) && err != tc.want {
				t.Errorf("CheckPassword(%q) = %v, want %v", tc.user, err, tc.want)
			}
		})
	}
	srv.SetPassword(t, "alice", "alice-pass-new")
	if err := d.CheckPassword(ctx, "alice", "", []byte("alice-pass-new")); err != nil {
		t.Errorf("the new password: %v", err)
	}
	if err := d.CheckPassword(ctx, "alice", "", []byte("alice-pass-1")); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("the old password: %v, want wrong", err)
	}
	srv.RemoveMember(t, "alice")
	if err := d.CheckPassword(ctx, "alice", "", []byte("alice-pass-new")); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("a member removed from the group: %v, want wrong", err)
	}
}

func TestOutageIsNoWrongPassword(t *testing.T) {
	srv, d := open(t)
	srv.Stop()
	ctx := context.Background()
	if err := d.CheckPassword(ctx, "alice", "", []byte("alice-pass-1")); !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrWrongPassword) {
		t.Errorf("CheckPassword with the directory down = %v, want ErrUnavailable", err)
	}
	if _, err := d.Members(ctx); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Members with the directory down = %v, want ErrUnavailable", err)
	}
	bad, err := New(Config{URL: "ldap://127.0.0.1:1", BindDN: ldaptest.BindDN, BindPassword: "wrong", Base: ldaptest.Base})
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.CheckPassword(ctx, "alice", "", []byte("x")); !errors.Is(err, ErrUnavailable) {
		t.Errorf("nothing listening: %v, want ErrUnavailable", err)
	}
}

func TestServiceBindRefusedIsUnavailable(t *testing.T) {
	srv, _ := open(t)
	d, err := New(Config{URL: srv.URL, BindDN: ldaptest.BindDN, BindPassword: "not-it", Base: ldaptest.Base, Group: ldaptest.Group})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.CheckPassword(context.Background(), "alice", "", []byte("alice-pass-1")); !errors.Is(err, ErrUnavailable) {
		t.Errorf("a refused service account = %v, want ErrUnavailable (no user's fault)", err)
	}
}

func TestMembers(t *testing.T) {
	srv, d := open(t)
	srv.AddUser(t, ldaptest.User{UID: "dave", Password: "dave-pass-1", Mobile: "07700 900123", Member: true})
	people, err := d.Members(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Person{}
	for _, p := range people {
		got[p.UserID] = p
	}
	if len(got) != 3 {
		t.Fatalf("members %+v, want alice, o*brien) and dave", people)
	}
	if a := got["alice"]; a.Email != "alice@bank.test" || a.Phone != "+447700900123" || a.Lang != "it" || a.Invalid != "" || a.DN != ldaptest.DN("alice") {
		t.Errorf("alice = %+v", a)
	}
	if d := got["dave"]; d.Invalid == "" || d.Phone != "" {
		t.Errorf("dave's national number = %+v, want Invalid", d)
	}
}

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		url  string
		ok   bool
		tls  bool
		name string
	}{
		{"ldaps://dc.bank.test", true, false, "ldaps"},
		{"ldap://dc.bank.test", true, true, "remote ldap takes StartTLS"},
		{"ldap://127.0.0.1:389", true, false, "loopback"},
		{"http://dc.bank.test", false, false, "not ldap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := New(Config{URL: tc.url, Base: "dc=bank"})
			if (err == nil) != tc.ok {
				t.Fatalf("New(%q): %v", tc.url, err)
			}
			if err == nil && d.startTLS != tc.tls {
				t.Errorf("StartTLS %v, want %v", d.startTLS, tc.tls)
			}
		})
	}
	if _, err := New(Config{URL: "ldaps://x", Base: "dc=x", UserFilter: "(uid=alice)"}); err == nil {
		t.Error("a filter without {user} was taken")
	}
	ad, _ := New(Config{URL: "ldaps://x", Base: "dc=x", AD: true, Group: "cn=G (1),dc=x"})
	if got, want := ad.userFilter("a*"), `(&(sAMAccountName=a\2a)(memberOf:1.2.840.113556.1.4.1941:=cn=G \281\29,dc=x))`; got != want {
		t.Errorf("AD filter %s, want %s", got, want)
	}
}

// A groupOfUniqueNames group (uniqueMember) works as a groupOfNames one:
// its members are synced, and their passwords are checked.
func TestUniqueMemberGroup(t *testing.T) {
	srv, _ := open(t)
	group := "cn=unique,ou=groups," + ldaptest.Base
	srv.AddEntry(t, group, map[string][]string{"objectClass": {"groupOfUniqueNames"}, "cn": {"unique"},
		"uniqueMember": {ldaptest.DN("bob")}}, false)
	d, err := New(Config{URL: srv.URL, BindDN: ldaptest.BindDN, BindPassword: ldaptest.BindPW, Base: ldaptest.Base, Group: group})
	if err != nil {
		t.Fatal(err)
	}
	people, err := d.Members(context.Background())
	if err != nil || len(people) != 1 || people[0].UserID != "bob" {
		t.Fatalf("members: %+v, %v; want bob", people, err)
	}
	if err := d.CheckPassword(context.Background(), "bob", people[0].Key, []byte("bob-pass-1")); err != nil {
		t.Errorf("bob's password in a uniqueMember group: %v", err)
	}
	if err := d.CheckPassword(context.Background(), "alice", "", []byte("alice-pass-1")); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("alice, not in that group: %v, want ErrWrongPassword", err)
	}
}
