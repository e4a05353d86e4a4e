package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// APIKeyPrefix begins every admin API key, so that a key pasted where it
// should not be is recognised (by a secret scanner, or a person).
const APIKeyPrefix = "stk_"

// apiKeyBytes is the randomness of a key: 256 bits, so that storing its
// SHA-256 (not a slow hash) is safe; nobody guesses it to check.
const apiKeyBytes = 32

// MaxKeyName bounds a key's name.
const MaxKeyName = 64

// APIKey is what the admin command line shows of a key: never the key.
type APIKey struct {
	Name    string
	Role    Role
	Created time.Time
	// Revoked is when the key was revoked (zero: it works).
	Revoked time.Time
}

// keyHash is the SHA-256 the store keeps of key.
func keyHash(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// checkKeyName trims name and checks it: 1 to MaxKeyName letters, digits,
// dots, dashes and underscores, so that it prints as one word in the
// audit.
func checkKeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	ok := name != "" && len(name) <= MaxKeyName
	for _, r := range name {
		ok = ok && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-", r))
	}
	if !ok {
		return "", fmt.Errorf("%w: a key's name is 1 to %d letters, digits, dots, dashes or underscores", ErrNotAllowed, MaxKeyName)
	}
	return name, nil
}

// AddAPIKey makes a key of the admin API named name with role (admin
// command line only), and returns the key: shown once, stored only as its
// SHA-256. A name a working key has already is refused (ErrNotAllowed).
func (s *Service) AddAPIKey(ctx context.Context, o Origin, name string, role Role) (string, error) {
	name, err := checkKeyName(name)
	if err != nil {
		return "", err
	}
	if role == "" {
		return "", fmt.Errorf("%w: a key needs a role", ErrBadRole)
	}
	if _, err := ParseRole(string(role)); err != nil {
		return "", err
	}
	b := make([]byte, apiKeyBytes)
	rand.Read(b)
	key := APIKeyPrefix + base64.RawURLEncoding.EncodeToString(b)
	err = s.st.Update(ctx, func(tx store.Tx) error {
		_, err := tx.CreateAPIKey(store.APIKey{Name: name, Role: string(role), Hash: keyHash(key), Created: s.now()})
		if errors.Is(err, store.ErrExists) {
			return fmt.Errorf("%w: a working key is named %s already (revoke it first)", ErrNotAllowed, name)
		}
		if err != nil {
			return err
		}
		return tx.Audit(s.event(o, "", "apikey add", CodeOK, fmt.Sprintf("key %s, role %s", name, role)))
	})
	if err != nil {
		return "", err
	}
	return key, nil
}

// RevokeAPIKey revokes the working key named name (admin command line):
// its next request, and any in flight that has not committed, is refused.
func (s *Service) RevokeAPIKey(ctx context.Context, o Origin, name string) error {
	return s.st.Update(ctx, func(tx store.Tx) error {
		ok, err := tx.RevokeAPIKey(strings.TrimSpace(name), s.now())
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: no working key is named %s", ErrBadKey, printable(name))
		}
		return tx.Audit(s.event(o, "", "apikey revoke", CodeOK, "key "+printable(name)))
	})
}

// APIKeys lists the keys, revoked ones too (admin command line).
func (s *Service) APIKeys(ctx context.Context) ([]APIKey, error) {
	var out []APIKey
	err := s.st.View(ctx, func(tx store.ReadTx) error {
		keys, err := tx.APIKeys()
		for _, k := range keys {
			out = append(out, APIKey{Name: k.Name, Role: Role(k.Role), Created: k.Created, Revoked: k.Revoked})
		}
		return err
	})
	return out, err
}

// APIKeyActor is the actor of a request to the admin API that came with
// key: ErrBadKey unless it is a working key. Nothing is audited for a bad
// key (the API counts and limits them): the audit would fill with noise.
func (s *Service) APIKeyActor(ctx context.Context, key string) (Actor, error) {
	if !strings.HasPrefix(key, APIKeyPrefix) || len(key) > 128 {
		return Actor{}, ErrBadKey
	}
	var a Actor
	err := s.st.View(ctx, func(tx store.ReadTx) error {
		k, err := tx.APIKeyByHash(keyHash(key))
		switch {
		case errors.Is(err, store.ErrNotFound), err == nil && !k.Revoked.IsZero():
			return ErrBadKey
		case err != nil:
			return err
		}
		a = Actor{kind: actorKey, name: k.Name, role: Role(k.Role), hash: k.Hash}
		return nil
	})
	return a, err
}
