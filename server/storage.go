package server

import (
	"context"
	"errors"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/auditchain"
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

// AuditKey is the key of the audit's hash chain, derived from the master
// key (never the master key itself: see seal.DeriveKey).
func AuditKey(masterKey []byte) ([]byte, error) { return seal.DeriveKey(masterKey, "audit chain") }

// opened is storage, opened: the database, the sealer of its seeds, and
// the chain its audit records are linked with.
type opened struct {
	st     store.Store
	sealer *seal.Sealer
	chain  *auditchain.Chain
}

// open opens the database, the sealer of its seeds and its audit chain.
func (s Storage) open(ctx context.Context) (opened, error) {
	if s.DB == "" {
		return opened{}, errors.New("no database given")
	}
	keyPath := s.MasterKeyFile
	if keyPath == "" {
		keyPath = s.DB + ".key"
	}
	key, err := seal.LoadKey(keyPath, s.MasterKey)
	if err != nil {
		return opened{}, err
	}
	sealer, err := seal.New(key)
	if err != nil {
		return opened{}, err
	}
	auditKey, err := AuditKey(key)
	if err != nil {
		return opened{}, err
	}
	db, err := sqlite.Open(ctx, s.DB, sqlite.WithAuditKey(auditKey))
	if err != nil {
		return opened{}, err
	}
	return opened{st: db, sealer: sealer, chain: auditchain.New(auditKey)}, nil
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
	o, err := s.open(ctx)
	if err != nil {
		return nil, err
	}
	cfg.AuditChain = o.chain
	return &Accounts{Service: account.New(o.st, o.sealer, cfg), close: o.st.Close}, nil
}

// Open opens the storage and builds the server on it (cfg.Store,
// cfg.Sealer and cfg.Rules.AuditChain come from s); close closes the
// database.
func Open(ctx context.Context, s Storage, cfg Config) (srv *Server, close func() error, err error) {
	o, err := s.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	cfg.Store, cfg.Sealer, cfg.Rules.AuditChain = o.st, o.sealer, o.chain
	return New(cfg), o.st.Close, nil
}
