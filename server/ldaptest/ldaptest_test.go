package ldaptest

import (
	"testing"

	"github.com/go-ldap/ldap/v3"
)

// bind binds to s as dn with pw on a new connection.
func bind(t *testing.T, s *Server, dn, pw string) error {
	t.Helper()
	c, err := ldap.DialURL(s.URL)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	return c.Bind(dn, pw)
}

func TestServerPasswordsAndGroup(t *testing.T) {
	s := Start(t, User{UID: "alice", Password: "old-pass-1", Mail: "alice@bank.test", Member: true})
	if err := bind(t, s, BindDN, BindPW); err != nil {
		t.Fatalf("service bind: %v", err)
	}
	if err := bind(t, s, DN("alice"), "old-pass-1"); err != nil {
		t.Fatalf("alice's bind: %v", err)
	}
	s.SetPassword(t, "alice", "new-pass-2")
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"new-pass-2", true}, {"old-pass-1", false}} {
		if err := bind(t, s, DN("alice"), tc.pw); (err == nil) != tc.want {
			t.Errorf("bind with %q: %v, want success %v", tc.pw, err, tc.want)
		}
	}
	s.RemoveMember(t, "alice")
	s.AddUser(t, User{UID: "bob", Password: "bob-pass-1", Member: true})
	c, err := ldap.DialURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Search(ldap.NewSearchRequest(Group, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", []string{"member"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	got := res.Entries[0].GetAttributeValues("member")
	if len(got) != 2 || got[1] != DN("bob") {
		t.Errorf("members %q, want the service account and bob", got)
	}
	s.Stop()
	if _, err := ldap.DialURL(s.URL); err == nil {
		t.Error("a stopped server still answers")
	}
}
