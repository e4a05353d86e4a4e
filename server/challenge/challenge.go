// Package challenge holds the server's RSA key pairs for the protocol's
// challenge step: the client encrypts the password with the public key it
// was sent, and the server decrypts it. A ciphertext that does not decrypt
// opens to a synthetic plaintext instead of an error (implicit rejection),
// so that no answer of the server is a padding oracle. Keys rotate on a
// schedule; a connection keeps the key it was handed, so a rotation never
// breaks a login in progress.
package challenge

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// MinBits is the smallest RSA key the server uses.
const MinBits = 2048

// Key is one RSA key pair with its public half encoded for the wire.
type Key struct {
	priv *rsa.PrivateKey
	// Public is base64 of the X.509 SubjectPublicKeyInfo, what the seed's
	// Java sample reads with X509EncodedKeySpec.
	Public  string
	Created time.Time
	// kdk derives the synthetic plaintexts of ciphertexts that do not
	// decrypt (implicit.go).
	kdk []byte
}

// NewKey generates a key of bits (at least MinBits).
func NewKey(bits int, now time.Time) (*Key, error) {
	if bits < MinBits {
		return nil, fmt.Errorf("RSA key of %d bits: at least %d are required", bits, MinBits)
	}
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, fmt.Errorf("generate RSA key: %w", err)
	}
	return newKey(priv, now)
}

// newKey is the Key of priv.
func newKey(priv *rsa.PrivateKey, now time.Time) (*Key, error) {
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("encode RSA public key: %w", err)
	}
	return &Key{priv: priv, Public: base64.StdEncoding.EncodeToString(der), Created: now, kdk: derivationKey(priv)}, nil
}

// ErrUnknownScheme is the only error Decrypt returns: the client named a
// padding the server does not know. That is the client's own choice, and
// tells nothing of any ciphertext.
var ErrUnknownScheme = errors.New("unknown RSA padding scheme")

// Scheme is the RSA padding a client used; the client says which (the
// "enc" field of a message), so the server decrypts exactly once with one
// scheme. Trying one and then the other would take longer exactly when
// the first padding is invalid: a timing oracle for Bleichenbacher's or
// Manger's attack.
type Scheme string

// The supported schemes.
const (
	// PKCS1v15 is RSA PKCS#1 v1.5, what Java's Cipher.getInstance("RSA")
	// sends: the protocol's default, used when a message names none.
	PKCS1v15 Scheme = ""
	// OAEPSHA256 is RSA-OAEP with SHA-256 (and MGF1-SHA-256), for clients
	// that can; it is the better padding.
	OAEPSHA256 Scheme = "oaep-sha256"
)

// ParseScheme is the scheme a message's "enc" names, or ErrUnknownScheme.
func ParseScheme(enc string) (Scheme, error) {
	switch s := Scheme(enc); s {
	case PKCS1v15, OAEPSHA256:
		return s, nil
	}
	return "", fmt.Errorf("%w %q", ErrUnknownScheme, enc)
}

// Decrypt decodes a base64 ciphertext (whitespace ignored) and decrypts it
// with the scheme the client named.
//
// It never says that a ciphertext does not decrypt: that answer, for
// ciphertexts an attacker derives from a captured one, is the oracle of
// Bleichenbacher's attack on PKCS#1 v1.5 and of Manger's on OAEP. A
// ciphertext whose padding does not check decrypts instead to a synthetic
// plaintext (implicit rejection, see implicit.go): random-looking bytes
// of a plausible length, the same every time for the same ciphertext and
// key, which the caller's rules refuse as they refuse any wrong value.
// Text that is not base64, or not one block of the key's size, carries no
// secret; it is treated the same way, so that every caller has one path.
// The only error is ErrUnknownScheme.
func (k *Key) Decrypt(b64 string, scheme Scheme) ([]byte, error) {
	text := strings.Join(strings.Fields(b64), "")
	ct, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		ct = []byte(text) // not base64: its bytes pick the synthetic value
	}
	switch scheme {
	case PKCS1v15:
		return k.pkcs1v15(ct), nil
	case OAEPSHA256:
		return k.oaep(ct), nil
	}
	_, err = ParseScheme(string(scheme))
	return nil, err
}

// PublicKey is the public half, for tests and clients in this repository.
func (k *Key) PublicKey() crypto.PublicKey { return &k.priv.PublicKey }

// Keys is the server's current key, replaced every Rotation. It is safe for
// concurrent use.
type Keys struct {
	bits     int
	rotation time.Duration
	now      func() time.Time

	mu      sync.Mutex
	current *Key
}

// The key size and rotation period serve gives NewKeys unless told
// otherwise (--rsa-bits, --key-rotation).
const (
	DefaultKeyBits     = 2048
	DefaultKeyRotation = 24 * time.Hour
)

// NewKeys generates the first key; rotation 0 never replaces it.
func NewKeys(bits int, rotation time.Duration, now func() time.Time) (*Keys, error) {
	k, err := NewKey(bits, now())
	if err != nil {
		return nil, err
	}
	return &Keys{bits: bits, rotation: rotation, now: now, current: k}, nil
}

// Current is the key to hand to a new challenge. Connections keep the key
// they were given for their whole life, so the previous key stays usable
// by every connection that received it.
func (ks *Keys) Current() *Key {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return ks.current
}

// RotateIfDue replaces the current key when it is older than the rotation
// period. Key generation takes a moment, so it happens outside the lock.
func (ks *Keys) RotateIfDue() error {
	if ks.rotation <= 0 || ks.now().Sub(ks.Current().Created) < ks.rotation {
		return nil
	}
	k, err := NewKey(ks.bits, ks.now())
	if err != nil {
		return err
	}
	ks.mu.Lock()
	ks.current = k
	ks.mu.Unlock()
	return nil
}
