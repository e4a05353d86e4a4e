// Package pgtest starts a real PostgreSQL for tests, from Debian's
// postgresql package, without Docker: one cluster per test binary
// (initdb in a temporary folder, as the postgres user when the tests run
// as root, on a free loopback port, fsync off), and a fresh database for
// each test that asks. The cluster stops when the test binary ends: a
// watchdog process stops it (pg_ctl -m immediate) and removes its folder
// as soon as the binary is gone, however it ended.
//
// Under `make test` (SOFTTOKEN_REQUIRE_TOOLS=1, and the Makefile installs
// postgresql) a missing PostgreSQL fails the test; elsewhere the test is
// skipped, and so it is with -short (testing.Short), since the cluster
// takes seconds to start.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// BinEnv names a folder with initdb and pg_ctl, to use instead of the
// newest /usr/lib/postgresql/*/bin.
const BinEnv = "SOFTTOKEN_PG_BIN"

// cluster is the test binary's PostgreSQL.
type cluster struct {
	dir   string
	port  int
	admin *sql.DB
	// run runs PostgreSQL's programs, pgCtl is pg_ctl, data the data
	// folder and opts the server's options: what stops and starts the
	// cluster again (Cluster).
	run         func(prog string, args ...string) error
	pgCtl, data string
	opts        string
}

var (
	once    sync.Once
	shared  *cluster
	failure error
	dbs     atomic.Int64
)

// Start returns the URL of a new, empty database (owned by the superuser
// postgres) on the test binary's cluster, which it starts on first use;
// the database is dropped when the test ends.
func Start(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("PostgreSQL: slow, skipped with -short")
	}
	bin := binDir(t)
	once.Do(func() { shared, failure = start(bin, false) })
	if failure != nil {
		t.Fatalf("start PostgreSQL: %v", failure)
	}
	name := fmt.Sprintf("test_%d", dbs.Add(1))
	if _, err := shared.admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() { shared.admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`) })
	return shared.url(name)
}

// url is the URL of database name on the cluster.
func (c *cluster) url(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, name)
}

// binDir finds PostgreSQL's server programs, or fails or skips the test.
func binDir(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv(BinEnv); dir != "" {
		return dir
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(found) == 0 {
		if os.Getenv("SOFTTOKEN_REQUIRE_TOOLS") == "1" {
			t.Fatal("PostgreSQL is required (apt-get install postgresql; make test installs it): no /usr/lib/postgresql/*/bin/pg_ctl")
		}
		t.Skip("PostgreSQL not installed (apt-get install postgresql)")
	}
	sort.Slice(found, func(i, j int) bool { return version(found[i]) < version(found[j]) })
	return filepath.Dir(found[len(found)-1])
}

// version is the major version in /usr/lib/postgresql/N/bin/pg_ctl.
func version(pgCtl string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(pgCtl))))
	return n
}

// start makes and starts a cluster, and the watchdog that stops it. A
// durable cluster commits synchronously, as a production one does, so
// that a crash loses no commit it acknowledged; the shared one does not,
// for speed (neither syncs to disk: no test crashes the machine).
func start(bin string, durable bool) (*cluster, error) {
	dir, err := os.MkdirTemp("", "softtoken-pg-")
	if err != nil {
		return nil, err
	}
	run, err := runner(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := run(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c := &cluster{dir: dir, run: run, pgCtl: filepath.Join(bin, "pg_ctl"), data: data}
	pgCtl := c.pgCtl
	for try := 0; ; try++ {
		if c.port, err = freePort(); err != nil {
			return nil, err
		}
		c.opts = fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=300", c.port, dir)
		if !durable {
			c.opts += " -c synchronous_commit=off"
		}
		err = c.start()
		if err == nil || try == 2 {
			break
		}
	}
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%w\n%s", err, log)
	}
	if err := watchdog(run, pgCtl, data, dir); err != nil {
		return nil, err
	}
	c.admin, err = sql.Open("pgx", c.url("postgres"))
	if err != nil {
		return nil, err
	}
	return c, c.admin.PingContext(context.Background())
}

// start starts the cluster's server and waits until it accepts
// connections.
func (c *cluster) start() error {
	return c.run(c.pgCtl, "-D", c.data, "-o", c.opts, "-l", filepath.Join(c.dir, "log"), "-w", "start")
}

// runner returns what runs PostgreSQL's programs: as the postgres user
// when this process is root (initdb refuses root), which then owns dir.
func runner(dir string) (func(prog string, args ...string) error, error) {
	var prefix []string
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("the tests run as root, and PostgreSQL refuses to: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		prefix = []string{"runuser", "-u", "postgres", "--"}
	}
	return func(prog string, args ...string) error {
		argv := append(append(append([]string{}, prefix...), prog), args...)
		cmd := exec.Command(argv[0], argv[1:]...)
		// A file, not a pipe: the server pg_ctl starts would hold a pipe
		// open after pg_ctl ends.
		out, err := os.CreateTemp("", "softtoken-pg-out-")
		if err != nil {
			return err
		}
		defer os.Remove(out.Name())
		defer out.Close()
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Run(); err != nil {
			text, _ := os.ReadFile(out.Name())
			return fmt.Errorf("%s: %w: %s", filepath.Base(prog), err, text)
		}
		return nil
	}, nil
}

// watchdog starts a process, in its own session, that waits for this
// test binary to end, then stops the cluster and removes its folder.
func watchdog(run func(string, ...string) error, pgCtl, data, dir string) error {
	stop := fmt.Sprintf("%q -D %q -m immediate stop", pgCtl, data)
	if os.Geteuid() == 0 {
		stop = "runuser -u postgres -- " + stop
	}
	script := fmt.Sprintf("while kill -0 %d 2>/dev/null; do sleep 0.5; done; %s >/dev/null 2>&1; rm -rf %q", os.Getpid(), stop, dir)
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = detached()
	if err := cmd.Start(); err != nil {
		run(pgCtl, "-D", data, "-m", "immediate", "stop")
		os.RemoveAll(dir)
		return fmt.Errorf("start the cluster's watchdog: %w", err)
	}
	return cmd.Process.Release()
}

// freePort is a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("no TCP address")
	}
	return addr.Port, nil
}
