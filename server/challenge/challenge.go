// Package challenge holds the server's RSA key pairs for the protocol's
// challenge step: the client encrypts the password with the public key it
// was sent, and the server decrypts it. Keys rotate on a schedule; a
// connection keeps the key it was handed, so a rotation never breaks a login
// in progress.
package challenge

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
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
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("encode RSA public key: %w", err)
	}
	return &Key{priv: priv, Public: base64.StdEncoding.EncodeToString(der), Created: now}, nil
}

// ErrDecrypt is the only error Decrypt returns: callers must answer it
// exactly as they answer a wrong password, so that nothing about the
// padding leaks.
var ErrDecrypt = errors.New("cannot decrypt")

// maxPlaintext bounds a decrypted password.
const maxPlaintext = 256

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

// Decrypt decodes a base64 ciphertext (whitespace ignored) and decrypts it
// with the scheme the client named.
func (k *Key) Decrypt(b64 string, scheme Scheme) ([]byte, error) {
	ct, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(b64), ""))
	if err != nil || len(ct) != k.priv.Size() {
		return nil, ErrDecrypt
	}
	var pt []byte
	switch scheme {
	case PKCS1v15:
		//lint:ignore SA1019 the protocol's Java clients send PKCS#1 v1.5.
		pt, err = rsa.DecryptPKCS1v15(nil, k.priv, ct)
	case OAEPSHA256:
		pt, err = rsa.DecryptOAEP(sha256.New(), nil, k.priv, ct, nil)
	default:
		return nil, ErrDecrypt
	}
	if err != nil || len(pt) > maxPlaintext {
		return nil, ErrDecrypt
	}
	return pt, nil
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

// NewKeys generates the first key.
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
