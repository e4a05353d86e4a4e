// Command softtoken-server is the companion server of softtoken: it keeps
// users and their token seeds, verifies logins over the websocket protocol
// at /ws, and offers the admin commands (see package cli, or
// `softtoken-server help`).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/softtoken/softtoken/server/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "softtoken-server: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		os.Exit(exitStatus(err))
	}
}

// exitStatus is the status a failed command exits with: 2 for a command
// line that makes no sense, 1 for any other failure (a tampered audit
// found by `audit verify` among them).
func exitStatus(err error) int {
	var usage *cli.UsageError
	if errors.As(err, &usage) {
		return 2
	}
	return 1
}

func run(ctx context.Context, args []string, stdin *os.File, stdout, stderr io.Writer) error {
	env := cli.Env{
		Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv, Now: time.Now,
		Logger: slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	if term.IsTerminal(int(stdin.Fd())) {
		env.ReadPassword = func() ([]byte, error) { return term.ReadPassword(int(stdin.Fd())) }
	}
	return cli.Run(ctx, env, args)
}
