package radius_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"layeh.com/radius"
	"layeh.com/radius/rfc2865"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/password"
	radiusdoor "github.com/softtoken/softtoken/server/radius"
	"github.com/softtoken/softtoken/server/servertest"
)

// server is a door's Server on a real server, answering 127.0.0.1 as
// "vpn" and 127.0.0.2 as "citrix" (under secret+"2").
func server(t *testing.T, o servertest.Options, change func(*radiusdoor.Config)) (*servertest.Server, *radiusdoor.Server) {
	t.Helper()
	s := servertest.NewWith(t, o)
	cfg := radiusdoor.Config{Accounts: s.Accounts, Now: s.Clock.Now,
		Clients: mustClients(t, "127.0.0.1 "+secret+" vpn\n127.0.0.2 "+secret+"2 citrix\n")}
	if change != nil {
		change(&cfg)
	}
	return s, radiusdoor.New(cfg)
}

// A State works only for the client, address and user it was given to,
// and only for its lifetime.
func TestStateBound(t *testing.T) {
	s, srv := server(t, servertest.Options{}, nil)
	tok := enrolled(t, s, "trader")
	enrolled(t, s, "other")
	s.Clock.Advance(30 * time.Second)
	challenge := func() []byte {
		t.Helper()
		p := handled(t, srv, "127.0.0.1:4000", secret, request(t, secret, "trader", "trader-pass", nil, false))
		if code(p) != "Access-Challenge" {
			t.Fatalf("password: %s", code(p))
		}
		return rfc2865.State_Get(p)
	}
	for name, try := range map[string]func(st []byte) string{
		"another client": func(st []byte) string {
			return code(handled(t, srv, "127.0.0.2:4000", secret+"2", request(t, secret+"2", "trader", codeAt(t, s, tok, 0), st, false)))
		},
		"another user": func(st []byte) string {
			return code(handled(t, srv, "127.0.0.1:4000", secret, request(t, secret, "other", codeAt(t, s, tok, 0), st, false)))
		},
		"expired": func(st []byte) string {
			s.Clock.Advance(radiusdoor.DefaultStateTTL + time.Second)
			return code(handled(t, srv, "127.0.0.1:4000", secret, request(t, secret, "trader", codeAt(t, s, tok, 0), st, false)))
		},
		"made up": func([]byte) string {
			return code(handled(t, srv, "127.0.0.1:4000", secret, request(t, secret, "trader", codeAt(t, s, tok, 0), []byte("0123456789abcdef01"), false)))
		},
	} {
		if got := try(challenge()); got != "Access-Reject" {
			t.Errorf("%s: %s, want Access-Reject", name, got)
		}
	}
}

// A retransmission (same address and port, identifier and authenticator)
// gets the first answer again without the rules running twice: an
// Accept stays an Accept although its passcode is used up; the same
// passcode in a new request is rejected.
func TestRetransmissionAnsweredAlike(t *testing.T) {
	s, srv := server(t, servertest.Options{}, nil)
	tok := enrolled(t, s, "trader")
	s.Clock.Advance(30 * time.Second)
	p := handled(t, srv, "127.0.0.1:4000", secret, request(t, secret, "trader", "trader-pass", nil, false))
	req := request(t, secret, "trader", codeAt(t, s, tok, 0), rfc2865.State_Get(p), false)
	for i := range 2 {
		if got := code(handled(t, srv, "127.0.0.1:4000", secret, req)); got != "Access-Accept" {
			t.Errorf("sending %d: %s, want Access-Accept", i+1, got)
		}
	}
	if got := code(handled(t, srv, "127.0.0.1:4001", secret, req)); got != "Access-Reject" {
		t.Errorf("the same request from another port (a new one): %s, want Access-Reject", got)
	}
}

// Only listed addresses are answered; unsigned requests are dropped.
func TestDropped(t *testing.T) {
	s, srv := server(t, servertest.Options{}, nil)
	enrolled(t, s, "trader")
	for name, got := range map[string]string{
		"unknown client": code(handled(t, srv, "127.0.0.3:4000", secret, request(t, secret, "trader", "trader-pass", nil, false))),
		"unsigned":       code(handled(t, srv, "127.0.0.1:4000", secret, request(t, secret, "trader", "trader-pass", nil, true))),
		"wrong secret":   code(handled(t, srv, "127.0.0.1:4000", secret, request(t, secret+"2", "trader", "trader-pass", nil, false))),
	} {
		if got != "none" {
			t.Errorf("%s: %s, want no answer", name, got)
		}
	}
}

// Who gets in with what, as on the websocket: a service account never
// (its password alone would do); a user with no second factor never
// under --require-2fa; with one-step, the password and passcode together.
func TestWhoGetsIn(t *testing.T) {
	s, srv := server(t, servertest.Options{}, func(c *radiusdoor.Config) { c.OneStep = true })
	tok := enrolled(t, s, "trader")
	s.AddUser("newcomer", "newcomer-pass")
	s.Clock.Advance(30 * time.Second)
	for _, tc := range []struct{ name, user, pw, want string }{
		{"service account", "admin", "admin-password", "Access-Reject"},
		{"not enrolled", "newcomer", "newcomer-pass", "Access-Reject"},
		{"one step", "trader", "trader-pass" + codeAt(t, s, tok, 0), "Access-Accept"},
		{"one step, wrong passcode", "trader", "trader-pass000000", "Access-Reject"},
		{"password alone, with one step on", "trader", "trader-pass", "Access-Challenge"},
	} {
		if got := code(handled(t, srv, "127.0.0.1:4000", secret, request(t, secret, tc.user, tc.pw, nil, false))); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// An SMS user is sent the passcode with the challenge, which says so in
// their language; the code from the handset completes the login.
func TestSMSUserInItalian(t *testing.T) {
	s, srv := server(t, servertest.Options{Rules: account.Config{SMSMode: account.SMSOnDemand}}, nil)
	const phone = "+393471234567"
	s.Admin("sara-pass\n", "user", "add", "--own-password", "--sms", "--phone", phone, "--lang", "it", "sara")
	p := handled(t, srv, "127.0.0.1:4000", secret, request(t, secret, "sara", "sara-pass", nil, false))
	if msg := rfc2865.ReplyMessage_GetString(p); code(p) != "Access-Challenge" || !strings.Contains(msg, "SMS") || !strings.Contains(msg, "inserisca") {
		t.Fatalf("password: %s %q, want a challenge saying in Italian that an SMS was sent", code(p), msg)
	}
	sent := s.LastSMS(phone)
	if sent == "" {
		t.Fatal("no SMS was sent")
	}
	if got := code(handled(t, srv, "127.0.0.1:4000", secret, request(t, secret, "sara", sent, rfc2865.State_Get(p), false))); got != "Access-Accept" {
		t.Errorf("the code from the SMS: %s, want Access-Accept", got)
	}
}

// A server too busy to check a secret does not answer (nothing is
// counted): the client's retransmission is answered once there is room,
// its State still good.
func TestBusyUnanswered(t *testing.T) {
	pool := password.NewPool(2*int64(servertest.Cheap.Memory)<<10, time.Millisecond)
	s, srv := server(t, servertest.Options{Rules: account.Config{Hashing: pool}}, nil)
	tok := enrolled(t, s, "trader")
	s.Clock.Advance(30 * time.Second)
	p := handled(t, srv, "127.0.0.1:4000", secret, request(t, secret, "trader", "trader-pass", nil, false))
	if code(p) != "Access-Challenge" {
		t.Fatalf("password: %s", code(p))
	}
	held := acquire(t, pool) // the password's check may not have given its room back yet
	req := request(t, secret, "trader", codeAt(t, s, tok, 0), rfc2865.State_Get(p), false)
	if got := code(handled(t, srv, "127.0.0.1:4000", secret, req)); got != "none" {
		t.Errorf("passcode while busy: %s, want no answer", got)
	}
	if got := code(handled(t, srv, "127.0.0.1:4000", secret, request(t, secret, "trader", "trader-pass", nil, false))); got != "none" {
		t.Errorf("password while busy: %s, want no answer", got)
	}
	held.Release()
	if got := code(handled(t, srv, "127.0.0.1:4000", secret, req)); got != "Access-Accept" {
		t.Errorf("the passcode's retransmission once there is room: %s, want Access-Accept", got)
	}
}

// acquire takes all the room of pool, waiting (up to 10 s) for what a
// request just answered still holds: the pool waits only a millisecond.
func acquire(t *testing.T, pool *password.Pool) *password.Slot {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		held, err := pool.Acquire(context.Background(), servertest.Cheap)
		if err == nil {
			return held
		}
		if time.Now().After(end) {
			t.Fatalf("the hashing pool stayed busy: %v", err)
		}
	}
}

// A one-step request that got no answer while the server was busy is
// answered when its retransmission comes after room was made: it is not
// taken for a replay.
func TestBusyOneStepRetransmitted(t *testing.T) {
	pool := password.NewPool(2*int64(servertest.Cheap.Memory)<<10, time.Millisecond)
	s, srv := server(t, servertest.Options{Rules: account.Config{Hashing: pool}}, func(c *radiusdoor.Config) { c.OneStep = true })
	tok := enrolled(t, s, "trader")
	s.Clock.Advance(30 * time.Second)
	held := acquire(t, pool)
	req := request(t, secret, "trader", "trader-pass"+codeAt(t, s, tok, 0), nil, false)
	if got := code(handled(t, srv, "127.0.0.1:4000", secret, req)); got != "none" {
		t.Errorf("one step while busy: %s, want no answer", got)
	}
	held.Release()
	if got := code(handled(t, srv, "127.0.0.1:4000", secret, req)); got != "Access-Accept" {
		t.Errorf("its retransmission once there is room: %s, want Access-Accept", got)
	}
}

// A proxy's Proxy-State attributes come back in the answer, in order.
func TestProxyStateCopied(t *testing.T) {
	s, srv := server(t, servertest.Options{}, nil)
	enrolled(t, s, "trader")
	p := radius.New(radius.CodeAccessRequest, []byte(secret))
	_ = rfc2865.UserName_SetString(p, "trader")
	_ = rfc2865.UserPassword_SetString(p, "wrong-password")
	p.Add(33, radius.Attribute("first"))
	p.Add(33, radius.Attribute("second"))
	req := sign(t, p)
	a := handled(t, srv, "127.0.0.1:4000", secret, req)
	var got []string
	for _, avp := range a.Attributes {
		if avp.Type == 33 {
			got = append(got, string(avp.Attribute))
		}
	}
	if strings.Join(got, ",") != "first,second" {
		t.Errorf("Proxy-State in the answer: %q, want first, second", got)
	}
}

// The audit names the RADIUS client the request came through.
func TestAuditNamesClient(t *testing.T) {
	s, srv := server(t, servertest.Options{}, nil)
	enrolled(t, s, "trader")
	handled(t, srv, "127.0.0.1:4000", secret, request(t, secret, "trader", "wrong-password", nil, false))
	if out := s.Admin("", "audit", "--json", "--user", "trader"); !strings.Contains(out, "via RADIUS client vpn") || !strings.Contains(out, "127.0.0.1") {
		t.Errorf("the audit does not name the RADIUS client:\n%s", out)
	}
}

// A disabled user, and a user ID throttled after wrong passwords, are
// rejected even with the right password, as on the websocket.
func TestDisabledAndThrottledRejected(t *testing.T) {
	s, srv := server(t, servertest.Options{}, nil)
	enrolled(t, s, "gone")
	enrolled(t, s, "trader")
	s.Admin("", "user", "disable", "gone")
	send := func(user, pw string) string {
		return code(handled(t, srv, "127.0.0.1:4000", secret, request(t, secret, user, pw, nil, false)))
	}
	if got := send("gone", "gone-pass"); got != "Access-Reject" {
		t.Errorf("disabled user: %s, want Access-Reject", got)
	}
	for range 2 * account.DefaultFreeFailures {
		send("trader", "wrong-password")
	}
	if got := send("trader", "trader-pass"); got != "Access-Reject" {
		t.Errorf("the right password while throttled: %s, want Access-Reject", got)
	}
	s.Clock.Advance(account.DefaultMaxDelay)
	if got := send("trader", "trader-pass"); got != "Access-Challenge" {
		t.Errorf("the right password after the wait: %s, want Access-Challenge", got)
	}
}

// The rules count wrong passwords by user ID and source: with
// Calling-Station-Id the source is the user's own address, so wrong
// passwords typed at a VPN's login page from one address do not throttle
// the same user ID from another; one not an address (a MAC, a number) is
// the client's address, as without it.
func TestCallingStationIsTheSource(t *testing.T) {
	s, srv := server(t, servertest.Options{}, nil)
	enrolled(t, s, "trader")
	send := func(station, pw string) string {
		p := radius.New(radius.CodeAccessRequest, []byte(secret))
		_ = rfc2865.UserName_SetString(p, "trader")
		_ = rfc2865.UserPassword_SetString(p, pw)
		if station != "" {
			_ = rfc2865.CallingStationID_SetString(p, station)
		}
		return code(handled(t, srv, "127.0.0.1:4000", secret, sign(t, p)))
	}
	for range 2 * account.DefaultFreeFailures {
		send("198.51.100.7", "wrong-password")
	}
	for _, tc := range []struct{ station, want string }{
		{"198.51.100.7", "Access-Reject"},         // throttled
		{"203.0.113.9", "Access-Challenge"},       // another address: not
		{"00-11-22-33-44-55", "Access-Challenge"}, // the client's address: not yet
	} {
		if got := send(tc.station, "trader-pass"); got != tc.want {
			t.Errorf("right password from %q: %s, want %s", tc.station, got, tc.want)
		}
	}
}
