package sqlstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// A first-factor attempt on one node while another node's right password
// clears the same pair (both a login from one address, as two nodes behind
// a load balancer see it) never fails: the pair's row may be deleted
// between any two statements of the attempt. Found by the cross-node login
// race in server/cluster, which answered "internal error" ("read
// throttle: no rows") before the reservation was one upsert.
func TestNodesReserveWhileClearing(t *testing.T) { onEach(t, testNodesReserveWhileClearing) }

func testNodesReserveWhileClearing(t *testing.T, b backend) {
	dbs := nodes(t, b, b.where(t), 2)
	now := time.Unix(1_800_000_000, 0)
	never := func(int) time.Duration { return 0 }
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			db := dbs[i%2]
			for range 50 {
				err := db.Update(context.Background(), func(tx store.Tx) error {
					if _, ok, err := tx.ReserveFirstFactor("ann", "10.0.0.1", now, never); err != nil || !ok {
						return err
					}
					return nil
				})
				if err == nil {
					err = db.Update(context.Background(), func(tx store.Tx) error { return tx.ClearFirstFactor("ann", "10.0.0.1") })
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
