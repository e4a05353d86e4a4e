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

// Attack on issue 21, item 3: sockets that look "proved" are never
// evicted while any anonymous socket exists, whichever address is the
// busiest. One account's password (the attacker's own: any insider, or
// any user whose password leaked) proves as many sockets as the attacker
// opens: from MaxPending/MaxPendingPerAddr addresses (100 with the
// defaults) the attacker holds the whole table with sockets that wait for
// a passcode, and every honest newcomer then takes the place of another
// honest newcomer mid-login, never of the attacker's: honest clients
// evict each other while the busiest addresses keep their share.
func TestAttackProvedSocketsHoldThePendingTable(t *testing.T) {
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
	t.Logf("the attacker's sockets still open: %d of %d", open, len(held))
}
