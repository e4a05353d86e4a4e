package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/token"
)

const radiusSecret = "a-shared-secret-of-the-test"

// clientsFile writes a RADIUS clients file of text with mode.
func clientsFile(t *testing.T, text string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "radius-clients")
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

var radiusReceived = regexp.MustCompile(`Received (Access-[A-Za-z]+) `)
var radiusState = regexp.MustCompile(`State = (0x[0-9a-f]+)`)

// radclient sends a signed PAP request with FreeRADIUS's radclient and
// returns the answer's kind and State ("" for none).
func radclient(t *testing.T, addr, user, pw, state string) (kind, st string) {
	t.Helper()
	if _, err := exec.LookPath("radclient"); err != nil {
		t.Fatal("radclient is missing: apt-get install freeradius-utils (make deps installs it)")
	}
	in := `User-Name = "` + user + `"` + "\n" + `User-Password = "` + pw + `"` + "\nMessage-Authenticator = 0x00\n"
	if state != "" {
		in += "State = " + state + "\n"
	}
	cmd := exec.Command("radclient", "-x", "-r", "1", "-t", "15", addr, "auth", radiusSecret) // long: a loaded machine, the race detector
	cmd.Stdin = strings.NewReader(in)
	out, _ := cmd.CombinedOutput()
	if m := radiusReceived.FindSubmatch(out); m != nil {
		kind = string(m[1])
	}
	if m := radiusState.FindSubmatch(out); m != nil {
		st = string(m[1])
	}
	return kind, st
}

// serve --radius-listen: radclient's password gets a challenge, the
// passcode with its State an Accept, the same passcode again a Reject, a
// request without a Message-Authenticator no answer; the door shuts down
// with serve.
func TestServeRADIUS(t *testing.T) {
	a := newAdmin(t)
	u := a.add("trader-pass\n", "--use2fa", "--own-password", "trader")
	a.radiusAddr = make(chan string, 1)
	_, stop := a.serve("--radius-listen", "127.0.0.1:0", "--radius-clients", clientsFile(t, "# the VPN\n127.0.0.0/8 "+radiusSecret+" vpn gateway\n", 0o600))
	defer stop()
	addr := <-a.radiusAddr
	kind, state := radclient(t, addr, "trader", "trader-pass", "")
	if kind != "Access-Challenge" || state == "" {
		t.Fatalf("password: %q, State %q; want a challenge with a State", kind, state)
	}
	seed, _ := token.ParseSecret(u.TwoFASeed)
	code, _ := token.Token{Secret: seed, Params: token.DefaultParams()}.Code(time.Now())
	if kind, _ := radclient(t, addr, "trader", code, state); kind != "Access-Accept" {
		t.Errorf("passcode: %q, want Access-Accept", kind)
	}
	// The same passcode again, with a new challenge's State: used up.
	if kind, state = radclient(t, addr, "trader", "trader-pass", ""); kind != "Access-Challenge" {
		t.Fatalf("password again: %q, want a challenge", kind)
	}
	if kind, _ := radclient(t, addr, "trader", code, state); kind != "Access-Reject" {
		t.Errorf("the same passcode again: %q, want Access-Reject", kind)
	}
	// Unsigned: no answer at all.
	cmd := exec.Command("radclient", "-x", "-r", "1", "-t", "2", addr, "auth", radiusSecret)
	cmd.Stdin = strings.NewReader("User-Name = \"trader\"\nUser-Password = \"trader-pass\"\n")
	if out, _ := cmd.CombinedOutput(); radiusReceived.Match(out) || !strings.Contains(string(out), "No reply") {
		t.Errorf("a request without Message-Authenticator: radclient says\n%s\nwant no reply", out)
	}
}

// The clients file is refused when others may read it or a line is
// malformed (named by its number, never showing a secret), and the flags
// need each other.
func TestServeRADIUSRefused(t *testing.T) {
	a := newAdmin(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--radius-listen", "127.0.0.1:0", "--radius-clients", clientsFile(t, "127.0.0.1 "+radiusSecret+" vpn\n", 0o644)}, "chmod 600"},
		{[]string{"--radius-listen", "127.0.0.1:0", "--radius-clients", clientsFile(t, "# ok\n127.0.0.1 "+radiusSecret+" vpn\n10.0.0.0/33 "+radiusSecret+" fw\n", 0o600)}, "line 3"},
		{[]string{"--radius-listen", "127.0.0.1:0", "--radius-clients", clientsFile(t, "127.0.0.1 short vpn\n", 0o600)}, "shorter than 16"},
		{[]string{"--radius-listen", "127.0.0.1:0", "--radius-clients", clientsFile(t, "127.0.0.1 "+radiusSecret+"\n", 0o600)}, "line 1"},
		{[]string{"--radius-listen", "127.0.0.1:0"}, "needs --radius-clients"},
		{[]string{"--radius-one-step"}, "need --radius-listen"},
	} {
		_, err := a.run("", append([]string{"serve"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("serve %v: %v, want %q", c.args, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), radiusSecret) {
			t.Errorf("serve %v: the error shows the secret: %v", c.args, err)
		}
	}
}
