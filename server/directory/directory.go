// Package directory is the bank's directory (OpenLDAP, Active Directory)
// as the rules (server/account) see it: a checker of passwords, by a bind
// as the user, and a list of the people who may use softtoken. It decides
// nothing: the rules throttle, lock, audit and keep users; this package
// never stores or caches a password.
//
// An answer of the directory is one of three: right, wrong
// (ErrWrongPassword: also a user the directory does not have or who is
// not in the group, so that nobody learns who exists), or no answer
// (ErrUnavailable: the network, a timeout, the service account's bind, any
// other failure), which must never look like a wrong password.
package directory

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Errors of a check. ErrUnavailable wraps the failure's text, which never
// holds a password.
var (
	ErrWrongPassword = errors.New("wrong directory password")
	ErrUnavailable   = errors.New("the directory does not answer")
)

// Directory is what the rules ask the directory.
type Directory interface {
	// CheckPassword binds as userID's entry with pw: nil when the
	// password is right and the user is an enabled member of the group,
	// ErrWrongPassword when not (an empty password is never sent), or
	// when key is not "" and the entry's Key is another (a new person
	// who was given a leaver's user ID), ErrUnavailable when the
	// directory does not answer.
	CheckPassword(ctx context.Context, userID, key string, pw []byte) error
	// Members lists the group's people, each mapped to a user record.
	Members(ctx context.Context) ([]Person, error)
}

// Person is a member of the group as softtoken keeps them.
type Person struct {
	// UserID is the user's softtoken user ID (the directory's uid or
	// sAMAccountName).
	UserID string
	DN     string
	// Key is the entry's own identity, which a rename keeps and a new
	// person never has: entryUUID (RFC 4530), or Active Directory's
	// objectGUID in hexadecimal; "" when the directory gives none. A user
	// ID can be given again to someone else; the key cannot.
	Key string
	// Email and Phone (E.164) are "" when the directory has none; Lang is
	// a server/lang code, "" when the directory's is none or not spoken.
	Email, Phone, Lang string
	// Disabled says the directory disabled the account (Active
	// Directory's userAccountControl).
	Disabled bool
	// Invalid says why the entry could not be mapped (a mail or number
	// that is not one): the sync leaves such a user as it is.
	Invalid string
}

// Attrs names the directory's attributes that map to a user record.
type Attrs struct {
	UserID, Mail, Mobile, Lang string
}

// Config says how to reach and read the directory.
type Config struct {
	// URL is ldaps://HOST[:PORT], or ldap://HOST[:PORT], which uses
	// StartTLS unless HOST is a loopback address (tests).
	URL string
	// BindDN and BindPassword are the service account that searches.
	BindDN, BindPassword string
	// Base is where users are searched.
	Base string
	// UserFilter finds a user by the typed user ID, "{user}" standing for
	// it, RFC 4515-escaped: default "(uid={user})", or
	// "(sAMAccountName={user})" for AD.
	UserFilter string
	// Group is the DN of the group whose members may use softtoken ("":
	// anyone the filter finds may sign in; the sync needs one).
	Group string
	// CAFile is a PEM file of the CAs to trust ("": the system's).
	CAFile string
	// AD is Active Directory: nested groups by LDAP_MATCHING_RULE_IN_CHAIN
	// and userAccountControl's disabled bit.
	AD bool
	// Attrs maps the user record (defaults: uid, mail, mobile,
	// preferredLanguage; sAMAccountName for the user ID on AD).
	Attrs Attrs
	// Timeout bounds each connection's dial and each operation (default
	// 10 s).
	Timeout time.Duration
}

// withDefaults fills what c leaves empty and checks the rest.
func (c Config) withDefaults() (Config, error) {
	uidAttr := "uid"
	if c.AD {
		uidAttr = "sAMAccountName"
	}
	if c.UserFilter == "" {
		c.UserFilter = "(" + uidAttr + "={user})"
	}
	if !strings.Contains(c.UserFilter, "{user}") {
		return c, errors.New("directory: the user filter has no {user}")
	}
	c.Attrs.UserID = or(c.Attrs.UserID, uidAttr)
	c.Attrs.Mail = or(c.Attrs.Mail, "mail")
	c.Attrs.Mobile = or(c.Attrs.Mobile, "mobile")
	c.Attrs.Lang = or(c.Attrs.Lang, "preferredLanguage")
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Base == "" {
		return c, errors.New("directory: no base")
	}
	if _, err := c.startTLS(); err != nil {
		return c, err
	}
	return c, nil
}

// startTLS says whether the URL's connection needs StartTLS, and refuses
// a plain connection to anywhere but loopback.
func (c Config) startTLS() (bool, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return false, fmt.Errorf("directory url: %w", err)
	}
	switch u.Scheme {
	case "ldaps":
		return false, nil
	case "ldap":
		ip := net.ParseIP(u.Hostname())
		return !(ip != nil && ip.IsLoopback() || u.Hostname() == "localhost"), nil
	}
	return false, fmt.Errorf("directory url %q: say ldaps:// or ldap://", c.URL)
}

// or is s, or def when s is "".
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
