package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// The api_keys table: the admin API's keys, hashed.

const apiKeyColumns = `id, name, role, hash, created_at, revoked_at`

func scanAPIKey(row interface{ Scan(...any) error }) (store.APIKey, error) {
	var k store.APIKey
	var created, revoked int64
	err := row.Scan(&k.ID, &k.Name, &k.Role, &k.Hash, &created, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return store.APIKey{}, store.ErrNotFound
	}
	if err != nil {
		return store.APIKey{}, fmt.Errorf("read API key: %w", err)
	}
	k.Created, k.Revoked = fromUnix(created), fromUnix(revoked)
	return k, nil
}

// CreateAPIKey stores k; a name a working key has is ErrExists.
func (t tx) CreateAPIKey(k store.APIKey) (store.APIKey, error) {
	err := t.row(`INSERT INTO api_keys (name, role, hash, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		k.Name, k.Role, k.Hash, unix(k.Created)).Scan(&k.ID)
	if err != nil {
		if t.d.IsUnique(err) {
			return store.APIKey{}, fmt.Errorf("API key %s: %w", k.Name, store.ErrExists)
		}
		return store.APIKey{}, fmt.Errorf("create API key %s: %w", k.Name, err)
	}
	return k, nil
}

// RevokeAPIKey revokes the working key of that name.
func (t tx) RevokeAPIKey(name string, at time.Time) (bool, error) {
	return t.changed("revoke API key", `UPDATE api_keys SET revoked_at=? WHERE name=? AND revoked_at=0`, max(at.Unix(), 1), name)
}

// APIKeyByHash finds a key by the SHA-256 of its secret. In a write
// transaction (a request of the key checking that it still holds) the
// row stays locked to its end, as a user's does: a revocation waits for
// a request in flight, so that once it has returned no request of the
// key commits.
func (t tx) APIKeyByHash(hash []byte) (store.APIKey, error) {
	return scanAPIKey(t.row(`SELECT `+apiKeyColumns+` FROM api_keys WHERE hash=?`+t.userLock, hash))
}

// APIKeys lists every key by name, the working one of a name first.
func (t tx) APIKeys() ([]store.APIKey, error) {
	rows, err := t.rows(`SELECT ` + apiKeyColumns + ` FROM api_keys ORDER BY name, revoked_at = 0 DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	defer rows.Close()
	var out []store.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}
