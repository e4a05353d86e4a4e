package account_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/account"
)

// Two nodes given the same pre-loaded passcode at once (a portal behind
// two servers, a double submit): one logon wins, the other is refused as
// a used passcode. A race only PostgreSQL's concurrent writers decide; on
// SQLite the one writer orders them.
func TestNodesPreloadUsedOnce(t *testing.T) { onEach(t, testNodesPreloadUsedOnce) }

func testNodesPreloadUsedOnce(t *testing.T, on func(*fixture)) {
	ctx := context.Background()
	f := newFixture(t, on, texting)
	addUser(t, f, account.NewUser{UserID: "carol", SMS: true, Phone: carolsPhone, Use2FA: true})
	nodeB, _ := secondNode(t, f)
	for round := range 5 {
		// A new number each round: node A pre-loads its passcode, so the
		// test reads it whichever node won the round before.
		phone := fmt.Sprintf("+4477009002%02d", round)
		f.now = f.now.Add(time.Hour) // the allowance of texts refills
		if _, err := f.svc.UpdateProfile(ctx, admin, account.ByAdmin("carol"), account.Profile{Phone: &phone}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Unlock(ctx, admin, account.ByAdmin("carol")); err != nil {
			t.Fatal(err)
		}
		code := f.lastText(t, phone)
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, node := range []*account.Service{f.svc, nodeB} {
			wg.Go(func() {
				<-start
				_, errs[i] = node.Login(ctx, admin, "carol", []byte("carol password"), code)
			})
		}
		close(start)
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, account.ErrInvalidCode):
				t.Errorf("round %d: %v, want a win or %v", round, err, account.ErrInvalidCode)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d logons with one passcode (%v), want 1", round, wins, errs)
		}
	}
}
