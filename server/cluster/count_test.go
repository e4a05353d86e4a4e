//go:build linux

package cluster_test

import (
	"sync/atomic"

	"github.com/softtoken/softtoken/server/sqlstore"
)

// statements counts the round trips the store makes, through its own
// counter (sqlstore.WithRoundTrips): every Exec and Query (one statement
// each), every BEGIN, COMMIT and ROLLBACK sent alone, and every pipelined
// batch (sqlstore.TripBatch, several statements in one trip). Each is one
// round trip to PostgreSQL; on SQLite, a call into the embedded library.
// Preparations and pings are left out, as the figures in
// docs/benchmarks.md always left them.
type statements struct {
	all atomic.Int64
}

// count counts one round trip of kind.
func (s *statements) count(kind string) {
	switch kind {
	case sqlstore.TripPrepare, sqlstore.TripPing:
		return
	}
	s.all.Add(1)
}

// snapshot is the count now.
func (s *statements) snapshot() int64 { return s.all.Load() }
