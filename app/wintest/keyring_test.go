//go:build wine

package wintest

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The largest token the app accepts is stored in Wine's Credential
// Manager and read back whole: the keyring store's own test
// (TestLargestTokenStored, every field at its limit, the longest service
// name), built for Windows and run under Wine; and through the packaged
// binary, the largest token an otpauth:// URI can carry, whose codes
// equal oathtool's.
func TestLargestTokenInCredentialManager(t *testing.T) {
	testExe := filepath.Join(t.TempDir(), "keyringstore.test.exe")
	build := exec.Command("go", "test", "-c", "-o", testExe, "../../token/keyringstore")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the keyring store's tests for Windows: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run := exec.CommandContext(ctx, wine, testExe, "-test.run", "^TestLargestTokenStored$", "-test.v", "-test.count=1")
	run.Env = append(os.Environ(), "SOFTTOKEN_REQUIRE_KEYRING=1")
	out := tempFile(t)
	run.Stdout, run.Stderr = out, out
	err := run.Run()
	if log := readBack(t, out); err != nil || !strings.Contains(log, "--- PASS: TestLargestTokenStored/os") {
		t.Errorf("the keyring store's test under Wine: %v\n%s", err, log)
	}

	// Through the binary: issuer and account of 256 bytes each, a 128-byte
	// SHA-512 seed, 8 digits, 60 s.
	svc := service(t)
	q := strings.Repeat(`"`, 256)
	b := make([]byte, 128)
	for i := range b {
		b[i] = byte(i * 7)
	}
	secret := base32Of(b)
	uri := "otpauth://totp/" + url.PathEscape(q) + ":" + url.PathEscape(q) + "?secret=" + secret +
		"&issuer=" + url.QueryEscape(q) + "&algorithm=SHA512&digits=8&period=60"
	must(t, svc, uri+"\n", "add", "-")
	t.Cleanup(func() { must(t, svc, "", "delete", "--yes", "1") })
	if list := must(t, svc, "", "list"); !strings.Contains(list, "TOTP SHA512 8 digits 60 s") {
		t.Errorf("list:\n%s", list)
	}
	checkTOTP(t, "the largest URI token's code", secret, func() string { return must(t, svc, "", "code", "1") },
		"--totp=sha512", "--digits=8", "--time-step-size=60s")
}
