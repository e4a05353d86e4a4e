package radius_test

import (
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
)

// The done-when of issue 25, with FreeRADIUS's radclient: the password
// gets an Access-Challenge with a State and a prompt, the passcode with
// that State an Access-Accept, the same passcode again (a new login) an
// Access-Reject, and the State used once more an Access-Reject.
func TestChallengeFlow(t *testing.T) {
	d := open(t, servertest.Options{}, nil)
	tok := enrolled(t, d.s, "trader")
	d.s.Clock.Advance(30 * time.Second)
	code := codeAt(t, d.s, tok, 0)

	r := d.radclient(t, secret, signed("trader", "trader-pass", "")...)
	if r.Code != "Access-Challenge" || r.Attrs["State"] == "" || r.Attrs["Reply-Message"] != "Enter your passcode" {
		t.Fatalf("password: %+v, want a challenge with a State and a prompt", r)
	}
	state := r.Attrs["State"]
	if r := d.radclient(t, secret, signed("trader", code, state)...); r.Code != "Access-Accept" {
		t.Fatalf("passcode with the State: %+v, want Access-Accept", r)
	}
	if r := d.radclient(t, secret, signed("trader", code, state)...); r.Code != "Access-Reject" {
		t.Errorf("the State again: %+v, want Access-Reject", r)
	}
	r = d.radclient(t, secret, signed("trader", "trader-pass", "")...)
	if r.Code != "Access-Challenge" {
		t.Fatalf("password again: %+v", r)
	}
	if r := d.radclient(t, secret, signed("trader", code, r.Attrs["State"])...); r.Code != "Access-Reject" {
		t.Errorf("the used passcode in a new login: %+v, want Access-Reject", r)
	}
}

// Wrong passwords, unknown users and requests without a password are
// rejected at once, without a challenge.
func TestWrongPasswordRejected(t *testing.T) {
	d := open(t, servertest.Options{}, nil)
	enrolled(t, d.s, "trader")
	for name, attrs := range map[string][]string{
		"wrong password": signed("trader", "not-the-pass", ""),
		"unknown user":   signed("nobody", "trader-pass", ""),
		"no password":    {`User-Name = "trader"`, "Message-Authenticator = 0x00"},
	} {
		if r := d.radclient(t, secret, attrs...); r.Code != "Access-Reject" {
			t.Errorf("%s: %+v, want Access-Reject", name, r)
		}
	}
}

// Ten wrong passcodes over RADIUS lock the user exactly as on the
// websocket: the websocket then answers "locked" even with the right
// passcode, and so does RADIUS.
func TestTenWrongPasscodesLock(t *testing.T) {
	d := open(t, servertest.Options{}, nil)
	tok := enrolled(t, d.s, "trader")
	d.s.Clock.Advance(30 * time.Second)
	for i := range 10 {
		r := d.radclient(t, secret, signed("trader", "trader-pass", "")...)
		if r.Code != "Access-Challenge" {
			t.Fatalf("password %d: %+v", i, r)
		}
		if r := d.radclient(t, secret, signed("trader", "000000", r.Attrs["State"])...); r.Code != "Access-Reject" {
			t.Fatalf("wrong passcode %d: %+v", i, r)
		}
	}
	c := d.s.Dial()
	defer c.Close()
	if r := c.Login("trader", "trader-pass", codeAt(t, d.s, tok, 0)); r.Result != wire.ResultLocked {
		t.Errorf("websocket login after ten wrong passcodes over RADIUS: %q, want %q", r.Result, wire.ResultLocked)
	}
	if r := d.radclient(t, secret, signed("trader", "trader-pass", "")...); r.Code != "Access-Reject" {
		t.Errorf("RADIUS password of a locked user: %+v, want Access-Reject", r)
	}
}

// Unsigned requests, wrongly signed ones and those under another secret
// get no answer at all (BlastRADIUS), and are counted.
func TestUnsignedRequestsDropped(t *testing.T) {
	d := open(t, servertest.Options{}, nil)
	d.wait = "2" // none comes: the counters say the requests were seen
	enrolled(t, d.s, "trader")
	for name, send := range map[string]func() reply{
		"no Message-Authenticator": func() reply {
			return d.radclient(t, secret, `User-Name = "trader"`, `User-Password = "trader-pass"`)
		},
		"wrong secret": func() reply { return d.radclient(t, "another-secret-of-16+", signed("trader", "trader-pass", "")...) },
	} {
		if r := send(); r.Code != "" {
			t.Errorf("%s: %+v, want no answer", name, r)
		}
	}
	for result, want := range map[string]float64{"dropped_no_message_authenticator": 1, "dropped_bad_message_authenticator": 1} {
		if got := counted(t, d, "vpn", result); got != want {
			t.Errorf("softtoken_radius_requests_total{client=vpn,result=%s} = %v, want %v", result, got, want)
		}
	}
}
