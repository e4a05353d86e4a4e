//go:build wine

package wintest

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// oath is oathtool's code for the base32 secret at time at.
func oath(t *testing.T, secret string, at time.Time, args ...string) string {
	t.Helper()
	return tool(t, "oathtool", append(args, fmt.Sprintf("--now=@%d", at.Unix()), "--base32", secret)...)
}

// checkTOTP checks the passcode code prints against oathtool's for the
// base32 secret: a code belongs to one period, so oathtool's of the
// moment before or after is accepted, in case the period turned during
// the call. what names the code in the failure.
func checkTOTP(t *testing.T, what, secret string, code func() string, oathArgs ...string) {
	t.Helper()
	before := time.Now()
	got := strings.TrimSpace(code())
	after := time.Now()
	if want1, want2 := oath(t, secret, before, oathArgs...), oath(t, secret, after, oathArgs...); got != want1 && got != want2 {
		t.Errorf("%s: softtoken.exe says %s, oathtool says %s", what, got, want1)
	}
}

// The command line under Wine: add, list and code against Wine's
// Credential Manager, with codes equal to oathtool's (TOTP of every
// algorithm, HOTP counting up), and six tokens at most.
func TestCommandLine(t *testing.T) {
	svc := service(t)
	secret := randomSecret(t)
	for _, tc := range []struct {
		name, params string
		oathArgs     []string
	}{
		{"sha1", "", []string{"--totp=sha1", "--digits=6", "--time-step-size=30s"}},
		{"sha256", "&algorithm=SHA256&digits=8&period=60", []string{"--totp=sha256", "--digits=8", "--time-step-size=60s"}},
		{"sha512", "&algorithm=SHA512&digits=8", []string{"--totp=sha512", "--digits=8", "--time-step-size=30s"}},
	} {
		must(t, svc, "", "add", "otpauth://totp/Wine:"+tc.name+"?secret="+secret+tc.params)
		checkTOTP(t, tc.name, secret, func() string { return must(t, svc, "", "code", tc.name) }, tc.oathArgs...)
	}
	// A token from standard input, as `softtoken add -` reads it.
	must(t, svc, "otpauth://hotp/Wine:counter?secret="+secret+"&counter=41\n", "add", "-")
	for counter := 41; counter < 44; counter++ {
		got := strings.TrimSpace(must(t, svc, "", "code", "counter"))
		if want := oath(t, secret, time.Now(), "--hotp", fmt.Sprintf("--counter=%d", counter)); got != want {
			t.Errorf("HOTP counter %d: softtoken.exe code says %s, oathtool says %s", counter, got, want)
		}
	}
	list := must(t, svc, "", "list")
	for _, want := range []string{"1     sha1 (Wine)", "TOTP SHA256 8 digits 60 s", "4     counter (Wine)  HOTP"} {
		if !strings.Contains(list, want) {
			t.Errorf("list lacks %q:\n%s", want, list)
		}
	}

	must(t, svc, "", "add", "otpauth://totp/Wine:five?secret="+secret)
	must(t, svc, "", "add", "otpauth://totp/Wine:six?secret="+secret)
	out, errOut, err := softtoken(t, svc, "", "add", "otpauth://totp/Wine:seven?secret="+secret)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(errOut, "already holds 6 tokens, the most it can hold") {
		t.Errorf("a seventh token: %v\n%s%s", err, out, errOut)
	}
	if list := must(t, svc, "", "list"); strings.Count(list, "(Wine)") != 6 || strings.Contains(list, "seven") {
		t.Errorf("after the seventh add:\n%s", list)
	}
	for i := 6; i >= 1; i-- {
		must(t, svc, "", "delete", "--yes", fmt.Sprint(i))
	}
}
