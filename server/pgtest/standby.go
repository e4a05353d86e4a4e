package pgtest

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Standby makes a streaming-replication standby of c (pg_basebackup -R:
// a hot standby, read-only, that follows c's write-ahead log) as a
// cluster of its own on another port, for tests of a fail-over (Promote).
// The base backup starts with a fast checkpoint (a spread one took 90 s
// here). It stops, and its folder is removed, when the test ends.
func (c *Cluster) Standby(t testing.TB) *Cluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "softtoken-pg-standby-")
	if err != nil {
		t.Fatal(err)
	}
	run, err := runner(dir)
	if err != nil {
		os.RemoveAll(dir)
		t.Fatal(err)
	}
	s := &cluster{dir: dir, run: run, pgCtl: c.c.pgCtl, data: filepath.Join(dir, "data")}
	t.Cleanup(func() {
		if s.admin != nil {
			s.admin.Close()
		}
		s.run(s.pgCtl, "-D", s.data, "-m", "immediate", "stop")
		os.RemoveAll(dir)
	})
	backup := filepath.Join(filepath.Dir(c.c.pgCtl), "pg_basebackup")
	if err := run(backup, "-h", "127.0.0.1", "-p", fmt.Sprint(c.c.port), "-U", "postgres", "-D", s.data, "-R", "-X", "stream", "-c", "fast"); err != nil {
		t.Fatalf("make a standby: %v", err)
	}
	if s.port, err = freePort(); err != nil {
		t.Fatal(err)
	}
	s.opts = fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=300", s.port, dir)
	if err := s.start(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		t.Fatalf("start the standby: %v\n%s", err, log)
	}
	if err := watchdog(run, s.pgCtl, s.data, dir); err != nil {
		t.Fatal(err)
	}
	if s.admin, err = sql.Open("pgx", s.url("postgres")); err != nil {
		t.Fatal(err)
	}
	return &Cluster{c: s}
}

// Promote makes the standby a primary (pg_ctl promote), and waits until
// it accepts writes.
func (c *Cluster) Promote(t testing.TB) {
	t.Helper()
	if err := c.c.run(c.c.pgCtl, "-D", c.c.data, "-w", "promote"); err != nil {
		t.Fatalf("promote the standby: %v", err)
	}
}

// CaughtUp waits until the standby has replayed all that primary has
// written so far (a clean switch-over, as synchronous replication would
// make every commit).
func (c *Cluster) CaughtUp(t testing.TB, primary *Cluster) {
	t.Helper()
	var lsn string
	if err := primary.c.admin.QueryRow(`SELECT pg_current_wal_lsn()::text`).Scan(&lsn); err != nil {
		t.Fatal(err)
	}
	for range 200 {
		var done bool
		if err := c.c.admin.QueryRow(`SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn`, lsn).Scan(&done); err != nil {
			t.Fatal(err)
		}
		if done {
			return
		}
		sleep()
	}
	t.Fatalf("the standby did not replay up to %s", lsn)
}
