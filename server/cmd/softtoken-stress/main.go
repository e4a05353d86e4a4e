// Command softtoken-stress runs the companion server's abuse and load
// scenarios against a softtoken-server binary on loopback (make stress;
// see package stress and docs/benchmarks.md):
//
//	softtoken-stress --server bin/softtoken-server [--only verify-cpu,idle-sockets] [--sockets 10000] [--baseline old-server]
//
// It prints the figures and exits 1 if a bound broke.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/softtoken/softtoken/server/stress"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "softtoken-stress: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("softtoken-stress", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("server", "bin/softtoken-server", "the softtoken-server binary to run")
	only := fs.String("only", "", "run only these scenarios (comma-separated)")
	sockets := fs.Int("sockets", 10_000, "idle logged-in websockets to hold")
	logins := fs.Int("logins", 1000, "logins sent at once")
	rounds := fs.Int("rounds", 4, "rounds of the verifylogin CPU measurement")
	perRound := fs.Int("per-round", 50, "verifylogin per round")
	verifySockets := fs.Int("verify-sockets", 8, "back-end sockets verifying different accounts at once in verify-cpu's concurrent rounds")
	baseline := fs.String("baseline", "", "an older softtoken-server binary that verify-cpu measures in the same rounds, for before/after figures")
	serverLog := fs.String("server-log", "", "also write the servers' logs to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "softtoken-stress-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := stress.RaiseFileLimit(); err != nil {
		return err
	}
	all := []stress.Scenario{
		stress.SlowClients(50),
		stress.FrameBombs(40),
		stress.IdleSockets(*sockets),
		stress.ConcurrentLogins(*logins),
		stress.VerifyCPU(*rounds, *perRound, *verifySockets, *baseline),
	}
	chosen, err := stress.Select(all, *only)
	if err != nil {
		return err
	}
	report := stress.NewReport(stdout)
	env := stress.Env{Bin: *bin, Dir: dir, Report: report}
	if *serverLog != "" {
		f, err := os.Create(*serverLog)
		if err != nil {
			return err
		}
		defer f.Close()
		env.ServerLog = f
	}
	for _, s := range chosen {
		report.Printf("## %s", s.Name)
		if err := s.Run(ctx, env); err != nil {
			report.Failf("%s: %v", s.Name, err)
		}
	}
	if failed := report.Failed(); len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	return nil
}
