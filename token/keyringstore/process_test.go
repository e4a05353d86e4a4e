package keyringstore_test

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/keyringstore"
)

// Tests that need a process of their own re-run this test binary with
// SOFTTOKEN_TEST_CHILD naming what the child does; a child prints childOK
// when it has checked what it was started to check.
const childOK = "CHILD-CHECKED"

func child(t *testing.T, role string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChild$", "-test.v")
	cmd.Env = append(os.Environ(), append(env, "SOFTTOKEN_TEST_CHILD="+role)...)
	return cmd
}

// TestChild is the body of the child processes; it does nothing in a normal run.
func TestChild(t *testing.T) {
	role := os.Getenv("SOFTTOKEN_TEST_CHILD")
	if role == "" {
		t.Skip("only runs as a child of another test")
	}
	s, err := keyringstore.New(keyringstore.Config{Service: keyringstore.ServiceFromEnv(), LockPath: os.Getenv("SOFTTOKEN_TEST_LOCK")})
	must(t, err)
	switch role {
	case "unavailable", "locked":
		want := map[string]error{"unavailable": keyringstore.ErrUnavailable, "locked": keyringstore.ErrLocked}[role]
		_, listErr := s.List()
		_, addErr := s.Add(testToken("x"))
		for _, err := range []error{listErr, addErr} {
			if !errors.Is(err, want) {
				t.Fatalf("got %v, want %v", err, want)
			}
			t.Logf("message: %v", err)
		}
		fmt.Println(childOK)
	case "writer":
		// Change the store as fast as possible until killed.
		fmt.Println("started")
		for i := 0; ; i++ {
			entries, err := s.List()
			must(t, err)
			switch {
			case len(entries) >= 4:
				must(t, s.Delete(entries[0].ID))
			case i%3 == 2 && len(entries) > 0:
				must(t, s.Rename(entries[len(entries)-1].ID, fmt.Sprintf("renamed%d", i)))
			default:
				_, err := s.Add(testToken(fmt.Sprintf("w%d", i)))
				must(t, err)
			}
		}
	default:
		t.Fatalf("unknown child role %q", role)
	}
}

func runChild(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), childOK) {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

// With no D-Bus session bus, the error says there is no keyring and what to do.
func TestNoKeyring(t *testing.T) {
	runChild(t, child(t, "unavailable",
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(t.TempDir(), "no-bus"),
		keyringstore.ServiceEnv+"="+testService(),
		"SOFTTOKEN_TEST_LOCK="+filepath.Join(t.TempDir(), "lock")))
}

// A Secret Service whose login keyring was never unlocked: the error says
// the keyring is locked. Needs dbus-run-session and gnome-keyring-daemon.
func TestLockedKeyring(t *testing.T) {
	for _, tool := range []string{"dbus-run-session", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("SOFTTOKEN_REQUIRE_KEYRING") == "1" {
				t.Fatalf("%s is required: %v", tool, err)
			}
			t.Skipf("%s not installed", tool)
		}
	}
	cmd := child(t, "locked",
		"XDG_DATA_HOME="+t.TempDir(),
		keyringstore.ServiceEnv+"="+testService(),
		"SOFTTOKEN_TEST_LOCK="+filepath.Join(t.TempDir(), "lock"))
	cmd.Args = append([]string{"dbus-run-session", "--", "sh", "-c",
		`gnome-keyring-daemon --daemonize --components=secrets >/dev/null && exec "$@"`, "sh"}, cmd.Args...)
	cmd.Path, _ = exec.LookPath("dbus-run-session")
	runChild(t, cmd)
}

// SIGKILL a process that changes the real keyring store as fast as it can,
// at random moments: every time, the store lists a consistent set, and the
// next change leaves exactly one keyring entry per token.
func TestKillDuringWrite(t *testing.T) {
	if _, ok := backends(t)["os"]; !ok {
		t.Skip("needs the real keyring")
	}
	secretTool, err := exec.LookPath("secret-tool")
	if err != nil {
		if os.Getenv("SOFTTOKEN_REQUIRE_KEYRING") == "1" {
			t.Fatalf("secret-tool is required: %v", err)
		}
		t.Skip("secret-tool not installed")
	}
	service := testService()
	lock := filepath.Join(t.TempDir(), "lock")
	s, err := keyringstore.New(keyringstore.Config{Service: service, LockPath: lock})
	must(t, err)
	t.Cleanup(func() { wipe(t, s, keyringstore.OSKeyring{}) })

	for round := range 6 {
		cmd := child(t, "writer", keyringstore.ServiceEnv+"="+service, "SOFTTOKEN_TEST_LOCK="+lock)
		stdout, err := cmd.StdoutPipe()
		must(t, err)
		must(t, cmd.Start())
		waitFor(t, bufio.NewScanner(stdout), "started")
		time.Sleep(time.Duration(50+rand.IntN(400)) * time.Millisecond)
		must(t, cmd.Process.Signal(syscall.SIGKILL))
		_ = cmd.Wait()

		entries, err := s.List()
		if err != nil {
			t.Fatalf("round %d: after the kill the store cannot be read: %v", round, err)
		}
		seen := map[string]bool{}
		for _, e := range entries {
			if e.Err != nil {
				t.Fatalf("round %d: slot %d is damaged after the kill: %v", round, e.Slot, e.Err)
			}
			if seen[e.Token.Label] {
				t.Fatalf("round %d: label %q twice", round, e.Token.Label)
			}
			seen[e.Token.Label] = true
		}
		if len(entries) > token.MaxTokens {
			t.Fatalf("round %d: %d tokens", round, len(entries))
		}
		// A change finishes any clean-up the kill interrupted.
		e, err := s.Add(testToken(fmt.Sprintf("check%d", round)))
		must(t, err)
		must(t, s.Delete(e.ID))
		out, err := exec.Command(secretTool, "search", "--all", "service", service).CombinedOutput()
		if err != nil && len(entries) > 0 {
			t.Fatalf("secret-tool: %v: %s", err, out)
		}
		items := strings.Count(string(out), "attribute.username = ")
		if want := 1 + len(entries); items != want {
			t.Errorf("round %d: the keyring holds %d entries for %d tokens, want %d", round, items, len(entries), want)
		}
		t.Logf("round %d: killed with %d tokens stored", round, len(entries))
	}
}

// waitFor reads lines until one is want.
func waitFor(t *testing.T, sc *bufio.Scanner, want string) {
	t.Helper()
	for sc.Scan() {
		if sc.Text() == want {
			go func() { // keep the pipe drained so the child never blocks
				for sc.Scan() {
				}
			}()
			return
		}
	}
	t.Fatalf("the child ended before printing %q", want)
}
