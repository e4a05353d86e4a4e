package sqlstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// A right password on one node clears the source's first-factor throttle
// (ClearFirstFactor deletes its row) while another node counts an attempt
// of the same user ID from the same source (ReserveFirstFactor: an INSERT
// … ON CONFLICT DO NOTHING, then a SELECT … FOR UPDATE of the row). When
// the DELETE commits between those two statements, the SELECT finds no
// row and the attempt fails with "no rows in result set": a login that
// one node would have answered is an internal error across two nodes
// (users behind one NAT, a portal's verifylogin with its one address).
// Fail-closed, so no bypass, but the store's promise (every attempt is
// counted and answered) does not hold.
func TestNodesThrottleClearedUnderReservation(t *testing.T) {
	onEach(t, testNodesThrottleClearedUnderReservation)
}

func testNodesThrottleClearedUnderReservation(t *testing.T, b backend) {
	dbs := nodes(t, b, b.where(t), 2)
	now := time.Unix(1_800_000_000, 0)
	never := func(int) time.Duration { return 0 }
	var mu sync.Mutex
	var failures []error
	var wg sync.WaitGroup
	deadline := time.Now().Add(4 * time.Second)
	for w := range 6 {
		wg.Go(func() {
			for i := 0; i < 300 && time.Now().Before(deadline); i++ {
				err := dbs[w%2].Update(context.Background(), func(tx store.Tx) error {
					if w%2 == 0 {
						_, _, err := tx.ReserveFirstFactor("ann", "10.0.0.1", now, never)
						return err
					}
					return tx.ClearFirstFactor("ann", "10.0.0.1")
				})
				if err != nil {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Errorf("%d attempts failed while another node cleared the throttle, the first: %v", len(failures), failures[0])
	}
}
