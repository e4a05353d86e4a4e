// Package seal encrypts token seeds at rest with AES-256-GCM under the
// server's master key, which lives outside the database: in a key file
// created on first start with 0600 permissions, or in an environment
// variable. A stolen database alone yields no seed.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// KeyEnv names the environment variable that may hold the master key
// (base64 of 32 bytes) instead of a key file.
const KeyEnv = "SOFTTOKEN_MASTER_KEY"

// Sealer seals and opens secrets; the additional data binds a sealed value
// to its owner, so a seed copied to another user's row does not open.
type Sealer struct {
	aead        cipher.AEAD
	fingerprint []byte
}

// New returns a Sealer for a 32-byte key.
func New(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("master key is %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	fp, err := DeriveKey(key, "master key fingerprint")
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead, fingerprint: fp}, nil
}

// Fingerprint tells the master key apart from another without telling
// anything about it: a value derived from it for this purpose alone
// (DeriveKey), which the database stores so that a node started with
// another key refuses to start (sqlstore.WithMasterKey).
func (s *Sealer) Fingerprint() []byte { return s.fingerprint }

// Seal encrypts plaintext, bound to ad (e.g. "seed:" + user ID).
func (s *Sealer) Seal(plaintext []byte, ad string) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return s.aead.Seal(nonce, nonce, plaintext, []byte(ad)), nil
}

// ErrOpen means a sealed value is damaged, bound to something else, or
// sealed under another master key.
var ErrOpen = errors.New("sealed value cannot be opened: wrong master key or damaged data")

// Open decrypts a value from Seal with the same ad.
func (s *Sealer) Open(sealed []byte, ad string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrOpen
	}
	pt, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(ad))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// LoadKey returns the master key: from envValue (the value of
// $SOFTTOKEN_MASTER_KEY) when not empty, else from the file at path, which
// it creates with a new random key (mode 0600) when missing. A key file
// readable by others is refused.
func LoadKey(path, envValue string) ([]byte, error) {
	if v := envValue; v != "" {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("%s must be base64 of 32 bytes", KeyEnv)
		}
		return key, nil
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read master key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("master key file %s is readable by other users (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("master key file %s is damaged: it must hold base64 of 32 bytes", path)
	}
	return key, nil
}

func createKey(path string) ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create master key file: %w", err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("write master key file: %w", err)
	}
	return key, nil
}

// DeriveKey derives from the master key a 32-byte key for one purpose
// (HKDF-SHA256 with the purpose as its info), so that no other use ever
// holds the key that seals the seeds: a key derived for the audit chain
// opens no seed, and no derived key tells the master key.
func DeriveKey(master []byte, purpose string) ([]byte, error) {
	if len(master) != 32 {
		return nil, fmt.Errorf("derive key: master key is %d bytes, want 32", len(master))
	}
	key, err := hkdf.Key(sha256.New, master, nil, "softtoken "+purpose, 32)
	if err != nil {
		return nil, fmt.Errorf("derive key for %s: %w", purpose, err)
	}
	return key, nil
}
