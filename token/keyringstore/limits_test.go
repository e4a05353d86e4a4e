package keyringstore

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/softtoken/softtoken/token"
)

// LargestToken is the largest token token.Validate accepts, as its keyring
// entry goes: every field at its limit, of characters that JSON escapes
// into the most bytes ('"' into two, U+2028 into six), a 128-byte seed and
// a HOTP counter of 20 digits. The tests of the OS keyrings (gnome-keyring
// on Linux, the Credential Manager under Wine) store it and read it back.
func LargestToken() token.Token {
	q := func(n int) string { return strings.Repeat(`"`, n) }
	secret := make(token.Secret, token.MaxSecretBytes)
	for i := range secret {
		secret[i] = byte(i * 7)
	}
	return token.Token{
		// A name must not start or end with a space, which U+2028 is.
		Label:    `"` + strings.Repeat("\u2028", token.MaxLabelRunes-2) + `"`,
		Issuer:   q(token.MaxFieldBytes),
		Account:  q(token.MaxFieldBytes),
		EnrolURL: "https://h/" + q(token.MaxURLBytes-len("https://h/")),
		Serial:   q(token.MaxSerialBytes),
		Secret:   secret,
		Params:   token.Params{Type: token.HOTP, Algorithm: token.SHA512, Digits: 8, Counter: math.MaxUint64},
	}
}

// The largest valid token's entry fits in the Windows Credential Manager's
// 2560 bytes, and it is the largest: one more character in any field is
// refused by Validate, with a message naming the field.
func TestLargestTokenFits(t *testing.T) {
	big := LargestToken()
	if err := big.Validate(); err != nil {
		t.Fatalf("the largest token is not valid: %v", err)
	}
	raw, err := encodeItem(big)
	if err != nil {
		t.Fatalf("the largest token cannot be stored: %v", err)
	}
	if len(raw) > maxEntryBytes {
		t.Fatalf("the largest token's entry is %d bytes, over %d", len(raw), maxEntryBytes)
	}
	t.Logf("the largest token's entry: %d bytes of %d", len(raw), maxEntryBytes)
	if back, err := decodeItem(raw); err != nil || back.Label != big.Label || back.Counter != big.Counter || string(back.Secret) != string(big.Secret) {
		t.Errorf("read back: %v", err)
	}

	for _, tc := range []struct {
		field string
		grow  func(*token.Token)
	}{
		{"name", func(t *token.Token) { t.Label = `"` + t.Label }},
		{"name", func(t *token.Token) { t.Label = strings.Repeat("€", token.MaxLabelBytes/3+1) }},
		{"issuer", func(t *token.Token) { t.Issuer += `"` }},
		{"account", func(t *token.Token) { t.Account += `"` }},
		{"enrol URL", func(t *token.Token) { t.EnrolURL += `"` }},
		{"serial", func(t *token.Token) { t.Serial += `"` }},
		{"secret", func(t *token.Token) { t.Secret = append(t.Secret, 0) }},
	} {
		more := LargestToken()
		tc.grow(&more)
		if err := more.Validate(); err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("a token with a longer %s: %v", tc.field, err)
		}
	}
	if n := utf8.RuneCountInString(big.Label); n != token.MaxLabelRunes {
		t.Errorf("the largest name has %d runes", n)
	}

	// The index with six tokens and as many pending removals is small.
	idx := index{}
	for i := 0; i < token.MaxTokens; i++ {
		idx.Tokens = append(idx.Tokens, strings.Repeat("a", 15)+string(rune('0'+i)))
		idx.Pending = append(idx.Pending, strings.Repeat("b", 15)+string(rune('0'+i)))
	}
	if raw, err := encodeIndex(idx); err != nil || len(raw) > maxEntryBytes {
		t.Errorf("the full index: %d bytes, %v", len(raw), err)
	}
}

// The keyring service name is bounded, so every entry's target name
// (SERVICE:token:ID) stays within the 255 characters Wine's Credential
// Manager takes (go-keyring's own limit is 512 bytes, Windows' 32767).
func TestServiceNameLimit(t *testing.T) {
	dir := t.TempDir()
	ok := strings.Repeat("s", MaxServiceBytes)
	if _, err := New(Config{Service: ok, Backend: &MemoryBackend{}, LockPath: dir + "/a.lock"}); err != nil {
		t.Errorf("a service name of %d bytes: %v", len(ok), err)
	}
	if n := len(ok + ":" + tokenKeyPre + "0123456789abcdef"); n > 255 {
		t.Errorf("the longest target name is %d bytes", n)
	}
	_, err := New(Config{Service: ok + "s", Backend: &MemoryBackend{}, LockPath: dir + "/b.lock"})
	if err == nil || !strings.Contains(err.Error(), "the keyring service name is too long (129 bytes, at most 128): set SOFTTOKEN_KEYRING_SERVICE to a shorter one") {
		t.Errorf("a service name of %d bytes: %v", len(ok)+1, err)
	}
}

// A token an earlier release stored with an enrol URL up to 512 bytes (the
// limit was 512 before 256) reads back after the upgrade: today's limits
// apply to new tokens, and an old one must not turn "damaged". Longer
// than any release stored, it is damaged.
func TestEarlierReleasesLongEnrolURLStillReads(t *testing.T) {
	entry := func(urlBytes int) string {
		t.Helper()
		url := "https://enrol.bank.example/secenrol/?userid="
		url += strings.Repeat("a", urlBytes-len(url))
		raw, err := json.Marshal(item{Format: tokenFormat, Label: "alice", EnrolURL: url, Type: "totp", Algorithm: "SHA1",
			Digits: 6, Period: 30, Secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"})
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	for _, tc := range []struct {
		urlBytes int
		ok       bool
	}{
		{token.MaxURLBytes, true},
		{token.MaxURLBytes + 1, true},
		{token.MaxStoredURLBytes, true},
		{token.MaxStoredURLBytes + 1, false},
	} {
		tok, err := decodeItem(entry(tc.urlBytes))
		if (err == nil) != tc.ok {
			t.Errorf("an entry with a %d-byte enrol URL: %v, want readable %v", tc.urlBytes, err, tc.ok)
		}
		if err == nil && len(tok.EnrolURL) != tc.urlBytes {
			t.Errorf("an entry with a %d-byte enrol URL read back with %d bytes", tc.urlBytes, len(tok.EnrolURL))
		}
	}
}
