package ldaptest

import (
	"testing"

	"github.com/go-ldap/ldap/v3"
)

// root runs fn on a connection bound as the directory's root.
func (s *Server) root(t testing.TB, fn func(c *ldap.Conn) error) {
	t.Helper()
	c, err := ldap.DialURL(s.URL)
	if err != nil {
		t.Fatalf("dial slapd: %v", err)
	}
	defer c.Close()
	if err := c.Bind(rootDN, rootPW); err != nil {
		t.Fatalf("bind as root: %v", err)
	}
	if err := fn(c); err != nil {
		t.Fatalf("slapd: %v", err)
	}
}

// load adds the base, the people, the service account and the group.
func (s *Server) load(t testing.TB, users []User) {
	t.Helper()
	s.root(t, func(c *ldap.Conn) error {
		adds := []*ldap.AddRequest{
			add(Base, map[string][]string{"objectClass": {"dcObject", "organization"}, "dc": {"bank"}, "o": {"Bank"}}),
			add(People, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"people"}}),
			add(groupsOU, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"groups"}}),
			add(BindDN, map[string][]string{"objectClass": {"organizationalRole", "simpleSecurityObject"},
				"cn": {"softtoken-service"}, "userPassword": {BindPW}}),
		}
		// groupOfNames needs a member: the service account stands in,
		// and is no person (it has no uid).
		members := []string{BindDN}
		for _, u := range users {
			adds = append(adds, u.entry())
			if u.Member {
				members = append(members, u.DN())
			}
		}
		adds = append(adds, add(Group, map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"softtoken"}, "member": members}))
		for _, a := range adds {
			if err := c.Add(a); err != nil {
				return err
			}
		}
		return nil
	})
}

// entry is u's add request.
func (u User) entry() *ldap.AddRequest {
	attrs := map[string][]string{"objectClass": {"inetOrgPerson"}, "uid": {u.UID}, "cn": {u.UID}, "sn": {u.UID}}
	for name, v := range map[string]string{"userPassword": u.Password, "mail": u.Mail, "mobile": u.Mobile, "preferredLanguage": u.Lang} {
		if v != "" {
			attrs[name] = []string{v}
		}
	}
	return add(u.DN(), attrs)
}

// add is an add request of dn with attrs.
func add(dn string, attrs map[string][]string) *ldap.AddRequest {
	a := ldap.NewAddRequest(dn, nil)
	for name, vals := range attrs {
		a.Attribute(name, vals)
	}
	return a
}

// AddUser adds u (to the group too when u.Member).
func (s *Server) AddUser(t testing.TB, u User) {
	t.Helper()
	s.root(t, func(c *ldap.Conn) error {
		if err := c.Add(u.entry()); err != nil {
			return err
		}
		if !u.Member {
			return nil
		}
		m := ldap.NewModifyRequest(Group, nil)
		m.Add("member", []string{u.DN()})
		return c.Modify(m)
	})
}

// Set replaces attribute attr of uid's entry with value ("" deletes it).
func (s *Server) Set(t testing.TB, uid, attr, value string) {
	t.Helper()
	s.root(t, func(c *ldap.Conn) error {
		m := ldap.NewModifyRequest(DN(uid), nil)
		if value == "" {
			m.Replace(attr, nil)
		} else {
			m.Replace(attr, []string{value})
		}
		return c.Modify(m)
	})
}

// SetPassword changes uid's password, as the directory's administrator.
func (s *Server) SetPassword(t testing.TB, uid, pw string) {
	t.Helper()
	s.root(t, func(c *ldap.Conn) error {
		_, err := c.PasswordModify(ldap.NewPasswordModifyRequest(DN(uid), "", pw))
		return err
	})
}

// RemoveMember takes uid out of the softtoken group.
func (s *Server) RemoveMember(t testing.TB, uid string) {
	t.Helper()
	s.root(t, func(c *ldap.Conn) error {
		m := ldap.NewModifyRequest(Group, nil)
		m.Delete("member", []string{DN(uid)})
		return c.Modify(m)
	})
}

// AddEntry adds an entry of dn with attrs, as the directory's
// administrator (to the group too when member): an entry the User helpers
// do not make, such as a second person with a user ID already taken.
func (s *Server) AddEntry(t testing.TB, dn string, attrs map[string][]string, member bool) {
	t.Helper()
	s.root(t, func(c *ldap.Conn) error {
		if err := c.Add(add(dn, attrs)); err != nil {
			return err
		}
		if !member {
			return nil
		}
		m := ldap.NewModifyRequest(Group, nil)
		m.Add("member", []string{dn})
		return c.Modify(m)
	})
}

// DeleteEntry deletes uid's entry, as the directory's administrator does
// when someone leaves (the group keeps its member value until removed).
func (s *Server) DeleteEntry(t testing.TB, uid string) {
	t.Helper()
	s.root(t, func(c *ldap.Conn) error { return c.Del(ldap.NewDelRequest(DN(uid), nil)) })
}
