package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/softtoken/softtoken/server/ratelimit"
	"github.com/softtoken/softtoken/server/servertest"
	"github.com/softtoken/softtoken/server/wire"
	"github.com/softtoken/softtoken/server/ws"
)

// Found by the independent attacker of issue 21: sockets that proved a
// password are evicted last, so one account's password (the attacker's
// own: any insider, or any user whose password leaked) used to fill the
// whole table of sockets not logged in from MaxPending/MaxPendingPerAddr
// addresses with sockets that wait for a passcode, and honest newcomers
// then evicted each other. One user ID now holds at most
// ws.MaxPendingPerUser such sockets: its older ones close.
func TestOnePasswordCannotHoldThePendingTable(t *testing.T) {
	lots := ratelimit.Rate{PerMinute: 1 << 20, Burst: 1 << 20}
	s := servertest.NewWith(t, servertest.Options{WS: ws.Config{Connections: lots, Challenges: lots,
		MaxPendingLogins: 6, MaxPendingPerAddr: 2}})
	s.Enrol("mal", "mal-pass", s.AddUser("mal", "mal-pass")) // the attacker's own account
	var held []*servertest.Client
	for a := 11; a <= 13; a++ {
		for range 2 {
			c := s.DialFrom(fmt.Sprintf("127.0.0.%d", a))
			if r := c.Login("mal", "mal-pass", ""); r.Result != wire.ResultNeed2FA {
				t.Fatalf("the attacker's login: %+v", r)
			}
			held = append(held, c)
		}
	}
	// Two honest users, one after the other, each from an address of
	// their own: the first waits (a challenge done, typing its password).
	first := s.DialFrom("127.0.0.21")
	second := s.DialFrom("127.0.0.22")
	defer first.Close()
	defer second.Close()
	if code := first.Closed(500 * time.Millisecond); code != 0 {
		t.Errorf("the first honest client was closed (%d) to make room for the second, while addresses holding 2 sockets each kept them", code)
		if code != websocket.CloseTryAgainLater {
			t.Logf("close code %d", code)
		}
	}
	open := 0
	for _, c := range held {
		if c.Closed(50*time.Millisecond) == 0 {
			open++
		}
	}
	if open > ws.MaxPendingPerUser {
		t.Errorf("the attacker's sockets still open: %d of %d, want at most %d", open, len(held), ws.MaxPendingPerUser)
	}
}
