// Package scripttest runs the command-line tests of softtoken's programs:
// scripts in the testscript format (github.com/rogpeppe/go-internal/testscript)
// under a main package's testdata/script, each run in a fresh temporary
// folder against the program's own main, which the package's TestMain
// registers with testscript.Main.
//
// Besides testscript's commands, every script has status, which checks a
// program's exit status (testscript's own `! exec` tells only that it
// failed).
package scripttest

import (
	"errors"
	"os/exec"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// Cmd is a script command of a package's own: it gets the script, whether
// the script negated it with "!", and its arguments.
type Cmd = func(ts *testscript.TestScript, neg bool, args []string)

// Run runs every script in dir (.txtar files) as a subtest of t, with the
// package's own commands cmds and the environment setup adds (both may be
// nil).
func Run(t *testing.T, dir string, cmds map[string]Cmd, setup func(*testscript.Env) error) {
	t.Helper()
	all := map[string]Cmd{"status": status}
	for name, cmd := range cmds {
		all[name] = cmd
	}
	testscript.Run(t, testscript.Params{
		Dir:                 dir,
		Cmds:                all,
		Setup:               setup,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
	})
}

// status is `status N PROGRAM [ARGS...]`: it runs PROGRAM like exec and
// fails the script unless the program exits with status N. Its standard
// output and error are then what stdout and stderr check.
func status(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status N PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("status: %q is not an exit status", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			ts.Fatalf("status: run %s: %v", args[1], err)
		}
		got = exit.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}
