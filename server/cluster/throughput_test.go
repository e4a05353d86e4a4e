//go:build linux

package cluster_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/softtoken/softtoken/server"
	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/password"
	"github.com/softtoken/softtoken/server/stress"
	"github.com/softtoken/softtoken/server/wire"
)

// BenchmarkVerifyNodes measures verifylogin's throughput with one node,
// and with two nodes on one PostgreSQL, all on this machine: real server
// processes, traders whose passwords are hashed at the production cost
// (password.Default), each verified once with a current passcode by
// back-end sockets spread over the nodes (perNode at once on each). It
// reports verifications a second, and the CPU time per verification of
// the nodes together, of PostgreSQL (its postmaster and every backend),
// of this process (the clients), and of everything else the shared
// machine ran meanwhile (others-cpu-ms/op: what the benchmark could not
// have). Run it with
//
//	go test -run '^$' -bench VerifyNodes -benchtime 400x ./server/cluster
//
// (docs/benchmarks.md, "Several nodes").
func BenchmarkVerifyNodes(b *testing.B) {
	const perNode = 4
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			c := newCluster(b)
			traders := c.traders(b.N, password.Default)
			nodes := make([]*stress.Process, n)
			var sockets []*stress.Client
			for i := range nodes {
				nodes[i] = c.node()
				for range perNode {
					sockets = append(sockets, backend(b, nodes[i].Addr))
				}
			}
			pg := postmaster(b, c.db)
			before := cpuNow(b, nodes, pg)
			b.ResetTimer()
			var wg sync.WaitGroup
			for w, cl := range sockets {
				wg.Go(func() {
					for i := w; i < len(traders); i += len(sockets) {
						tr := traders[i]
						r, err := cl.Verify(tr.id, tr.pw, tr.code(b, 0))
						if err != nil || r.Result != wire.ResultOK {
							b.Errorf("verifylogin %s: %+v %v", tr.id, r, err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			after := cpuNow(b, nodes, pg)
			ops := float64(b.N)
			b.ReportMetric(ops/b.Elapsed().Seconds(), "verify/s")
			b.ReportMetric(ms(after.nodes-before.nodes)/ops, "node-cpu-ms/op")
			b.ReportMetric(ms(after.pg-before.pg)/ops, "pg-cpu-ms/op")
			b.ReportMetric(ms(after.self-before.self)/ops, "client-cpu-ms/op")
			mine := after.nodes + after.pg + after.self - before.nodes - before.pg - before.self
			b.ReportMetric(ms(after.machine-before.machine-mine)/ops, "others-cpu-ms/op")
		})
	}
}

// traders makes n traders whose passwords are hashed at cost, two at a
// time (this machine's cores).
func (c *cluster) traders(n int, cost password.Params) []trader {
	c.t.Helper()
	a, err := server.OpenAccounts(context.Background(), server.Storage{DB: c.db, MasterKeyFile: c.key}, account.Config{Hash: cost})
	if err != nil {
		c.t.Fatal(err)
	}
	defer a.Close()
	out := make([]trader, n)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := w; i < n; i += 2 {
				id, pw := fmt.Sprintf("trader%05d", i), fmt.Sprintf("password-of-trader%05d", i)
				made, err := a.CreateUser(context.Background(), account.Admin, nil,
					account.NewUser{UserID: id, Password: []byte(pw), Seed: true, OwnPassword: true})
				if err != nil {
					c.t.Errorf("add %s: %v", id, err)
					return
				}
				out[i] = trader{id: id, pw: pw, tok: *made.Token}
			}
		})
	}
	wg.Wait()
	if c.t.Failed() {
		c.t.FailNow()
	}
	return out
}

// postmaster is the process ID of the PostgreSQL server of database db,
// from the postmaster.pid file in its data folder.
func postmaster(t testing.TB, db string) int {
	t.Helper()
	conn, err := sql.Open("pgx", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var dir string
	if err := conn.QueryRow(`SHOW data_directory`).Scan(&dir); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(raw), "\n", 2)[0]))
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	return pid
}

// cpu is the CPU time used so far by the nodes together, by PostgreSQL,
// by this process, and by the whole machine (all processes, all cores).
type cpu struct{ nodes, pg, self, machine time.Duration }

func cpuNow(t testing.TB, nodes []*stress.Process, pg int) cpu {
	t.Helper()
	var c cpu
	for _, p := range nodes {
		u, err := p.Usage()
		if err != nil {
			t.Fatal(err)
		}
		c.nodes += u.CPU
	}
	var err error
	if c.pg, err = stress.TreeCPU(pg); err != nil {
		t.Fatal(err)
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	c.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	c.machine = machineBusy(t)
	return c
}

// machineBusy is the CPU time every core of the machine spent busy so far
// (/proc/stat: all but idle and iowait), so that other users' load on a
// shared machine shows beside this benchmark's.
func machineBusy(t testing.TB) time.Duration {
	t.Helper()
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(strings.SplitN(string(raw), "\n", 2)[0])[1:]
	var busy int64
	for i, f := range fields {
		n, _ := strconv.ParseInt(f, 10, 64)
		if i != 3 && i != 4 && i < 8 { // idle, iowait; guest times are in user already
			busy += n
		}
	}
	return time.Duration(busy) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
