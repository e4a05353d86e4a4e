package account

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/softtoken/softtoken/server/request"
	"github.com/softtoken/softtoken/server/store"
)

// Scope is what a service account may do. A service account signs in
// with its password alone (a web back-end cannot type a passcode), so it
// is the strongest account with the weakest proof: it may do only what
// its scopes name, and only from the networks it names.
type Scope string

// The scopes of service accounts.
const (
	// ScopeVerify: verifylogin, checking users' passwords and passcodes
	// for a web back-end.
	ScopeVerify Scope = "verify"
	// ScopeManage: adduser in all its uses (creating and updating users,
	// password changes and resets).
	ScopeManage Scope = "manage"
)

// Scopes are every scope, in the order they are written.
var Scopes = []Scope{ScopeVerify, ScopeManage}

// DefaultServiceScopes are the scopes of a service account made without
// any: it may only verify.
var DefaultServiceScopes = []Scope{ScopeVerify}

// DefaultServiceNetworks are the networks a service account may sign in
// from unless it names others: the server's own host.
var DefaultServiceNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// ErrBadScope: a scope or network a service account cannot have.
var ErrBadScope = fmt.Errorf("%w: not a scope or network a service account can have", ErrNotAllowed)

// ServiceLimits are a service account's scopes and networks, as given
// when it is made (empty fields take the defaults: verify, from
// loopback).
type ServiceLimits struct {
	Scopes   []Scope
	Networks []netip.Prefix
}

// ParseScopes reads a comma-separated list of scopes.
func ParseScopes(list string) ([]Scope, error) {
	var out []Scope
	for _, f := range strings.Split(list, ",") {
		sc := Scope(strings.ToLower(strings.TrimSpace(f)))
		if sc == "" {
			continue
		}
		if !slices.Contains(Scopes, sc) {
			return nil, fmt.Errorf("%w: scope %q (choose from verify, manage)", ErrBadScope, f)
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}

// ParseNetworks reads a comma-separated list of networks (CIDR prefixes,
// or single addresses).
func ParseNetworks(list string) ([]netip.Prefix, error) {
	nets, err := request.ParseNetworks(list)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadScope, err)
	}
	return nets, nil
}

// withDefaults is l with the defaults filled in.
func (l ServiceLimits) withDefaults() ServiceLimits {
	if len(l.Scopes) == 0 {
		l.Scopes = DefaultServiceScopes
	}
	if len(l.Networks) == 0 {
		l.Networks = DefaultServiceNetworks
	}
	return l
}

// columns writes l as the store keeps it.
func (l ServiceLimits) columns() (scope, networks string) {
	var s, n []string
	for _, sc := range l.Scopes {
		s = append(s, string(sc))
	}
	for _, p := range l.Networks {
		n = append(n, p.String())
	}
	return strings.Join(s, ","), strings.Join(n, ",")
}

// limitsOf reads a service account's limits from its row; a row that does
// not parse allows nothing.
func limitsOf(u store.User) ServiceLimits {
	scopes, err := ParseScopes(u.Scope)
	if err != nil {
		return ServiceLimits{}
	}
	nets, err := ParseNetworks(u.Networks)
	if err != nil {
		return ServiceLimits{}
	}
	return ServiceLimits{Scopes: scopes, Networks: nets}
}

// ScopeError is a service account's request outside its scopes: it is
// ErrNotAllowed, and the audit records it under the service account.
type ScopeError struct {
	Actor string
	Need  Scope
}

func (e *ScopeError) Error() string {
	return fmt.Sprintf("%v: the service account %s has no %q scope", ErrNotAllowed, e.Actor, e.Need)
}

// Unwrap makes a ScopeError ErrNotAllowed.
func (e *ScopeError) Unwrap() error { return ErrNotAllowed }

// may checks that the administrator u may act with scope: every scope for
// a person (who signed in with two factors), only those it names for a
// service account.
func may(u store.User, need Scope) error {
	if !u.Service || slices.Contains(limitsOf(u).Scopes, need) {
		return nil
	}
	return &ScopeError{Actor: u.UserID, Need: need}
}

// fromAllowed reports whether client (an address, with or without port)
// is inside the networks of the service account u.
func fromAllowed(u store.User, client string) bool {
	a, err := netip.ParseAddrPort(client)
	addr := a.Addr()
	if err != nil {
		if addr, err = netip.ParseAddr(client); err != nil {
			return false
		}
	}
	addr = addr.Unmap()
	for _, p := range limitsOf(u).Networks {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
