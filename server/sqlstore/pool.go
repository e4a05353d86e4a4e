package sqlstore

import (
	"database/sql"
	"fmt"
	"time"
)

// Pool sizes the connection pool database/sql keeps to the database
// (serve's --db-max-conns and friends, docs/deploy.md). A zero MaxOpen,
// MaxLifetime or MaxIdleTime is no limit, as in database/sql; a zero
// MaxIdle keeps no connection idle.
type Pool struct {
	// MaxOpen bounds the connections open at once: a node never takes more
	// of PostgreSQL's max_connections than this, and a request that finds
	// them all busy waits for one (counted as a pool wait).
	MaxOpen int
	// MaxIdle bounds the connections kept open while unused, ready for
	// the next burst without a new connection's handshake.
	MaxIdle int
	// MaxLifetime closes a connection this long after it was opened,
	// so that the nodes' connections move over to a database restarted,
	// failed over or behind a new address, and the server's memory per
	// connection is given back now and then.
	MaxLifetime time.Duration
	// MaxIdleTime closes a connection unused this long, so that a burst's
	// connections do not stay open for ever.
	MaxIdleTime time.Duration
}

// DefaultPool is the pool the server opens with unless told otherwise.
// Twenty connections a node keep five nodes within PostgreSQL's default
// max_connections of 100, and are more than the password-hashing pool
// lets through at once on a usual machine (each login needs its
// connection only between its hashing and its answer); ten idle ones
// spare a burst the handshakes (with TLS, the costliest part of a short
// statement); an hour's life and five idle minutes let connections
// follow a fail-over and give back what a burst opened.
var DefaultPool = Pool{MaxOpen: 20, MaxIdle: 10, MaxLifetime: time.Hour, MaxIdleTime: 5 * time.Minute}

// Check says what is wrong with p, naming the flag to mend.
func (p Pool) Check() error {
	switch {
	case p.MaxOpen < 0:
		return fmt.Errorf("--db-max-conns is %d: give 0 (no limit) or more", p.MaxOpen)
	case p.MaxIdle < 0:
		return fmt.Errorf("--db-max-idle-conns is %d: give 0 (none kept) or more", p.MaxIdle)
	case p.MaxOpen > 0 && p.MaxIdle > p.MaxOpen:
		return fmt.Errorf("--db-max-idle-conns %d is more than --db-max-conns %d: idle connections count among the open ones", p.MaxIdle, p.MaxOpen)
	case p.MaxLifetime < 0:
		return fmt.Errorf("--db-conn-max-lifetime is %v: give 0 (no limit) or more", p.MaxLifetime)
	case p.MaxIdleTime < 0:
		return fmt.Errorf("--db-conn-max-idle-time is %v: give 0 (no limit) or more", p.MaxIdleTime)
	}
	return nil
}

// Apply sizes db's pool as p says.
func (p Pool) Apply(db *sql.DB) {
	db.SetMaxOpenConns(p.MaxOpen)
	db.SetMaxIdleConns(p.MaxIdle)
	db.SetConnMaxLifetime(p.MaxLifetime)
	db.SetConnMaxIdleTime(p.MaxIdleTime)
}
