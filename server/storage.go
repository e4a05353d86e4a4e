package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/softtoken/softtoken/server/account"
	"github.com/softtoken/softtoken/server/auditchain"
	"github.com/softtoken/softtoken/server/metrics"
	"github.com/softtoken/softtoken/server/postgres"
	"github.com/softtoken/softtoken/server/seal"
	"github.com/softtoken/softtoken/server/sqlite"
	"github.com/softtoken/softtoken/server/sqlstore"
)

// Storage says where a server's data lives: the database, and the master
// key that seals its seeds, in MasterKeyFile (made on first use) or given
// as MasterKey (the value of seal.KeyEnv).
//
// DB is a PostgreSQL URL (postgres://USER@HOST:PORT/DB?sslmode=…), which
// several nodes share, or else the path of an SQLite file, the embedded
// default for one node. With SQLite the key file defaults to the database
// path + ".key"; with PostgreSQL there is no folder next to the database,
// and every node must read the same key, so MasterKeyFile (or MasterKey)
// is required.
//
// Pool sizes the connection pool (nil: sqlstore.DefaultPool).
type Storage struct {
	DB, MasterKeyFile, MasterKey string
	Pool                         *sqlstore.Pool
}

// ErrNoMasterKey is a PostgreSQL storage without a master key.
var ErrNoMasterKey = errors.New("a PostgreSQL database needs --master-key FILE (or SOFTTOKEN_MASTER_KEY_FILE): " +
	"there is no folder next to it for the key, and every node must read the same key file")

// KeyPath is the master key file: the one given, or next to an SQLite
// file; "" when the key itself is given (MasterKey), and ErrNoMasterKey
// for PostgreSQL without one.
func (s Storage) KeyPath() (string, error) {
	switch {
	case s.MasterKeyFile != "":
		return s.MasterKeyFile, nil
	case !postgres.IsDSN(s.DB):
		return s.DB + ".key", nil
	case s.MasterKey != "":
		return "", nil
	}
	return "", ErrNoMasterKey
}

// DatabaseTimeout bounds each transaction of a running server
// (sqlstore.WithTimeout): while the database hangs, a request is answered
// "service unavailable" after this long at most (docs/deploy.md,
// "Outages"). A connection's making is bounded apart, by
// postgres.DefaultConnectTimeout.
const DatabaseTimeout = 10 * time.Second

// openStore opens the database s.DB names, linking its audit under
// auditKey, with the pool s.Pool sizes, refusing to start with another
// master key than sealer's (sqlstore.WithMasterKey), and counting the
// round trips in m; extra are further options (sqlstore.WithTimeout).
func (s Storage) openStore(ctx context.Context, sealer *seal.Sealer, auditKey []byte, m *metrics.Metrics, extra ...sqlstore.Option) (*sqlstore.DB, error) {
	pool := sqlstore.DefaultPool
	if s.Pool != nil {
		pool = *s.Pool
	}
	if err := pool.Check(); err != nil {
		return nil, err
	}
	opts := []sqlstore.Option{sqlstore.WithAuditKey(auditKey), sqlstore.WithPool(pool),
		sqlstore.WithMasterKey(sealer.Fingerprint(), func(userRow int64, sealed []byte) error {
			seed, err := sealer.Open(sealed, account.SeedBinding(userRow))
			clear(seed)
			return err
		})}
	opts = append(opts, extra...)
	if m != nil {
		opts = append(opts, sqlstore.WithRoundTrips(m.RoundTrip))
	}
	if postgres.IsDSN(s.DB) {
		return postgres.Open(ctx, s.DB, opts...)
	}
	return sqlite.Open(ctx, s.DB, opts...)
}

// AuditKey is the key of the audit's hash chain, derived from the master
// key (never the master key itself: see seal.DeriveKey).
func AuditKey(masterKey []byte) ([]byte, error) { return seal.DeriveKey(masterKey, "audit chain") }

// opened is storage, opened: the database, the sealer of its seeds, and
// the chain its audit records are linked with.
type opened struct {
	st     *sqlstore.DB
	sealer *seal.Sealer
	chain  *auditchain.Chain
}

// open opens the database, the sealer of its seeds and its audit chain,
// counting in m (nil: nothing counted), with the store's options opts.
func (s Storage) open(ctx context.Context, m *metrics.Metrics, opts ...sqlstore.Option) (opened, error) {
	if s.DB == "" {
		return opened{}, errors.New("no database given")
	}
	keyPath, err := s.KeyPath()
	if err != nil {
		return opened{}, err
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
	db, err := s.openStore(ctx, sealer, auditKey, m, opts...)
	if err != nil {
		return opened{}, err
	}
	return opened{st: db, sealer: sealer, chain: auditchain.New(auditKey)}, nil
}

// chainBegun tells, in the log and in the audit, that opening the
// database began its audit chain over records written before it: right
// once, when a database from before the chain is first opened; after
// that, the sign that someone rolled the schema back to pass a rewritten
// audit off as an old one (docs/audit.md).
func (o opened) chainBegun(ctx context.Context, a *account.Service) error {
	if n, began := o.st.ChainBegunOver(); began && n > 0 {
		return a.ChainBegun(ctx, n)
	}
	return nil
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
	o, err := s.open(ctx, nil)
	if err != nil {
		return nil, err
	}
	cfg.AuditChain = o.chain
	a := account.New(o.st, o.sealer, cfg)
	if err := o.chainBegun(ctx, a); err != nil {
		o.st.Close()
		return nil, err
	}
	return &Accounts{Service: a, close: o.st.Close}, nil
}

// Open opens the storage and builds the server on it (cfg.Store,
// cfg.Sealer and cfg.Rules.AuditChain come from s); close closes the
// database.
func Open(ctx context.Context, s Storage, cfg Config) (srv *Server, close func() error, err error) {
	o, err := s.open(ctx, cfg.Metrics, sqlstore.WithTimeout(DatabaseTimeout))
	if err != nil {
		return nil, nil, err
	}
	cfg.Metrics.DB(o.st.Handle())
	cfg.Store, cfg.Sealer, cfg.Rules.AuditChain = o.st, o.sealer, o.chain
	srv = New(cfg)
	if err := o.chainBegun(ctx, srv.Accounts); err != nil {
		o.st.Close()
		return nil, nil, err
	}
	return srv, o.st.Close, nil
}

// Migrate opens the storage, which applies the migrations the database
// lacks (one node at a time on PostgreSQL) and begins the audit's chain
// (with the master key's audit key, hence the key), and returns the
// schema version after. A chain begun over earlier records is told in
// logger's log and in the audit, as every start tells it (chainBegun).
func Migrate(ctx context.Context, s Storage, logger *slog.Logger) (version int, err error) {
	o, err := s.open(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer o.st.Close()
	if err := o.chainBegun(ctx, account.New(o.st, o.sealer, account.Config{AuditChain: o.chain, Logger: logger})); err != nil {
		return 0, err
	}
	version, _, err = o.st.SchemaVersion(ctx)
	return version, err
}
