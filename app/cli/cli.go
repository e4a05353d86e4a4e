// Package cli is softtoken's command line, for scripting and support. Its
// commands and their arguments are described once, in [Usage], which is
// what `softtoken help` prints. Without a URI, or with "-", add reads the
// URI from standard input, which keeps the secret out of the shell history
// and the process list. The package does no I/O of its own beyond the
// [Env] it is given, so tests drive it in-process.
package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/softtoken/softtoken/app/autotype"
	"github.com/softtoken/softtoken/app/policy"
	"github.com/softtoken/softtoken/token"
)

// Env is what a command may use: the token store, the clock and the
// standard streams.
type Env struct {
	Store  token.Store
	Now    func() time.Time
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Interactive says that Stdin is a terminal, so a command may ask.
	Interactive bool
	// ReadSecret reads one line from the terminal without echo; nil when
	// Stdin is not a terminal.
	ReadSecret func() (string, error)
	Version    string
	// Typer opens what types into the focused window (autotype.Open; nil:
	// nothing can).
	Typer func() (autotype.Typer, error)
	// Settings are the effective settings (the policy over the user's
	// preferences over the defaults), with the warnings about a bad
	// policy or preferences file; nil: the build has none to tell.
	Settings func() (policy.Settings, []error)
	// ProxyPAC is the URL of a proxy auto-configuration script to find
	// the enrolment's proxy with (SOFTTOKEN_PROXY_PAC, read by main);
	// enrol's --proxy-pac overrides it.
	ProxyPAC string
}

// UsageError is a command line that does not make sense; the program exits
// with status 2 for it, as flag does.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg + " (see softtoken help)" }

func usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// Usage is the command line's help text: the one description of its
// commands (the README points here).
const Usage = `softtoken keeps up to six soft tokens in the system keyring and shows their passcodes.

Usage:
  softtoken                          open the window
  softtoken add [URI|-]              add a token from an otpauth:// URI; without URI or with -, read it from standard input
  softtoken enrol [--proxy-pac PAC] URL USERID
                                     enrol with the server at the enrol URL of your welcome mail; asks for
                                     password and passcode (one per line on standard input when it is not a terminal);
                                     --proxy-pac finds the proxy with the automatic configuration script at the URL PAC
                                     (http, https or file; default SOFTTOKEN_PROXY_PAC)
  softtoken scan [--yes] FILE        show the token or One Swipe enrolment code in a QR code image
                                     (PNG, JPEG, GIF); --yes adds the token or enrols
  softtoken scan [--yes] --screen    the same for a QR code on the screen
  softtoken scan [--yes] --clipboard the same for a copied image of a QR code
  softtoken list                     list the tokens: slot, name, kind
  softtoken code [--next] [NAME]     print a token's passcode, or with --next the one after it
  softtoken type [--delay D] [--enter] NAME
                                     type a token's passcode into the window that has the focus (X11, Windows),
                                     after D (e.g. 2s); the next period's when fewer than 3 s are left
  softtoken rename OLD NEW           rename a token
  softtoken delete [--yes] NAME      delete a token (asks first unless --yes)
  softtoken settings [--json]        print every setting, its value and where it came from: policy (set by
                                     your organisation), user (Settings) or default
  softtoken version                  print the version

NAME is a name as list prints it, a slot number, or a unique part of a name.
Tokens live in the system keyring under the service name "softtoken"
(SOFTTOKEN_KEYRING_SERVICE overrides it).
Enrolment finds its proxy with --proxy-pac or SOFTTOKEN_PROXY_PAC, else HTTPS_PROXY, else (on Windows) the
Internet Settings; a proxy that asks for NTLM takes http://DOMAIN%5Cuser:password@host:port.
`

// Run runs the command in args (without the program name).
func Run(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usagef("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "add":
		return add(env, rest)
	case "enrol", "enroll":
		return enrol(ctx, env, rest)
	case "scan":
		return scanCmd(ctx, env, rest)
	case "list":
		return list(env, rest)
	case "code":
		return code(env, rest)
	case "type":
		return typeCode(ctx, env, rest)
	case "rename":
		return rename(env, rest)
	case "delete":
		return del(env, rest)
	case "settings":
		return settings(env, rest)
	case "version", "--version":
		if err := noArgs(cmd, rest); err != nil {
			return err
		}
		_, err := fmt.Fprintf(env.Stdout, "softtoken %s\n", env.Version)
		return err
	case "help", "-h", "-help", "--help":
		_, err := io.WriteString(env.Stdout, Usage)
		return err
	}
	return usagef("unknown command %q", cmd)
}

// flags parses a command's flags, which come before its arguments, and
// checks the number of arguments left.
func flags(env Env, cmd string, args []string, minArgs, maxArgs int, define func(*flag.FlagSet)) ([]string, error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if define != nil {
		define(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, usagef("%s: %v", cmd, err)
	}
	rest := fs.Args()
	switch {
	case len(rest) < minArgs:
		return nil, usagef("%s: missing argument", cmd)
	case len(rest) > maxArgs:
		return nil, usagef("%s: unexpected argument %q", cmd, rest[maxArgs])
	}
	return rest, nil
}

func noArgs(cmd string, args []string) error {
	if len(args) > 0 {
		return usagef("%s: unexpected argument %q", cmd, args[0])
	}
	return nil
}

func add(env Env, args []string) error {
	rest, err := flags(env, "add", args, 0, 1, nil)
	if err != nil {
		return err
	}
	uri := ""
	if len(rest) == 1 {
		uri = rest[0]
	}
	if uri == "" || uri == "-" {
		if uri, err = readURI(env); err != nil {
			return err
		}
	}
	t, err := token.ParseURI(uri)
	if err != nil {
		return err
	}
	return addToken(env, t)
}

// addToken stores t and says in which slot.
func addToken(env Env, t token.Token) error {
	e, err := env.Store.Add(t)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "Added slot %d: %s\n", e.Slot, e.Token.Label)
	return err
}

// maxInput bounds what add reads from standard input.
const maxInput = 16 << 10

func readURI(env Env) (string, error) {
	if env.Interactive && env.ReadSecret != nil {
		fmt.Fprint(env.Stderr, "Paste the otpauth:// URI (it is not shown): ")
		line, err := env.ReadSecret()
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", fmt.Errorf("read the URI: %w", err)
		}
		return line, nil
	}
	b, err := io.ReadAll(io.LimitReader(env.Stdin, maxInput+1))
	if err != nil {
		return "", fmt.Errorf("read the URI from standard input: %w", err)
	}
	if len(b) > maxInput {
		return "", errors.New("standard input is too long for an otpauth:// URI")
	}
	if strings.TrimSpace(string(b)) == "" {
		return "", usagef("add: give an otpauth:// URI, or pipe one into standard input")
	}
	return string(b), nil
}

func list(env Env, args []string) error {
	if _, err := flags(env, "list", args, 0, 0, nil); err != nil {
		return err
	}
	entries, err := env.Store.List()
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		_, err := fmt.Fprintln(env.Stdout, "No tokens yet: add one with the Add button in the window, or with softtoken add.")
		return err
	}
	var buf strings.Builder
	w := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SLOT\tNAME\tKIND\tSERIAL")
	for _, e := range entries {
		if e.Err != nil {
			fmt.Fprintf(w, "%d\t%s\t%v\t\n", e.Slot, e.Name(), e.Err)
			continue
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", e.Slot, e.Token.Label, kind(e.Token.Params), e.Token.Serial)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return writeTrimmed(env, buf.String())
}

// writeTrimmed writes a table's lines without the spaces that pad their
// last column.
func writeTrimmed(env Env, table string) error {
	for line := range strings.Lines(table) {
		if _, err := fmt.Fprintln(env.Stdout, strings.TrimRight(line, " \n")); err != nil {
			return err
		}
	}
	return nil
}

// kind describes a token's parameters in a few words, e.g. "TOTP SHA1 6 digits 30 s".
func kind(p token.Params) string {
	s := fmt.Sprintf("%s %s %d digits", strings.ToUpper(string(p.Type)), p.Algorithm, p.Digits)
	if p.Type == token.TOTP {
		s += fmt.Sprintf(" %d s", p.Period)
	}
	return s
}

// find picks the entry a NAME argument means, refusing unreadable entries.
func find(env Env, query string) (token.Entry, error) {
	entries, err := env.Store.List()
	if err != nil {
		return token.Entry{}, err
	}
	e, err := token.Find(entries, query)
	if err != nil {
		return token.Entry{}, err
	}
	return e, nil
}

func code(env Env, args []string) error {
	var next bool
	rest, err := flags(env, "code", args, 0, 1, func(fs *flag.FlagSet) {
		fs.BoolVar(&next, "next", false, "print the code after the current one")
	})
	if err != nil {
		return err
	}
	query := ""
	if len(rest) == 1 {
		query = rest[0]
	}
	e, err := find(env, query)
	if err != nil {
		return err
	}
	if e.Err != nil {
		return fmt.Errorf("%s: %w", e.Name(), e.Err)
	}
	var c string
	switch {
	case e.Token.Type == token.HOTP && !next:
		// Using an HOTP code consumes it: the store advances the counter first.
		c, err = env.Store.NextHOTPCode(e.ID)
	case e.Token.Type == token.HOTP:
		// --next shows the code the next `code` will use, consuming nothing.
		c, err = e.Token.Code(env.Now())
	case next:
		c, err = e.Token.NextCode(env.Now())
	default:
		c, err = e.Token.Code(env.Now())
	}
	if err != nil {
		return fmt.Errorf("%s: %w", e.Token.Label, err)
	}
	_, err = fmt.Fprintln(env.Stdout, c)
	return err
}

func rename(env Env, args []string) error {
	rest, err := flags(env, "rename", args, 2, 2, nil)
	if err != nil {
		return err
	}
	e, err := find(env, rest[0])
	if err != nil {
		return err
	}
	if e.Err != nil {
		return fmt.Errorf("%s cannot be renamed: %w", e.Name(), e.Err)
	}
	if err := env.Store.Rename(e.ID, rest[1]); err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "Renamed %q to %q\n", e.Token.Label, rest[1])
	return err
}

func del(env Env, args []string) error {
	var yes bool
	rest, err := flags(env, "delete", args, 1, 1, func(fs *flag.FlagSet) {
		fs.BoolVar(&yes, "yes", false, "delete without asking")
	})
	if err != nil {
		return err
	}
	e, err := find(env, rest[0])
	if err != nil {
		return err
	}
	if !yes {
		if !env.Interactive {
			return usagef("delete: add --yes to delete %q without being asked", e.Name())
		}
		fmt.Fprintf(env.Stderr, "Delete %q? Its passcodes stop here for good: to use this account on this PC again you must enrol again. [y/N] ", e.Name())
		answer, _ := bufio.NewReader(env.Stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			_, err := fmt.Fprintln(env.Stdout, "Nothing deleted.")
			return err
		}
	}
	if err := env.Store.Delete(e.ID); err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "Deleted %q\n", e.Name())
	return err
}
