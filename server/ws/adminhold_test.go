package ws_test

import (
	"context"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
)

// An administrator's session holds nothing: a person administrator logs
// in on two sockets at once (password, then send2fatoken), and a portal's
// verifylogin of an administrator holds nothing even when verifylogin
// holds sessions; an ordinary user verified is held.
func TestAdministratorsAreNeverHeld(t *testing.T) {
	s := newServerRules(t, ws.Config{VerifyHoldsSession: true}, account.Config{SessionHold: 5 * time.Minute})
	s.user(account.NewUser{UserID: "root", Admin: true, Use2FA: true}, "root-password")
	var socks []*client
	for i := range 2 {
		c := s.dial()
		if r := c.login("root", "root-password", ""); r.Result != wire.ResultNeed2FA {
			t.Fatalf("root's login %d: %+v", i, r)
		}
		if r := c.send(map[string]string{"type": "send2fatoken", "2fatoken": s.code("root", i)}); r.Result != wire.ResultOK {
			t.Fatalf("root's send2fatoken %d: %+v", i, r)
		}
		socks = append(socks, c)
	}
	backend := s.dial()
	backend.login("admin", "admin-password", "")
	r := backend.send(map[string]string{"type": "verifylogin", "userid": "root", "pass": backend.encrypt("root-password"), "2fatoken": s.code("root", 2)})
	if r.Result != wire.ResultOK {
		t.Fatalf("verifylogin of root: %+v", r)
	}
	ss, err := s.acct.Sessions(context.Background(), account.CommandLine)
	if err != nil || len(ss) != 0 {
		t.Fatalf("sessions after administrators' logins and verification: %+v, %v; want none", ss, err)
	}
	r = backend.send(map[string]string{"type": "verifylogin", "userid": "plain", "pass": backend.encrypt("plain-password")})
	if r.Result != wire.ResultOK {
		t.Fatalf("verifylogin of plain: %+v", r)
	}
	if ss, err := s.acct.Sessions(context.Background(), account.CommandLine); err != nil || len(ss) != 1 || ss[0].UserID != "plain" || ss[0].Open {
		t.Fatalf("sessions after plain's verification: %+v, %v; want plain held, closed", ss, err)
	}
	for _, c := range socks {
		c.send(map[string]string{"type": "logout"})
	}
}
