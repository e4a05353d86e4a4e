package server_test

import (
	"strings"
	"testing"

	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
)

// The attack of issue 21: a service account logs in with a password
// alone, never locks, and could do everything, so two messages from a
// leaked back-end password (adduser use2fa "Y", then a password reset)
// took over any user. A service account now does only what its scopes
// name (verify by default), from the networks it names (loopback by
// default); everything else is refused and audited.
func TestServiceAccountDoesOnlyItsScope(t *testing.T) {
	s := open(t, servertest.Options{})
	tok := enrolled(t, s, "victim")
	s.Admin("backend-pass\n", "user", "add", "--admin", "--service", "backend") // the default: verify, from loopback

	c := s.Dial()
	defer c.Close()
	if r := c.Login("backend", "backend-pass", ""); r.Result != wire.ResultOK {
		t.Fatalf("service login: %+v", r)
	}
	if r := c.Send(map[string]any{"type": "verifylogin", "userid": "victim", "pass": c.Enc("victim-pass"),
		"2fatoken": codeAt(t, s, tok, 1)}); r.Result != wire.ResultOK {
		t.Errorf("verifylogin with the verify scope: %+v", r)
	}
	takeover := []map[string]any{
		{"type": "adduser", "userid": "victim", "use2fa": "Y"},
		{"type": "adduser", "userid": "victim", "updateprof": true, "resetpass": true, "newpass": c.Enc("attacker-pass-1")},
		{"type": "adduser", "userid": "newcomer", "pass": c.Enc("newcomer-pass")},
	}
	for _, m := range takeover {
		if r := c.Send(m); r.Result != wire.ResultNotAllowed || r.TwoFASeed != "" {
			t.Errorf("%v by a verify-only service account: %+v", m, r)
		}
	}
	s.Clock.Advance(60e9)
	if got := s.Verify("victim", "victim-pass", codeAt(t, s, tok, 0)); got != wire.ResultOK {
		t.Errorf("the victim after the attempts: %s", got)
	}
	audit := s.Admin("", "audit", "--json", "--user", "backend")
	if n := strings.Count(audit, "needs the manage scope"); n != len(takeover) {
		t.Errorf("%d refusals audited, want %d:\n%s", n, len(takeover), audit)
	}

	// With the manage scope, the same messages work.
	s.Admin("manager-pass\n", "user", "add", "--admin", "--service", "--scope", "verify,manage", "manager")
	m := s.Dial()
	defer m.Close()
	if r := m.Login("manager", "manager-pass", ""); r.Result != wire.ResultOK {
		t.Fatalf("manager login: %+v", r)
	}
	if r := m.Send(map[string]any{"type": "adduser", "userid": "newcomer", "pass": m.Enc("newcomer-pass")}); r.Result != wire.ResultOK {
		t.Errorf("adduser with the manage scope: %+v", r)
	}
}

// A service account logs in only from its networks; from elsewhere its
// password is answered as a wrong one, and the audit says why.
func TestServiceAccountNetworks(t *testing.T) {
	s := open(t, servertest.Options{})
	s.Admin("backend-pass\n", "user", "add", "--admin", "--service", "--from", "127.0.0.2/32", "backend")
	if out := s.Admin("", "user", "show", "backend"); !strings.Contains(out, `"networks": "127.0.0.2/32"`) ||
		!strings.Contains(out, `"scope": "verify"`) {
		t.Errorf("user show:\n%s", out)
	}
	c := s.DialFrom("127.0.0.1")
	if r := c.Login("backend", "backend-pass", ""); r.Result != wire.ResultInvalidLogin {
		t.Errorf("from outside its networks: %+v", r)
	}
	c.Close()
	c = s.DialFrom("127.0.0.2")
	if r := c.Login("backend", "backend-pass", ""); r.Result != wire.ResultOK {
		t.Errorf("from its network: %+v", r)
	}
	c.Close()
	if audit := s.Admin("", "audit", "--json", "--user", "backend"); !strings.Contains(audit, "outside the account's networks") {
		t.Errorf("the refusal is not audited:\n%s", audit)
	}
	for _, args := range [][]string{
		{"user", "add", "--admin", "--service", "--scope", "everything", "svc1"},
		{"user", "add", "--admin", "--service", "--from", "10.0.0.0/33", "svc2"},
		{"user", "add", "--admin", "--scope", "verify", "svc3"},
	} {
		if _, err := s.TryAdmin("service-pass\n", args...); err == nil {
			t.Errorf("%v was accepted", args)
		}
	}
}

// verifylogin verifies people: a service account's password, right or
// wrong, answers as a wrong one, so that one back-end cannot try another
// one's password (which needs no second factor) through it.
func TestVerifyLoginDoesNotVerifyServiceAccounts(t *testing.T) {
	s := open(t, servertest.Options{})
	s.Admin("other-pass\n", "user", "add", "--admin", "--service", "other-backend")
	for _, pw := range []string{"other-pass", "wrong-pass"} {
		if got := s.Verify("other-backend", pw, ""); got != wire.ResultInvalidLogin {
			t.Errorf("verifylogin of a service account with %q: %s", pw, got)
		}
	}
}
