package cli_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/app/cli"

	"github.com/softtoken/softtoken/server/servertest"
)

// verified is what the server's verifylogin answers for a right password
// and code (wire.ResultOK; app/ does not import server/wire).
const verified = "OK"

// `softtoken enrol` with password, passcode and the question choices and
// answers one per line on standard input, as a script would send them.
func TestEnrolCommand(t *testing.T) {
	srv := servertest.New(t)
	initial := srv.AddUser("trader", "trader-pass")
	s := newSession(t)
	s.now = srv.Clock.Now()
	out, prompts, err := s.run("trader-pass\n"+initial+"\n3\nVolvo\n5\nRex\n", false, "enrol", srv.URL, "trader")
	if err != nil {
		t.Fatalf("enrol: %v\n%s", err, prompts)
	}
	if !strings.Contains(out, "Enrolled: slot 1, trader (127.0.0.1), serial ST") {
		t.Errorf("output %q", out)
	}
	if !strings.Contains(prompts, "What was the make of your first car?") {
		t.Errorf("the questions were not listed: %q", prompts)
	}
	srv.Clock.Advance(30e9)
	s.now = srv.Clock.Now()
	code, _, err := s.run("", false, "code", "trader")
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Verify("trader", "trader-pass", strings.TrimSpace(code)); got != verified {
		t.Errorf("the enrolled token's code: %s", got)
	}

	tests := []struct {
		stdin, errHas string
	}{
		{"trader-pass\n", "standard input ended"},
		{"trader-pass\n000000\n", "passcode is wrong"},
	}
	for _, tc := range tests {
		if _, _, err := newSession(t).run(tc.stdin, false, "enrol", srv.URL, "trader"); err == nil || !strings.Contains(err.Error(), tc.errHas) {
			t.Errorf("stdin %q: got %v, want %q", tc.stdin, err, tc.errHas)
		}
	}
	if _, _, err := s.run("", false, "enrol", srv.URL); err == nil || !strings.Contains(err.Error(), "missing argument") {
		t.Errorf("no user ID: %v", err)
	}
}

// `softtoken scan --yes` of a One Swipe enrolment code enrols; without
// --yes it only shows it; a second scan of the same code is refused.
func TestScanOneSwipe(t *testing.T) {
	srv := servertest.New(t)
	srv.AddUser("uma", "uma-pass")
	s := newSession(t)
	s.now = srv.Clock.Now()
	file := writeQR(t, srv.OneSwipe("uma"))
	out, _, err := s.run("", false, "scan", file)
	if err != nil || !strings.Contains(out, "Found a One Swipe enrolment code: account uma, server "+srv.URL) || !strings.Contains(out, "Nothing enrolled") {
		t.Fatalf("scan: %q, %v", out, err)
	}
	out, prompts, err := s.run("1\nRome\n2\nRex\n", false, "scan", "--yes", file)
	if err != nil || !strings.Contains(out, "Enrolled: slot 1, uma (127.0.0.1)") {
		t.Fatalf("scan --yes: %q, %v\n%s", out, err, prompts)
	}
	srv.Clock.Advance(30e9)
	s.now = srv.Clock.Now()
	code, _, _ := s.run("", false, "code", "uma")
	if got := srv.Verify("uma", "uma-pass", strings.TrimSpace(code)); got != verified {
		t.Errorf("the token enrolled by One Swipe: %s", got)
	}
	if _, _, err := newSession(t).run("", false, "scan", "--yes", file); err == nil || !strings.Contains(err.Error(), "used already") {
		t.Errorf("the same code again: %v", err)
	}
}

// Answers the server refuses: the reason, then the questions again.
func TestEnrolCommandAsksAgain(t *testing.T) {
	srv := servertest.New(t)
	initial := srv.AddUser("trader", "trader-pass")
	s := newSession(t)
	s.now = srv.Clock.Now()
	out, prompts, err := s.run("trader-pass\n"+initial+"\n3\nx\n5\nRex\n3\nVolvo\n5\nRex\n", false, "enrol", srv.URL, "trader")
	if err != nil || !strings.Contains(out, "Enrolled: slot 1") {
		t.Fatalf("enrol: %q, %v\n%s", out, err, prompts)
	}
	if want := "softtoken: the answers were not accepted: each answer must be 2 to 200 characters\n"; !strings.Contains(prompts, want) ||
		strings.Count(prompts, "What was the make of your first car?") != 2 {
		t.Errorf("the refusal and the questions again: %q", prompts)
	}
}

// --proxy-pac, and SOFTTOKEN_PROXY_PAC (Env.ProxyPAC, which the flag
// overrides), name the automatic configuration script enrol finds its
// proxy with: one that cannot be read is told.
func TestEnrolProxyPAC(t *testing.T) {
	missing := "file://" + filepath.Join(t.TempDir(), "missing.pac")
	other := "file://" + filepath.Join(t.TempDir(), "other.pac")
	for _, tc := range []struct {
		env  string
		args []string
		want string
	}{
		{"", []string{"enrol", "--proxy-pac", missing, "https://enrol.test/secenrol/", "trader"}, missing},
		{missing, []string{"enrol", "https://enrol.test/secenrol/", "trader"}, missing},
		{other, []string{"enrol", "--proxy-pac", missing, "https://enrol.test/secenrol/", "trader"}, missing},
	} {
		var out, errOut bytes.Buffer
		err := cli.Run(context.Background(), cli.Env{Store: newSession(t).store, Now: time.Now, Stdin: strings.NewReader("pw\n123456\n"),
			Stdout: &out, Stderr: &errOut, ProxyPAC: tc.env}, tc.args)
		want := "cannot fetch this PC's automatic proxy configuration script " + tc.want + " (open "
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%v with SOFTTOKEN_PROXY_PAC=%s: got %v, want %q", tc.args, tc.env, err, want)
		}
	}
}
