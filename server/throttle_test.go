package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/request"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
)

// The password throttle and the per-address limits over the real
// interfaces: wrong passwords slow their source down, never lock the
// account, and keep no one else out.

// The policy: 1,000 wrong passwords from one address neither
// lock the account nor stop the real user logging in from another address.
func TestWrongPasswordsDoNotLockTheAccount(t *testing.T) {
	s := open(t, servertest.Options{})
	tok := enrolled(t, s, "trader")
	results := map[string]int{}
	for i := range 1000 {
		c := s.DialFrom("127.0.0.1")
		results[c.Login("trader", fmt.Sprintf("guess-%04d", i), "").Result]++
		c.Close()
	}
	if results[wire.ResultInvalidLogin] > 10 || results[wire.ResultRateLimited] < 990 {
		t.Errorf("1,000 wrong passwords: %v; want nearly all throttled", results)
	}
	c := s.DialFrom("127.0.0.2")
	if r := c.Login("trader", "trader-pass", codeAt(t, s, tok, 1)); r.Result != wire.ResultOK {
		t.Errorf("the real user from another address: %+v", r)
	}
	c.Close()
	if u := show(t, s, "trader"); u.LockedUntil != nil || u.Failures != 0 {
		t.Errorf("wrong passwords counted against the account: %+v", u)
	}
}

// The pages' sign-in limits are per address and per user ID from that
// address: a stranger's wrong passwords do not keep the user out of the
// enrol site or the help desk elsewhere.
func TestPagesDoNotLetAStrangerKeepTheUserOut(t *testing.T) {
	s := open(t, servertest.Options{})
	enrolled(t, s, "trader")
	stranger := servertest.NewBrowserFrom(t, s.URL, "127.0.0.5")
	for i := range 15 {
		stranger.SignIn("trader", fmt.Sprintf("guess-%d", i))
	}
	if _, body := servertest.NewBrowserFrom(t, s.URL, "127.0.0.9").SignIn("trader", "trader-pass"); !strings.Contains(body, "Now the passcode") {
		t.Errorf("the real user on the enrol site: %s", errorOf(body))
	}
	desk := servertest.NewBrowserFrom(t, s.Helpdesk, "127.0.0.5")
	for i := range 15 {
		desk.Get("")
		desk.Post("", url.Values{"userid": {"trader"}})
		desk.Post("password", url.Values{"password": {fmt.Sprintf("guess-%d", i)}})
	}
	helpdeskAtQuestion(t, s, "trader") // the real user, from this test's own address
}

// Per-address limits and the password throttle keyed on the
// whole IPv6 address. Anyone with one IPv6 /64 (every home line and
// cloud host has one) has 2^64 addresses: each new one got 5 free wrong
// passwords for a user ID and a fresh burst of connections. Now an IPv6
// client counts as its /64. Shown behind
// a trusted proxy that forwards IPv6 clients (as every dual-stack proxy
// does); a server listening on IPv6 itself is the same.
func TestIPv6NetworksAreThrottledAsOne(t *testing.T) {
	s := servertest.NewWith(t, servertest.Options{Proxies: request.Proxies{Trusted: proxy}})
	enrolled(t, s, "vic")
	const guesses = 20
	guess := func(addr func(i int) string) (throttled, refused int) {
		for i := range guesses {
			c, _, err := s.TryDial("127.0.0.2", http.Header{"X-Forwarded-For": {addr(i)}})
			if err != nil {
				refused++ // the per-address connection limit
				continue
			}
			if r := c.Login("vic", fmt.Sprintf("guess-%d", i), ""); r.Result == wire.ResultRateLimited {
				throttled++
			}
			c.Close()
		}
		return throttled, refused
	}
	// The control: one IPv4 address is throttled after 5 wrong passwords,
	// and its connections limited after a burst of 10.
	if th, ref := guess(func(int) string { return "198.51.100.7" }); th == 0 || ref == 0 {
		t.Fatalf("from one address: %d throttled, %d refused connections; want both", th, ref)
	}
	th, ref := guess(func(i int) string { return fmt.Sprintf("2001:db8:1:2::%x", i+1) })
	if th == 0 && ref == 0 {
		t.Errorf("%d connections and wrong passwords for one user ID from one IPv6 /64: none refused, none throttled", guesses)
	}
}
