package server_test

import (
	"testing"

	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
)

// An administrator's socket (a web back-end's service account, say)
// reaches ordinary users only: another administrator is changed with the
// admin commands.
func TestAdminsSocketCannotChangeAnotherAdmin(t *testing.T) {
	s := open(t, servertest.Options{})
	seeded(t, s, "boss", "--admin")
	backend, _ := seeded(t, s, "backend", "--admin")
	enrolled(t, s, "trader")
	c := s.Dial()
	defer c.Close()
	if r := c.Login("backend", "backend-pass", codeAt(t, s, backend, 0)); r.Result != wire.ResultOK {
		t.Fatal(r)
	}
	for _, msg := range []map[string]any{
		{"type": "adduser", "userid": "boss", "use2fa": "N"},
		{"type": "adduser", "updateprof": true, "resetpass": true, "userid": "boss", "newpass": c.Enc("backend-owns-boss")},
	} {
		if r := c.Send(msg); r.Result != wire.ResultNotAllowed {
			t.Errorf("%v on another administrator: %+v", msg["use2fa"], r)
		}
	}
	if r := c.Send(map[string]any{"type": "adduser", "updateprof": true, "resetpass": true, "userid": "trader", "newpass": c.Enc("reset-by-backend")}); r.Result != wire.ResultOK {
		t.Errorf("resetpass of an ordinary user: %+v", r)
	}
}
