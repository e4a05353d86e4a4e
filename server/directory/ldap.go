package directory

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// inChain is Active Directory's LDAP_MATCHING_RULE_IN_CHAIN: membership
// through nested groups.
const inChain = "1.2.840.113556.1.4.1941"

// LDAP is a Directory over LDAP (OpenLDAP, Active Directory).
type LDAP struct {
	cfg      Config
	tls      *tls.Config
	startTLS bool
}

// New checks cfg and returns its directory; it connects to nothing yet.
func New(cfg Config) (*LDAP, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.URL)
	tc := &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("directory ca: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("directory ca %s: no PEM certificate", cfg.CAFile)
		}
	}
	st, _ := cfg.startTLS()
	return &LDAP{cfg: cfg, tls: tc, startTLS: st}, nil
}

// unavailable wraps err as ErrUnavailable.
func unavailable(what string, err error) error {
	return fmt.Errorf("%w: %s: %v", ErrUnavailable, what, err)
}

// dial opens a connection (with StartTLS where the URL needs it), closed
// when ctx ends; it is not bound.
func (d *LDAP) dial(ctx context.Context) (*ldap.Conn, func(), error) {
	timeout := d.cfg.Timeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	c, err := ldap.DialURL(d.cfg.URL, ldap.DialWithDialer(&net.Dialer{Timeout: timeout}), ldap.DialWithTLSConfig(d.tls))
	if err != nil {
		return nil, nil, unavailable("connect", err)
	}
	c.SetTimeout(timeout)
	stop := context.AfterFunc(ctx, func() { c.Close() })
	done := func() { stop(); c.Close() }
	if d.startTLS {
		if err := c.StartTLS(d.tls); err != nil {
			done()
			return nil, nil, unavailable("starttls", err)
		}
	}
	return c, done, nil
}

// service opens a connection bound as the service account.
func (d *LDAP) service(ctx context.Context) (*ldap.Conn, func(), error) {
	c, done, err := d.dial(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := c.Bind(d.cfg.BindDN, d.cfg.BindPassword); err != nil {
		done()
		return nil, nil, unavailable("the service account's bind", err)
	}
	return c, done, nil
}

// userFilter is the filter that finds userID (RFC 4515-escaped), limited
// to the group's members, nested ones included, on AD.
func (d *LDAP) userFilter(userID string) string {
	f := strings.ReplaceAll(d.cfg.UserFilter, "{user}", ldap.EscapeFilter(userID))
	if d.cfg.AD && d.cfg.Group != "" {
		f = "(&" + f + "(memberOf:" + inChain + ":=" + ldap.EscapeFilter(d.cfg.Group) + "))"
	}
	return f
}

// CheckPassword finds userID with the service account, checks it is an
// enabled member of the group, then binds as its entry with pw on a
// fresh connection.
func (d *LDAP) CheckPassword(ctx context.Context, userID, key string, pw []byte) error {
	if len(pw) == 0 {
		return ErrWrongPassword // an empty password is an unauthenticated bind, which succeeds
	}
	p, err := d.find(ctx, userID)
	if err != nil {
		return err
	}
	if p.Disabled || key != "" && p.Key != key {
		return ErrWrongPassword
	}
	c, done, err := d.dial(ctx)
	if err != nil {
		return err
	}
	defer done()
	err = c.Bind(p.DN, string(pw))
	switch {
	case err == nil:
		return nil
	case ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials):
		return ErrWrongPassword
	}
	return unavailable("the user's bind", err)
}

// find reads userID's entry, if it is one member of the group.
func (d *LDAP) find(ctx context.Context, userID string) (Person, error) {
	c, done, err := d.service(ctx)
	if err != nil {
		return Person{}, err
	}
	defer done()
	res, err := c.Search(ldap.NewSearchRequest(d.cfg.Base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 2, 0, false,
		d.userFilter(userID), d.attrs(), nil))
	switch {
	case ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) || err == nil && len(res.Entries) != 1:
		return Person{}, ErrWrongPassword // none, or not one
	case err != nil:
		return Person{}, unavailable("search", err)
	}
	e := res.Entries[0]
	if !d.cfg.AD && d.cfg.Group != "" {
		in, err := c.Search(ldap.NewSearchRequest(d.cfg.Group, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
			"(|(member="+ldap.EscapeFilter(e.DN)+")(uniqueMember="+ldap.EscapeFilter(e.DN)+"))", []string{"1.1"}, nil))
		switch {
		case err != nil:
			return Person{}, unavailable("group", err)
		case len(in.Entries) == 0:
			return Person{}, ErrWrongPassword
		}
	}
	p, err := person(d.values(e), d.cfg.AD)
	if err != nil {
		return Person{}, ErrWrongPassword
	}
	return p, nil
}

// attrs are the attributes a person is read with.
func (d *LDAP) attrs() []string {
	a := []string{d.cfg.Attrs.UserID, d.cfg.Attrs.Mail, d.cfg.Attrs.Mobile, d.cfg.Attrs.Lang, d.keyAttr()}
	if d.cfg.AD {
		a = append(a, "userAccountControl")
	}
	return a
}

// values reads a person's attributes from e.
func (d *LDAP) values(e *ldap.Entry) entryValues {
	return entryValues{dn: e.DN, userID: e.GetAttributeValue(d.cfg.Attrs.UserID), mail: e.GetAttributeValue(d.cfg.Attrs.Mail),
		mobile: e.GetAttributeValue(d.cfg.Attrs.Mobile), lang: e.GetAttributeValue(d.cfg.Attrs.Lang),
		uac: e.GetAttributeValue("userAccountControl"), key: d.key(e)}
}

// keyAttr is the attribute of an entry's own identity (Person.Key): an
// operational attribute, read only when asked for by name.
func (d *LDAP) keyAttr() string {
	if d.cfg.AD {
		return "objectGUID"
	}
	return "entryUUID"
}

// key is e's identity: entryUUID as it is, objectGUID (16 bytes) in
// hexadecimal.
func (d *LDAP) key(e *ldap.Entry) string {
	if d.cfg.AD {
		return hex.EncodeToString(e.GetRawAttributeValue("objectGUID"))
	}
	return e.GetAttributeValue("entryUUID")
}

// Members lists the group's people: on AD by a paged search of the nested
// membership, elsewhere by reading each member entry of the groupOfNames
// (entries the user filter does not match, such as other groups or
// service accounts, and entries outside the base, where the password
// check does not search, are left out).
func (d *LDAP) Members(ctx context.Context) ([]Person, error) {
	if d.cfg.Group == "" {
		return nil, errors.New("directory: no group to sync")
	}
	c, done, err := d.service(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	all := strings.ReplaceAll(d.cfg.UserFilter, "{user}", "*")
	var entries []*ldap.Entry
	if d.cfg.AD {
		res, err := c.SearchWithPaging(ldap.NewSearchRequest(d.cfg.Base, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
			"(&"+all+"(memberOf:"+inChain+":="+ldap.EscapeFilter(d.cfg.Group)+"))", d.attrs(), nil), 500)
		if err != nil {
			return nil, unavailable("members", err)
		}
		entries = res.Entries
	} else {
		g, err := c.Search(ldap.NewSearchRequest(d.cfg.Group, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false,
			"(objectClass=*)", []string{"member", "uniqueMember"}, nil))
		if err != nil || len(g.Entries) != 1 {
			return nil, unavailable("group", fmt.Errorf("read %s: %v", d.cfg.Group, err))
		}
		base, err := ldap.ParseDN(d.cfg.Base)
		if err != nil {
			return nil, fmt.Errorf("directory base %q: %w", d.cfg.Base, err)
		}
		dns := append(g.Entries[0].GetAttributeValues("member"), g.Entries[0].GetAttributeValues("uniqueMember")...)
		for _, dn := range dns {
			if in, err := ldap.ParseDN(dn); err != nil || !base.AncestorOfFold(in) {
				continue // outside the base, where no password is checked
			}
			res, err := c.Search(ldap.NewSearchRequest(dn, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 1, 0, false, all, d.attrs(), nil))
			switch {
			case ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject):
				continue // a member whose entry is gone
			case err != nil:
				return nil, unavailable("member", err)
			}
			entries = append(entries, res.Entries...)
		}
	}
	people := make([]Person, 0, len(entries))
	for _, e := range entries {
		if p, err := person(d.values(e), d.cfg.AD); err == nil {
			people = append(people, p)
		}
	}
	return people, nil
}
