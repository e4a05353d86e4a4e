//go:build wine

package wintest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// wine is Debian's 64-bit loader (not on PATH).
const wine = "/usr/lib/wine/wine64"

// The Wine prefix, display and binary every test uses, set up once by
// TestMain.
var (
	exe     string // the packaged Windows binary
	prefix  string // WINEPREFIX
	display string // the Xvfb display, with a window manager
)

func TestMain(m *testing.M) {
	code, err := setUp(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wintest:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setUp(m *testing.M) (int, error) {
	exe = os.Getenv("SOFTTOKEN_WINDOWS_EXE")
	if exe == "" {
		exe = "../../dist/softtoken-windows-amd64.exe"
	}
	abs, err := filepath.Abs(exe)
	if err != nil {
		return 0, err
	}
	exe = abs
	if _, err := os.Stat(exe); err != nil {
		return 0, fmt.Errorf("no Windows binary to test (%v): run `make package` first", err)
	}
	for _, tool := range []string{wine, "x86_64-w64-mingw32-gcc", "wixl", "osslsigncode", "make", "Xvfb", "openbox", "xdotool", "xprop", "setxkbmap", "import", "convert", "tesseract", "oathtool", "squid"} {
		if _, err := exec.LookPath(tool); err != nil {
			return 0, fmt.Errorf("%s is missing (make test-windows installs it): %v", tool, err)
		}
	}
	if prefix, err = os.MkdirTemp("", "wintest-prefix-"); err != nil {
		return 0, err
	}
	defer os.RemoveAll(prefix)
	stopX, err := startDisplay()
	if err != nil {
		return 0, err
	}
	defer stopX()
	if err := makePrefix(); err != nil {
		return 0, err
	}
	defer stopWineserver() // WINEPREFIX is in our environment
	return m.Run(), nil
}

// startDisplay starts Xvfb on a free display and openbox on it, so that
// windows can be iconified and restored as on a desktop.
func startDisplay() (stop func(), err error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	xvfb := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	xvfb.ExtraFiles = []*os.File{w}
	if err := xvfb.Start(); err != nil {
		return nil, err
	}
	w.Close()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		xvfb.Process.Kill()
		xvfb.Wait()
		return nil, fmt.Errorf("Xvfb did not start: %v", err)
	}
	display = ":" + strings.TrimSpace(line)
	os.Setenv("DISPLAY", display)
	wm := exec.Command("openbox", "--sm-disable")
	wm.Env = append(os.Environ(), "DISPLAY="+display)
	if err := wm.Start(); err != nil {
		xvfb.Process.Kill()
		xvfb.Wait()
		return nil, err
	}
	return func() {
		wm.Process.Kill()
		wm.Wait()
		xvfb.Process.Signal(syscall.SIGTERM) // lets Xvfb remove its lock file
		xvfb.Wait()
	}, nil
}

// makePrefix creates a fresh Wine prefix and gives it the one DLL Go needs
// that Wine 8 lacks: bcryptprimitives.dll with ProcessPrng, built here
// with mingw over RtlGenRandom.
func makePrefix() error {
	os.Setenv("WINEPREFIX", prefix)
	os.Setenv("WINEDEBUG", "-all")
	// No Mono or Gecko installer dialogs: the app needs neither. No
	// winemenubuilder either: it would copy the MSI's Start-menu shortcut
	// into this machine's own menus (~/.local/share/applications).
	os.Setenv("WINEDLLOVERRIDES", "mscoree,mshtml,winemenubuilder.exe=")
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"} {
		os.Unsetenv(k) // the registry names the proxy here
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, wine, "wineboot", "-i").CombinedOutput(); err != nil {
		return fmt.Errorf("wineboot: %v\n%s", err, out)
	}
	src := filepath.Join(prefix, "prng.c")
	c := "#include <windows.h>\n#include <ntsecapi.h>\n" +
		"BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) { return RtlGenRandom(data, (ULONG)len); }\n"
	if err := os.WriteFile(src, []byte(c), 0o644); err != nil {
		return err
	}
	// A wineserver that stays between the tests' commands: each would
	// otherwise start one of its own, seconds each (wineserver_test.go).
	if err := startWineserver(); err != nil {
		return err
	}
	dll := filepath.Join(prefix, "drive_c", "windows", "system32", "bcryptprimitives.dll")
	if out, err := exec.Command("x86_64-w64-mingw32-gcc", "-shared", "-o", dll, src, "-ladvapi32").CombinedOutput(); err != nil {
		return fmt.Errorf("build bcryptprimitives.dll: %v\n%s", err, out)
	}
	return nil
}

// service is a keyring service of the test's own, so tests share nothing
// in Wine's Credential Manager.
func service(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	rand.Read(b)
	return "softtoken-wine-" + hex.EncodeToString(b)
}

// softtoken runs the Windows binary with args and stdin under service,
// and returns its standard output and error.
func softtoken(t *testing.T, service, stdin string, args ...string) (string, string, error) {
	t.Helper()
	return softtokenWithin(t, 2*time.Minute, service, stdin, args...)
}

// softtokenWithin is softtoken, killed after d.
func softtokenWithin(t *testing.T, d time.Duration, service, stdin string, args ...string) (string, string, error) {
	t.Helper()
	return runWithin(t, d, exe, service, stdin, args...)
}

// runWithin runs the Windows program bin (a Linux path, or a Windows one
// such as the installed C:\Program Files\softtoken\softtoken.exe) as
// softtokenWithin does.
func runWithin(t *testing.T, d time.Duration, bin, service, stdin string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, wine, append([]string{bin}, args...)...)
	cmd.Env = append(os.Environ(), "SOFTTOKEN_KEYRING_SERVICE="+service)
	cmd.Stdin = strings.NewReader(stdin)
	// Files, not pipes: Wine's services, started by the first program,
	// inherit its handles and outlive it, so a pipe would never close.
	out, errOut := tempFile(t), tempFile(t)
	cmd.Stdout, cmd.Stderr = out, errOut
	err := cmd.Run()
	return readBack(t, out), readBack(t, errOut), err
}

func tempFile(t *testing.T) *os.File {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func readBack(t *testing.T, f *os.File) string {
	t.Helper()
	defer f.Close()
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// must is softtoken that fails the test on an error.
func must(t *testing.T, service, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := softtoken(t, service, stdin, args...)
	if err != nil {
		t.Fatalf("softtoken %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// reg runs Wine's reg.exe with args (add, delete, query).
func reg(t *testing.T, args ...string) {
	t.Helper()
	if out, err := regTry(t, args...); err != nil {
		t.Fatalf("wine reg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// regTry is reg that returns the failure.
func regTry(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(wine, append([]string{"reg"}, args...)...)
	out := tempFile(t)
	cmd.Stdout, cmd.Stderr = out, out
	err := cmd.Run()
	return readBack(t, out), err
}

// tool runs a Linux tool and returns its trimmed output.
func tool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%v: %s", err, ee.Stderr)
		}
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// randomSecret is a random 160-bit seed in base32.
func randomSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 20)
	rand.Read(b)
	return base32Of(b)
}

// base32Of is the seed b in unpadded base32.
func base32Of(b []byte) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}
