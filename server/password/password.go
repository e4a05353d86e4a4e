// Package password hashes and checks user passwords (and other short
// secrets such as initial passcodes) with argon2id, in the PHC string
// format, comparing in constant time.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters. Default follows OWASP's
// recommendation (19 MiB, 2 passes, 1 lane).
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// Default is the cost of new hashes.
var Default = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

var b64 = base64.RawStdEncoding

// Hash returns the PHC string of pw: $argon2id$v=19$m=…,t=…,p=…$salt$hash.
func Hash(pw []byte, p Params) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	done := running(memoryOf(p))
	key := argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, keyLen)
	done()
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrBadHash is a stored hash that is not an argon2id PHC string.
var ErrBadHash = errors.New("stored password hash is malformed")

// Check reports whether pw matches the PHC string hash, in constant time.
// The server checks in a Pool (Slot.Check), which bounds the memory of
// checks at once.
func Check(hash string, pw []byte) (bool, error) {
	p, err := paramsOf(hash)
	if err != nil {
		return false, err
	}
	parts := strings.Split(hash, "$")
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false, ErrBadHash
	}
	done := running(memoryOf(p))
	got := argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	done()
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// paramsOf reads the cost parameters of a PHC string.
func paramsOf(hash string) (Params, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return Params{}, ErrBadHash
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil || p.Time == 0 || p.Threads == 0 || p.Memory > 1<<22 {
		return Params{}, ErrBadHash
	}
	return p, nil
}
