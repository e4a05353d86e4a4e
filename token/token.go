// Package token is the domain of softtoken: a [Token] (a seed and its OTP
// parameters), the passcodes it produces as pure functions of the seed and a
// time or counter (RFC 6238 TOTP, RFC 4226 HOTP), the otpauth:// Key URI
// format, and the [Store] that keeps at most [MaxTokens] tokens.
//
// Nothing in this package reads the clock, the keyring or the network: the
// caller passes the time in, which keeps every passcode testable against the
// RFC vectors and against oathtool.
package token

import (
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxTokens is how many tokens one installation holds, as in the SecurEnvoy
// PC soft token that traders know: one token per user, up to six users.
const MaxTokens = 6

// Limits on the text fields of a token. With them the largest token's
// keyring entry, even with every character one that JSON escapes, fits in
// the smallest per-item size of the OS keyrings: the Windows Credential
// Manager's 2560 bytes (token/keyringstore tests it, on Linux and under
// Wine).
const (
	MaxLabelRunes  = 64  // runes of the name
	MaxLabelBytes  = 256 // bytes of the name
	MaxFieldBytes  = 256 // bytes of the issuer, and of the account
	MaxURLBytes    = 256 // bytes of the enrol URL
	MaxSerialBytes = 64  // bytes of the serial

	// MaxStoredURLBytes is the enrol URL a token read back from the keyring
	// may have: earlier releases stored up to 512 bytes, and such a token
	// must keep working after an upgrade ([Token.ValidateStored]).
	MaxStoredURLBytes = 512
)

// Secret is a token's seed. Its String and GoString methods never show the
// bytes, so a seed printed by mistake (in a log line, an error or %v of a
// Token) reads "[secret]" instead.
type Secret []byte

// String hides the seed; see [Secret].
func (Secret) String() string { return "[secret]" }

// GoString hides the seed; see [Secret].
func (Secret) GoString() string { return "token.Secret([secret])" }

// Base32 is the seed in unpadded upper-case base32, the form otpauth:// URIs
// and oathtool use. Callers must treat the result as a secret.
func (s Secret) Base32() string { return b32.EncodeToString(s) }

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Token is one soft token: where it came from, what the user calls it, and
// the seed with the parameters that turn it into passcodes.
type Token struct {
	// Label is the name the user sees and renames, e.g. "alice (example.com)".
	Label string
	// Issuer is who issued the seed: the otpauth issuer, or the enrolment
	// server's host name. It never contains ':'.
	Issuer string
	// Account is the user ID or account name at the issuer.
	Account string
	// EnrolURL is the enrolment server's URL for enrolled tokens; empty for
	// tokens added from an otpauth:// URI.
	EnrolURL string
	// Serial is the serial the server gave the token at enrolment, if any.
	Serial string
	// Secret is the seed. It is never logged or written to a file.
	Secret Secret
	Params
}

// String is the token's label: it is what a person needs to recognise the
// token, and it keeps the seed out of anything that formats a Token with %v.
func (t Token) String() string { return t.Label }

// GoString keeps the seed out of %#v; see [Token.String].
func (t Token) GoString() string { return fmt.Sprintf("token.Token{Label: %q}", t.Label) }

// DefaultLabel is the label a new token gets: the account, and the issuer in
// brackets when there is one, e.g. "BTSUser0.9999@bts.com (secureauth.example.com)".
func DefaultLabel(issuer, account string) string {
	label := account
	if issuer != "" {
		label = account + " (" + issuer + ")"
	}
	if utf8.RuneCountInString(label) > MaxLabelRunes {
		label = string([]rune(label)[:MaxLabelRunes-1]) + "…"
	}
	return label
}

// Validate reports the first thing that makes t unusable or unsafe to store,
// in words the user can act on. It never includes the seed.
func (t Token) Validate() error { return t.validate(MaxURLBytes) }

// ValidateStored is Validate for a token read back from storage, which an
// earlier release may have written under looser limits
// ([MaxStoredURLBytes]): the limits of today apply to new tokens only.
func (t Token) ValidateStored() error { return t.validate(MaxStoredURLBytes) }

func (t Token) validate(maxURLBytes int) error {
	if err := ValidateLabel(t.Label); err != nil {
		return err
	}
	if err := validateText("issuer", t.Issuer, MaxFieldBytes); err != nil {
		return err
	}
	if strings.Contains(t.Issuer, ":") {
		return errors.New("issuer must not contain ':'")
	}
	if err := validateText("account", t.Account, MaxFieldBytes); err != nil {
		return err
	}
	if t.Issuer == "" && strings.Contains(t.Account, ":") {
		return errors.New("an account name with ':' needs an issuer")
	}
	if err := validateText("serial", t.Serial, MaxSerialBytes); err != nil {
		return err
	}
	if err := validateEnrolURL(t.EnrolURL, maxURLBytes); err != nil {
		return err
	}
	if err := validateSecret(t.Secret); err != nil {
		return err
	}
	return t.Params.Validate()
}

// ValidateLabel reports whether label can name a token: not empty, at most 64
// characters, no control characters and no surrounding spaces.
func ValidateLabel(label string) error {
	if strings.TrimSpace(label) == "" {
		return errors.New("the name must not be empty")
	}
	if label != strings.TrimSpace(label) {
		return errors.New("the name must not start or end with a space")
	}
	if n := utf8.RuneCountInString(label); n > MaxLabelRunes {
		return fmt.Errorf("the name is %d characters long; at most %d are allowed", n, MaxLabelRunes)
	}
	return validateText("name", label, MaxLabelBytes)
}

func validateText(field, s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("%s is too long (%d bytes, at most %d)", field, len(s), max)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8 text", field)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%s must not contain control characters", field)
		}
	}
	return nil
}

func validateEnrolURL(s string, maxBytes int) error {
	if s == "" {
		return nil
	}
	if err := validateText("enrol URL", s, maxBytes); err != nil {
		return err
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("enrol URL must be an http(s) URL with a host")
	}
	return nil
}

// Seed sizes: RFC 4226 asks for at least 128 bits and recommends 160; many
// services still issue 80-bit seeds, so 80 is the floor we accept. 128 bytes
// is one SHA-512 block, beyond which HMAC hashes the key anyway.
const (
	minSecretBytes = 10
	MaxSecretBytes = 128 // bytes of the seed
)

func validateSecret(s Secret) error {
	switch {
	case len(s) < minSecretBytes:
		return fmt.Errorf("the secret is too short (%d bits; at least %d are needed)", 8*len(s), 8*minSecretBytes)
	case len(s) > MaxSecretBytes:
		return fmt.Errorf("the secret is too long (%d bytes; at most %d)", len(s), MaxSecretBytes)
	}
	return nil
}

// ParseSecret decodes a base32 seed as people and services write it: upper
// or lower case, with or without '=' padding, with spaces or dashes between
// groups. The error never repeats the input.
func ParseSecret(s string) (Secret, error) {
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t', '=':
			return -1
		}
		return unicode.ToUpper(r)
	}, s)
	if clean == "" {
		return nil, errors.New("the secret is empty")
	}
	raw, err := b32.DecodeString(clean)
	if err != nil {
		return nil, errors.New("the secret is not valid base32 (letters A-Z and digits 2-7)")
	}
	if err := validateSecret(raw); err != nil {
		return nil, err
	}
	return raw, nil
}
