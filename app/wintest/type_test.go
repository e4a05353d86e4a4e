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
