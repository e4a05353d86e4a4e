//go:build linux

package cluster_test

import (
	"database/sql"
	"database/sql/driver"
	"sync/atomic"

	"github.com/softtoken/softtoken/server/sqlstore"
)

// statements counts what the store sends its database, through the
// store's own round-trip counter (sqlstore.Counted): every Exec and Query
// (one statement each, as the store never sends two in one string), and
// every BEGIN, COMMIT and ROLLBACK. Each is one round trip to PostgreSQL;
// on SQLite, a call into the embedded library. Preparations and pings are
// left out, as the figures in docs/benchmarks.md always left them.
type statements struct {
	all, txs atomic.Int64
}

// open is a database on connector whose statements s counts.
func (s *statements) open(connector driver.Connector) *sql.DB {
	return sql.OpenDB(sqlstore.Counted(connector, s.count))
}

// count counts one call of kind.
func (s *statements) count(kind string) {
	switch kind {
	case sqlstore.TripPrepare, sqlstore.TripPing:
		return
	case sqlstore.TripBegin:
		s.txs.Add(1)
	}
	s.all.Add(1)
}

// snapshot is the count now.
func (s *statements) snapshot() (all, txs int64) { return s.all.Load(), s.txs.Load() }
