//go:build wine

package wintest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// editBox starts a Windows program whose one edit control has the focus,
// and returns a function that reads what the control holds (the program
// writes it to a file ten times a second).
func editBox(t *testing.T) (typed func() string, win string) {
	t.Helper()
	dir := t.TempDir()
	name := "typed-" + service(t) + ".txt" // the window's title: this test's own
	exeFile, out := filepath.Join(dir, "editbox.exe"), filepath.Join(dir, name)
	tool(t, "x86_64-w64-mingw32-gcc", "-mwindows", "-o", exeFile, "testdata/editbox.c")
	cmd := exec.Command(wine, exeFile, "Z:"+strings.ReplaceAll(out, "/", `\`))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ids, err := exec.CommandContext(ctx, "xdotool", "search", "--sync", "--onlyvisible", "--name", name).Output()
	if err != nil || len(strings.Fields(string(ids))) == 0 {
		t.Fatalf("no edit box window: %v", err)
	}
	win = strings.Fields(string(ids))[0]
	focus(t, win)
	return func() string { b, _ := os.ReadFile(out); return string(b) }, win
}

// focus gives window id the focus, as a click would.
func focus(t *testing.T, id string) {
	t.Helper()
	tool(t, "xdotool", "windowactivate", "--sync", id)
	time.Sleep(300 * time.Millisecond)
}

// waitFor waits for what the edit box holds to have a line, and returns
// it.
func waitFor(t *testing.T, typed func() string, what string) string {
	t.Helper()
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if s := typed(); strings.Contains(s, "\n") {
			return strings.TrimSpace(s)
		}
	}
	t.Fatalf("%s: the edit box holds %q", what, typed())
	return ""
}

// `softtoken type --enter NAME` types the passcode oathtool computes into a
// Windows edit control that has the focus (SendInput, Unicode keys).
func TestTypeCommand(t *testing.T) {
	svc := service(t)
	secret := randomSecret(t)
	must(t, svc, "", "add", "otpauth://totp/Bank:trader?issuer=Bank&secret="+secret)
	t.Cleanup(func() { must(t, svc, "", "delete", "--yes", "1") })
	typed, _ := editBox(t)
	before := time.Now()
	must(t, svc, "", "type", "--enter", "trader")
	got := waitFor(t, typed, "softtoken type")
	if a, b, c := oath(t, secret, before, "--totp"), oath(t, secret, time.Now(), "--totp"), oath(t, secret, time.Now().Add(30*time.Second), "--totp"); got != a && got != b && got != c {
		t.Errorf("softtoken type typed %q, oathtool says %s", got, a)
	}
}

// With the softtoken window in the background and a Windows edit control
// focused, Ctrl+Alt+2 (sent to the X server, which Wine turns into the
// hotkey RegisterHotKey asked for) types token 2's passcode, as oathtool
// computes it, into the edit control (SendInput, Unicode keys); on a US
// keyboard, and on a French one, where the key of 2 is "é" unshifted and
// Windows still calls it VK_2. When
// Wine's wineserver crashes on the way (wineserver_test.go), the test
// starts again on a new one, up to six times.
func TestHotkeyTypes(t *testing.T) {
	for _, kb := range []struct{ layout, key string }{{"us", "2"}, {"fr", "eacute"}} {
		t.Run(kb.layout, func(t *testing.T) {
			tool(t, "setxkbmap", "-display", display, kb.layout)
			t.Cleanup(func() { tool(t, "setxkbmap", "-display", display, "us") })
			const attempts = 6
			for attempt := 1; attempt <= attempts; attempt++ {
				crashes := wineserverCrashes()
				if hotkeyTypes(t, kb.key, crashes) {
					return
				}
				afterCrash(t)
			}
			t.Fatalf("Wine's wineserver crashed in each of %d attempts", attempts)
		})
	}
}

// hotkeyTypes is one attempt of TestHotkeyTypes, with Ctrl+Alt and the
// key of 2 named as the layout names it: false when the
// wineserver crashed since crashes, before the test could tell.
func hotkeyTypes(t *testing.T, key string, crashes int) bool {
	t.Helper()
	crashed := func() bool { return wineserverCrashes() != crashes }
	svc := service(t)
	secrets := []string{randomSecret(t), randomSecret(t)}
	must(t, svc, "", "add", "otpauth://totp/Bank:trader?issuer=Bank&secret="+secrets[0])
	must(t, svc, "", "add", "otpauth://totp/Broker:desk?issuer=Broker&secret="+secrets[1])
	t.Cleanup(func() {
		if !crashed() { // else the tokens went with it
			must(t, svc, "", "delete", "--yes", "2")
			must(t, svc, "", "delete", "--yes", "1")
		}
	})
	startApp(t, svc)
	findWindow(t, 60*time.Second)
	typed, win := editBox(t)
	var got string
	for try := 0; try < 3 && got == ""; try++ { // the app may not hold its hotkeys yet
		// As focus does, but a window a crash took away is not a failure.
		_ = exec.Command("xdotool", "windowactivate", "--sync", win).Run()
		time.Sleep(300 * time.Millisecond)
		before := time.Now()
		if err := exec.Command("xdotool", "key", "--clearmodifiers", "ctrl+alt+"+key).Run(); err != nil {
			t.Fatalf("xdotool key: %v", err)
		}
		got = waitDigits(t, typed, 5*time.Second)
		if crashed() {
			return false
		}
		if got == "" {
			continue
		}
		after := time.Now().Add(3 * time.Second) // the next code, when fewer than 3 s were left
		if got != oath(t, secrets[1], before, "--totp") && got != oath(t, secrets[1], after, "--totp") {
			t.Errorf("Ctrl+Alt+2 typed %q; token 2's passcode is %s (token 1's %s)", got,
				oath(t, secrets[1], before, "--totp"), oath(t, secrets[0], before, "--totp"))
		}
	}
	if got == "" {
		t.Fatalf("Ctrl+Alt+2 typed nothing into the edit box: it holds %q", typed())
	}
	return true
}

// waitDigits waits up to d for the edit box to hold six digits and no
// more coming, and returns them; "" if it holds none by then.
func waitDigits(t *testing.T, typed func() string, d time.Duration) string {
	t.Helper()
	last := ""
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		s := strings.TrimSpace(typed())
		if len(s) >= 6 && s == last {
			return s
		}
		last = s
	}
	return strings.TrimSpace(typed())
}
