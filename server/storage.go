package server

import (
	"context"
	"errors"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/seal"
	"github.com/softtoken/softtoken/server/sqlite"
	"github.com/softtoken/softtoken/server/store"
)

// Storage says where a server's data lives: the SQLite database file, and
// the master key that seals its seeds, in MasterKeyFile (default: the
// database path + ".key", made on first use) or given as MasterKey (the
// value of seal.KeyEnv).
type Storage struct {
	DB, MasterKeyFile, MasterKey string
}

// open opens the database and the sealer of its seeds.
func (s Storage) open(ctx context.Context) (store.Store, *seal.Sealer, error) {
	if s.DB == "" {
		return nil, nil, errors.New("no database given")
	}
	keyPath := s.MasterKeyFile
	if keyPath == "" {
		keyPath = s.DB + ".key"
	}
	key, err := seal.LoadKey(keyPath, s.MasterKey)
	if err != nil {
		return nil, nil, err
	}
	sealer, err := seal.New(key)
	if err != nil {
		return nil, nil, err
	}
	db, err := sqlite.Open(ctx, s.DB)
	if err != nil {
		return nil, nil, err
	}
	return db, sealer, nil
}

// Accounts is the rules service on opened storage, for the admin
// commands, which need nothing else.
type Accounts struct {
	*account.Service
	close func() error
}

// Close closes the database.
func (a *Accounts) Close() error { return a.close() }

// OpenAccounts opens the storage and the rules service on it.
func OpenAccounts(ctx context.Context, s Storage, cfg account.Config) (*Accounts, error) {
	st, sealer, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	return &Accounts{Service: account.New(st, sealer, cfg), close: st.Close}, nil
}

// Open opens the storage and builds the server on it (cfg.Store and
// cfg.Sealer come from s); close closes the database.
func Open(ctx context.Context, s Storage, cfg Config) (srv *Server, close func() error, err error) {
	st, sealer, err := s.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	cfg.Store, cfg.Sealer = st, sealer
	return New(cfg), st.Close, nil
}
