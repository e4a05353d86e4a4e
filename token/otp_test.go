package token_test

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/softtoken/softtoken/token"
)

// RFC 4226 Appendix D: HOTP, SHA1, 6 digits, secret "12345678901234567890".
func TestHOTPRFC4226(t *testing.T) {
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	secret := token.Secret("12345678901234567890")
	for counter, code := range want {
		got, err := token.HOTPCode(secret, uint64(counter), token.SHA1, 6)
		if err != nil {
			t.Fatalf("counter %d: %v", counter, err)
		}
		if got != code {
			t.Errorf("counter %d: got %s, want %s", counter, got, code)
		}
	}
}

// RFC 6238 Appendix B: TOTP, 8 digits, 30 s, one seed per algorithm.
func TestTOTPRFC6238(t *testing.T) {
	seeds := map[token.Algorithm]token.Secret{
		token.SHA1:   token.Secret("12345678901234567890"),
		token.SHA256: token.Secret("12345678901234567890123456789012"),
		token.SHA512: token.Secret("1234567890123456789012345678901234567890123456789012345678901234"),
	}
	tests := []struct {
		unix int64
		alg  token.Algorithm
		want string
	}{
		{59, token.SHA1, "94287082"}, {59, token.SHA256, "46119246"}, {59, token.SHA512, "90693936"},
		{1111111109, token.SHA1, "07081804"}, {1111111109, token.SHA256, "68084774"}, {1111111109, token.SHA512, "25091201"},
		{1111111111, token.SHA1, "14050471"}, {1111111111, token.SHA256, "67062674"}, {1111111111, token.SHA512, "99943326"},
		{1234567890, token.SHA1, "89005924"}, {1234567890, token.SHA256, "91819424"}, {1234567890, token.SHA512, "93441116"},
		{2000000000, token.SHA1, "69279037"}, {2000000000, token.SHA256, "90698825"}, {2000000000, token.SHA512, "38618901"},
		{20000000000, token.SHA1, "65353130"}, {20000000000, token.SHA256, "77737706"}, {20000000000, token.SHA512, "47863826"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%d", tc.alg, tc.unix), func(t *testing.T) {
			tok := token.Token{Secret: seeds[tc.alg], Params: token.Params{Type: token.TOTP, Algorithm: tc.alg, Digits: 8, Period: 30}}
			got, err := tok.Code(time.Unix(tc.unix, 0))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestNextCodeAndCountdown(t *testing.T) {
	tok := token.Token{Secret: token.Secret("12345678901234567890"), Params: token.DefaultParams()}
	tests := []struct {
		sec, nsec   int64
		secondsLeft int
	}{
		{30, 0, 30},          // first instant of a period
		{30, 1, 30},          // just after it
		{59, 0, 1},           // last second
		{59, 999e6, 1},       // last millisecond
		{45, 500e6, 15},      // middle
		{1111111111, 0, 29},  // 1111111111 = 37037037*30 + 1
		{1111111109, 0, 1},   // one step earlier ends at ...110
		{1111111110, 0, 30},  // boundary
		{20000000000, 0, 10}, // 20000000000 = 666666666*30 + 20
	}
	for _, tc := range tests {
		now := time.Unix(tc.sec, tc.nsec)
		if got := tok.SecondsLeft(now); got != tc.secondsLeft {
			t.Errorf("SecondsLeft at %v: got %d, want %d", now.UTC(), got, tc.secondsLeft)
		}
		next, err := tok.NextCode(now)
		if err != nil {
			t.Fatal(err)
		}
		later, err := tok.Code(now.Add(tok.Remaining(now)))
		if err != nil {
			t.Fatal(err)
		}
		if next != later {
			t.Errorf("at %v: NextCode %s, but the code at the period end is %s", now.UTC(), next, later)
		}
	}
	hotp := token.Token{Secret: token.Secret("12345678901234567890"), Params: token.Params{Type: token.HOTP, Algorithm: token.SHA1, Digits: 6, Counter: 3}}
	if got, _ := hotp.NextCode(time.Now()); got != "338314" {
		t.Errorf("HOTP NextCode at counter 3: got %s, want 338314 (counter 4)", got)
	}
	if got := hotp.SecondsLeft(time.Now()); got != 0 {
		t.Errorf("HOTP SecondsLeft: got %d, want 0", got)
	}
}

func TestCodeRejectsBadParams(t *testing.T) {
	good := token.Token{Label: "x", Secret: token.Secret("12345678901234567890"), Params: token.DefaultParams()}
	tests := []struct {
		name   string
		change func(*token.Token)
		want   string
	}{
		{"digits", func(t *token.Token) { t.Digits = 7 }, "7 digits are not supported"},
		{"period", func(t *token.Token) { t.Period = 15 }, "period of 15 seconds is not supported"},
		{"algorithm", func(t *token.Token) { t.Algorithm = "MD5" }, `algorithm "MD5" is not supported`},
		{"type", func(t *token.Token) { t.Type = "motp" }, `token type "motp" is not supported`},
		{"short secret", func(t *token.Token) { t.Secret = token.Secret("short") }, "too short"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := good
			tc.change(&tok)
			_, err := tok.Code(time.Unix(59, 0))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := good.Code(time.Unix(-1, 0)); err == nil {
		t.Error("a time before 1970 gave a code")
	}
}

// requireTool finds an external program. Under `make test`
// (SOFTTOKEN_REQUIRE_TOOLS=1) a missing one fails the test, so that the
// cross-check cannot silently stop checking.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("SOFTTOKEN_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s is required: %v (make test installs it)", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return path
}

// Cross-check random seeds, times and parameters against oathtool, an
// independent implementation.
func TestAgainstOathtool(t *testing.T) {
	oathtool := requireTool(t, "oathtool")
	for i := 0; i < 60; i++ {
		secret := make(token.Secret, 10+randInt(t, 55))
		if _, err := rand.Read(secret); err != nil {
			t.Fatal(err)
		}
		alg := []token.Algorithm{token.SHA1, token.SHA256, token.SHA512}[randInt(t, 3)]
		digits := []int{6, 8}[randInt(t, 2)]
		var args []string
		tok := token.Token{Secret: secret, Params: token.Params{Algorithm: alg, Digits: digits}}
		if i%4 == 3 {
			// oathtool's HOTP mode knows SHA1 only.
			tok.Type, tok.Algorithm, tok.Counter = token.HOTP, token.SHA1, uint64(randInt(t, 1<<40))
			args = []string{"--hotp", fmt.Sprintf("--counter=%d", tok.Counter)}
		} else {
			tok.Type, tok.Period = token.TOTP, []int{30, 60}[randInt(t, 2)]
			args = []string{"--totp=" + strings.ToLower(string(alg)), fmt.Sprintf("--time-step-size=%ds", tok.Period)}
		}
		now := time.Unix(int64(randInt(t, 4_000_000_000)), 0)
		args = append(args, fmt.Sprintf("--digits=%d", digits), fmt.Sprintf("--now=@%d", now.Unix()), "--base32", "-")
		cmd := exec.Command(oathtool, args...)
		cmd.Stdin = strings.NewReader(secret.Base32())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("oathtool %v: %v: %s", args, err, out)
		}
		got, err := tok.Code(now)
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.TrimSpace(string(out)); got != want {
			t.Errorf("%s %s %d digits, period %d, counter %d, time %d: got %s, oathtool says %s",
				tok.Type, tok.Algorithm, digits, tok.Period, tok.Counter, now.Unix(), got, want)
		}
	}
}

func randInt(t *testing.T, n int) int {
	t.Helper()
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		t.Fatal(err)
	}
	return int(v.Int64())
}

func TestSecretNeverPrinted(t *testing.T) {
	tok := token.Token{Label: "alice", Secret: token.Secret("12345678901234567890"), Params: token.DefaultParams()}
	b32 := tok.Secret.Base32()
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{tok, &tok, tok.Secret} {
			out := fmt.Sprintf(format, v)
			if strings.Contains(out, "1234567890") || strings.Contains(out, b32) || strings.Contains(out, "49 50 51") {
				t.Errorf("Sprintf(%q, %T) shows the secret: %s", format, v, out)
			}
		}
	}
}

func BenchmarkTOTPCode(b *testing.B) {
	tok := token.Token{Secret: token.Secret("12345678901234567890"), Params: token.DefaultParams()}
	now := time.Unix(1111111111, 0)
	for b.Loop() {
		if _, err := tok.Code(now); err != nil {
			b.Fatal(err)
		}
	}
}
