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
	"sync/atomic"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"
	"golang.org/x/term"

	"github.com/softtoken/softtoken/app/autotype"
	"github.com/softtoken/softtoken/app/cli"
	"github.com/softtoken/softtoken/app/gui"
	"github.com/softtoken/softtoken/app/instance"
	"github.com/softtoken/softtoken/app/ontop"
	"github.com/softtoken/softtoken/app/policy"
	"github.com/softtoken/softtoken/app/prefsfile"
	"github.com/softtoken/softtoken/assets"
	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/token"
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
		return runGUI(ctx, store, stderr)
	}
	interactive := term.IsTerminal(int(stdin.Fd()))
	env := cli.Env{
		Store: store, Now: time.Now, Stdin: stdin, Stdout: stdout, Stderr: stderr,
		Interactive: interactive, Version: buildVersion(), Typer: autotype.Open, Settings: effectiveSettings,
		ProxyPAC: os.Getenv(proxyPACEnv),
	}
	if interactive {
		env.ReadSecret = func() (string, error) {
			b, err := term.ReadPassword(int(stdin.Fd()))
			return string(b), err
		}
	}
	return cli.Run(ctx, env, args)
}

func runGUI(ctx context.Context, store *keyringstore.Store, stderr io.Writer) error {
	var shown atomic.Pointer[gui.Window]
	release, err := onlyInstance(store, &shown)
	if errors.Is(err, instance.ErrRunning) {
		fmt.Fprintf(stderr, "softtoken: %v\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	defer release()
	pol, warns := policy.Read()
	for _, w := range warns {
		slog.Warn("softtoken's policy has a bad value", "err", w)
	}
	a := fyneapp.NewWithID(appID)
	icon := fyne.NewStaticResource("icon.png", assets.IconPNG)
	a.SetIcon(icon)
	desk, ok := a.(desktop.App)
	tray := ok && trayAvailable()
	client := &enrolclient.Client{Store: store, ProxyPAC: os.Getenv(proxyPACEnv)}
	var w *gui.Window
	cfg := gui.Config{Store: store, Now: time.Now, Begin: client.Begin, DefaultEnrolURL: os.Getenv(enrolURLEnv), Policy: pol,
		Typer: autotype.Open, Listen: autotype.Listen, KeepOnTop: ontop.Keep}
	if tray {
		cfg.OnChange = func(entries []token.Entry) {
			desk.SetSystemTrayMenu(gui.TrayMenu(entries, func(slot int) { w.CopySlot(slot) }, func() { raise(w.Front()) }))
		}
	}
	w = gui.New(a, cfg)
	// The countdowns count every second only with the focus
	// (gui.Window.SetFocused); the window starts without it until the
	// desktop gives it.
	a.Lifecycle().SetOnEnteredForeground(func() { w.SetFocused(true) })
	a.Lifecycle().SetOnExitedForeground(func() { w.SetFocused(false) })
	shown.Store(w)
	w.StartHotkeys()
	defer w.StopHotkeys()
	if tray {
		desk.SetSystemTrayIcon(icon)
		desk.SetSystemTrayWindow(w.Win)
		w.Win.SetCloseIntercept(w.Win.Hide) // closing hides to the tray
	} else {
		// Closing the main window quits, even with the compact one
		// hidden behind it.
		w.Win.SetMaster()
	}
	go tick(ctx, a, w)
	if !tray || !a.Preferences().Bool(gui.PrefStartMinimised) {
		w.Show() // the main window or the compact one, as last chosen
	}
	a.Run()
	return nil
}

// enrolURLEnv pre-fills the Add dialog for a user who has no enrol URL
// yet (make run's demo).
const enrolURLEnv = "SOFTTOKEN_ENROL_URL"

// proxyPACEnv names the automatic proxy configuration script that the
// enrolment finds its proxy with, in the window and the command line
// (docs/enrolment.md, "Behind a proxy").
const proxyPACEnv = "SOFTTOKEN_PROXY_PAC"

// effectiveSettings are the settings the window would use, read without
// opening it (`softtoken settings`): the policy, then the preferences
// Fyne keeps for appID, then the defaults.
func effectiveSettings() (policy.Settings, []error) {
	pol, warns := policy.Read()
	user, err := prefsfile.Read(appID)
	if err != nil {
		warns = append(warns, err)
		user = policy.Values{}
	}
	return policy.Resolve(pol, user, os.Getenv(enrolURLEnv)), warns
}

// onlyInstance makes this the one window per user and keyring service: a
// second launch brings the window shown (once there is one) to the front
// and ends with instance.ErrRunning. When that cannot be made sure, it is
// logged and the app runs anyway.
func onlyInstance(store *keyringstore.Store, shown *atomic.Pointer[gui.Window]) (release func(), err error) {
	sock, err := instance.Path(store.Service())
	if err != nil {
		return nil, err
	}
	release, err = instance.Acquire(sock, func() {
		if w := shown.Load(); w != nil {
			fyne.Do(func() { raise(w.Front()) })
		}
	})
	if err != nil && !errors.Is(err, instance.ErrRunning) {
		slog.Warn("cannot make sure only one softtoken runs", "err", err)
		return func() {}, nil
	}
	return release, err
}

// tick refreshes the window whenever it changes by itself: every second,
// on the second, while it has the focus, and only at a countdown's step or
// a new passcode otherwise (gui.Window.UntilChange), so the idle app does
// almost nothing in between.
func tick(ctx context.Context, a fyne.App, w *gui.Window) {
	for {
		var wait time.Duration
		fyne.DoAndWait(func() {
			w.Refresh()
			wait = w.UntilChange(time.Now())
		})
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			fyne.Do(a.Quit)
			return
		case <-w.Wake():
		case <-timer.C:
		}
		timer.Stop()
	}
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
