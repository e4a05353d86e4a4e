// Command softtoken is the desktop soft token: run without arguments it
// opens the window; with a command it serves scripts and support (see
// package cli, or `softtoken help`).
//
// Tokens live in the OS keyring under the service named by
// $SOFTTOKEN_KEYRING_SERVICE (default "softtoken").
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"golang.org/x/term"

	"github.com/softtoken/softtoken/app/cli"
	"github.com/softtoken/softtoken/app/gui"
	"github.com/softtoken/softtoken/assets"
	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/token/keyringstore"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

// appID identifies the app to Fyne (preferences, single instance).
const appID = "io.github.softtoken"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		// One line, always: scripts read it, support asks for it.
		fmt.Fprintf(os.Stderr, "softtoken: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		var usage *cli.UsageError
		if errors.As(err, &usage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin *os.File, stdout, stderr io.Writer) error {
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	store, err := keyringstore.New(keyringstore.Config{Service: keyringstore.ServiceFromEnv()})
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return runGUI(ctx, store)
	}
	interactive := term.IsTerminal(int(stdin.Fd()))
	env := cli.Env{
		Store: store, Now: time.Now, Stdin: stdin, Stdout: stdout, Stderr: stderr,
		Interactive: interactive, Version: buildVersion(),
	}
	if interactive {
		env.ReadSecret = func() (string, error) {
			b, err := term.ReadPassword(int(stdin.Fd()))
			return string(b), err
		}
	}
	return cli.Run(ctx, env, args)
}

func runGUI(ctx context.Context, store *keyringstore.Store) error {
	a := fyneapp.NewWithID(appID)
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.IconPNG))
	client := &enrolclient.Client{Store: store}
	w := gui.New(a, gui.Config{Store: store, Now: time.Now, Enrol: client.Enrol, DefaultEnrolURL: os.Getenv("SOFTTOKEN_ENROL_URL")})
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				fyne.Do(a.Quit)
				return
			case <-tick.C:
				fyne.Do(w.Refresh)
			}
		}
	}()
	w.Win.ShowAndRun()
	return nil
}

// buildVersion is the version set at link time, else the module version or
// VCS revision Go recorded in the binary.
func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}
