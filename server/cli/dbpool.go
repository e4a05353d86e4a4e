package cli

import (
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/softtoken/softtoken/server/sqlstore"
)

// poolFlags size the database's connection pool (every command has them;
// serve is the one they matter to). They are read as text, from the flag
// or else its environment variable, so that a bad value in either is
// refused alike, naming the flag (parsePool).
type poolFlags struct {
	maxConns, maxIdle, lifetime, idleTime string
}

func (p *poolFlags) define(env Env, fs *flag.FlagSet) {
	def := sqlstore.DefaultPool
	fs.StringVar(&p.maxConns, "db-max-conns", or(env.Getenv("SOFTTOKEN_DB_MAX_CONNS"), strconv.Itoa(def.MaxOpen)),
		"most connections a node opens to the database, 0: no limit (SOFTTOKEN_DB_MAX_CONNS); on PostgreSQL, nodes × this must stay below max_connections")
	fs.StringVar(&p.maxIdle, "db-max-idle-conns", env.Getenv("SOFTTOKEN_DB_MAX_IDLE_CONNS"),
		fmt.Sprintf("most unused connections kept open for the next burst, at most --db-max-conns (SOFTTOKEN_DB_MAX_IDLE_CONNS; default %d, or --db-max-conns if less)", def.MaxIdle))
	fs.StringVar(&p.lifetime, "db-conn-max-lifetime", or(env.Getenv("SOFTTOKEN_DB_CONN_MAX_LIFETIME"), def.MaxLifetime.String()),
		"a connection is closed this long after it was opened, 0: never (SOFTTOKEN_DB_CONN_MAX_LIFETIME)")
	fs.StringVar(&p.idleTime, "db-conn-max-idle-time", or(env.Getenv("SOFTTOKEN_DB_CONN_MAX_IDLE_TIME"), def.MaxIdleTime.String()),
		"a connection unused this long is closed, 0: never (SOFTTOKEN_DB_CONN_MAX_IDLE_TIME)")
}

// pool is the pool the flags say, or a usage error naming the flag that
// does not parse or makes no sense.
func (p poolFlags) pool() (sqlstore.Pool, error) {
	var out sqlstore.Pool
	var err error
	count := func(name, v string) int {
		n, e := strconv.Atoi(v)
		if e != nil && err == nil {
			err = usagef("--%s %q is not a whole number", name, v)
		}
		return n
	}
	duration := func(name, v string) time.Duration {
		d, e := time.ParseDuration(v)
		if e != nil && err == nil {
			err = usagef("--%s %q is not a duration such as 30m or 1h", name, v)
		}
		return d
	}
	// Flags left empty (demo's, which defines none) take the defaults.
	def := sqlstore.DefaultPool
	out.MaxOpen = count("db-max-conns", or(p.maxConns, strconv.Itoa(def.MaxOpen)))
	out.MaxIdle = def.MaxIdle
	if p.maxIdle != "" {
		out.MaxIdle = count("db-max-idle-conns", p.maxIdle)
	} else if out.MaxOpen > 0 {
		out.MaxIdle = min(out.MaxIdle, out.MaxOpen)
	}
	out.MaxLifetime = duration("db-conn-max-lifetime", or(p.lifetime, def.MaxLifetime.String()))
	out.MaxIdleTime = duration("db-conn-max-idle-time", or(p.idleTime, def.MaxIdleTime.String()))
	if err != nil {
		return sqlstore.Pool{}, err
	}
	if err := out.Check(); err != nil {
		return sqlstore.Pool{}, usagef("%v", err)
	}
	return out, nil
}
