package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/keyringstore"
)

// requireReal finds oathtool and checks the OS keyring; under `make test`
// (SOFTTOKEN_REQUIRE_KEYRING=1, SOFTTOKEN_REQUIRE_TOOLS=1) their absence is a
// failure, elsewhere a skip.
func requireReal(t *testing.T) string {
	t.Helper()
	skip := func(env, format string, args ...any) {
		t.Helper()
		if os.Getenv(env) == "1" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	oathtool, err := exec.LookPath("oathtool")
	if err != nil {
		skip("SOFTTOKEN_REQUIRE_TOOLS", "oathtool: %v", err)
	}
	probe := "softtoken-probe-" + randHex(t)
	if err := (keyringstore.OSKeyring{}).Set(probe, "probe", "x"); err != nil {
		skip("SOFTTOKEN_REQUIRE_KEYRING", "no usable keyring: %v", err)
	}
	_ = keyringstore.OSKeyring{}.Delete(probe, "probe")
	return oathtool
}

func randHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// softtoken runs the program's run function with args, as the binary would,
// against the keyring service in $SOFTTOKEN_KEYRING_SERVICE.
func softtoken(t *testing.T, args ...string) string {
	t.Helper()
	stdin, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), args, stdin, &out, &errOut); err != nil {
		t.Fatalf("softtoken %s: %v\n%s", args[0], err, errOut.String())
	}
	return out.String()
}

func oath(t *testing.T, oathtool string, secret string, args ...string) string {
	t.Helper()
	cmd := exec.Command(oathtool, append(args, "--base32", "-")...)
	cmd.Stdin = strings.NewReader(secret)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("oathtool %v: %v: %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// `softtoken code` agrees with oathtool for tokens stored in the real
// gnome-keyring, TOTP (every algorithm, digit count and period) and HOTP.
func TestCodeAgreesWithOathtool(t *testing.T) {
	oathtool := requireReal(t)
	service := "softtoken-test-" + randHex(t)
	t.Setenv(keyringstore.ServiceEnv, service)
	t.Cleanup(func() {
		for i := token.MaxTokens; i >= 1; i-- {
			_ = run(context.Background(), []string{"delete", "--yes", fmt.Sprint(i)}, os.Stdin, &bytes.Buffer{}, &bytes.Buffer{})
		}
		_ = keyringstore.OSKeyring{}.Delete(service, "index")
	})

	secret := make(token.Secret, 20)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	b32 := secret.Base32()
	tests := []struct {
		name, params string
		oathArgs     []string
	}{
		{"sha1", "", []string{"--totp=sha1", "--digits=6", "--time-step-size=30s"}},
		{"sha256", "&algorithm=SHA256&digits=8&period=60", []string{"--totp=sha256", "--digits=8", "--time-step-size=60s"}},
		{"sha512", "&algorithm=SHA512&digits=8", []string{"--totp=sha512", "--digits=8", "--time-step-size=30s"}},
	}
	for _, tc := range tests {
		softtoken(t, "add", "otpauth://totp/Example:"+tc.name+"?secret="+b32+tc.params)
		// A code is of one period: accept the oathtool code of the moment
		// before or after, in case the period turned during the call.
		before := time.Now()
		got := strings.TrimSpace(softtoken(t, "code", tc.name))
		after := time.Now()
		want1 := oath(t, oathtool, b32, append(tc.oathArgs, fmt.Sprintf("--now=@%d", before.Unix()))...)
		want2 := oath(t, oathtool, b32, append(tc.oathArgs, fmt.Sprintf("--now=@%d", after.Unix()))...)
		if got != want1 && got != want2 {
			t.Errorf("%s: softtoken code says %s, oathtool says %s", tc.name, got, want1)
		}
	}

	softtoken(t, "add", "otpauth://hotp/Example:counter?secret="+b32+"&counter=41")
	for counter := 41; counter < 44; counter++ {
		got := strings.TrimSpace(softtoken(t, "code", "counter"))
		if want := oath(t, oathtool, b32, "--hotp", fmt.Sprintf("--counter=%d", counter)); got != want {
			t.Errorf("hotp counter %d: softtoken code says %s, oathtool says %s", counter, got, want)
		}
	}
	if list := softtoken(t, "list"); strings.Count(list, "Example") != 4 {
		t.Errorf("list:\n%s", list)
	}
}
