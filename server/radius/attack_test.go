package radius_test

import (
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/radius"
	"github.com/softtoken/softtoken/server/servertest"
)

// A user whose password an administrator chose must change it before
// anything else (the websocket allows nothing but the change). RADIUS
// cannot change a password, so such a user is rejected there, even with
// the right password and passcode, rather than let into the network with
// a password someone else knows.
func TestMustChangePasswordRejected(t *testing.T) {
	d := open(t, servertest.Options{}, nil)
	tok := d.s.Enrol("trader", "trader-pass", d.s.AddUserToChange("trader", "trader-pass"))
	d.s.Clock.Advance(30 * time.Second)
	if r := d.s.Dial().Login("trader", "trader-pass", codeAt(t, d.s, tok, 0)); !r.MustChangePassword {
		t.Fatalf("websocket login: %+v, want the password to be changed first", r)
	}
	r := d.radclient(t, secret, signed("trader", "trader-pass", "")...)
	if r.Code != "Access-Challenge" {
		t.Fatalf("password: %+v, want a challenge (the password alone tells nothing)", r)
	}
	if r := d.radclient(t, secret, signed("trader", codeAt(t, d.s, tok, 1), r.Attrs["State"])...); r.Code != "Access-Reject" {
		t.Errorf("passcode of a user who must change their password: %+v, want Access-Reject", r)
	}
}

// The same with --radius-one-step: the password and passcode in one
// request are rejected too.
func TestMustChangePasswordRejectedOneStep(t *testing.T) {
	d := open(t, servertest.Options{}, func(c *radius.Config) { c.OneStep = true })
	tok := d.s.Enrol("trader", "trader-pass", d.s.AddUserToChange("trader", "trader-pass"))
	d.s.Clock.Advance(30 * time.Second)
	if r := d.radclient(t, secret, signed("trader", "trader-pass"+codeAt(t, d.s, tok, 0), "")...); r.Code != "Access-Reject" {
		t.Errorf("password and passcode of a user who must change their password: %+v, want Access-Reject", r)
	}
}
