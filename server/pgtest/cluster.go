package pgtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Cluster is a PostgreSQL cluster of one test's own, which the test may
// stop and start again under a running server (an outage), unlike the
// test binary's shared one that Start gives. It takes seconds to make.
type Cluster struct{ c *cluster }

// NewCluster makes and starts a cluster for t alone, which commits
// synchronously (as production does: a crash loses no acknowledged
// commit); it stops, and its
// folder is removed, when the test ends (or, failing that, when the test
// binary does). It skips or fails as Start does without PostgreSQL.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("PostgreSQL: slow, skipped with -short")
	}
	c, err := start(binDir(t), true)
	if err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
	t.Cleanup(func() {
		c.admin.Close()
		c.run(c.pgCtl, "-D", c.data, "-m", "immediate", "stop")
		os.RemoveAll(c.dir)
	})
	return &Cluster{c: c}
}

// Port is the cluster's port on 127.0.0.1.
func (c *Cluster) Port() int { return c.c.port }

// NewDB makes a new, empty database on the cluster and returns its URL.
func (c *Cluster) NewDB(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("test_%d", dbs.Add(1))
	if _, err := c.c.admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	return c.c.url(name)
}

// Stop stops the cluster as an operator would (pg_ctl stop -m fast):
// PostgreSQL ends every session (SQLSTATE 57P01) and refuses new ones
// until Start.
func (c *Cluster) Stop(t testing.TB) {
	t.Helper()
	if err := c.c.run(c.c.pgCtl, "-D", c.c.data, "-m", "fast", "-w", "stop"); err != nil {
		t.Fatalf("stop PostgreSQL: %v", err)
	}
}

// Crash stops the cluster as a crash of PostgreSQL would (pg_ctl stop -m
// immediate: no checkpoint, sessions cut); Start recovers it from its
// write-ahead log.
func (c *Cluster) Crash(t testing.TB) {
	t.Helper()
	if err := c.c.run(c.c.pgCtl, "-D", c.c.data, "-m", "immediate", "-w", "stop"); err != nil {
		t.Fatalf("crash PostgreSQL: %v", err)
	}
}

// Start starts the stopped cluster again, on the same port, and waits
// until it accepts connections.
func (c *Cluster) Start(t testing.TB) {
	t.Helper()
	if err := c.c.start(); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.c.dir, "log"))
		t.Fatalf("start PostgreSQL again: %v\n%s", err, log)
	}
}

// sleep waits a moment between polls.
func sleep() { time.Sleep(50 * time.Millisecond) }
