// Package sqlite is the server's store.Store in an embedded SQLite database
// (modernc.org/sqlite, pure Go): WAL journal, a busy timeout, foreign keys,
// and versioned schema migrations applied when the database is opened.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/softtoken/softtoken/server/auditchain"
	"github.com/softtoken/softtoken/server/store"
)

// DB is a store.Store on one SQLite file.
type DB struct {
	db *sql.DB
	// chain links the audit records (see Tx.Audit).
	chain *auditchain.Chain
}

var _ store.Store = (*DB)(nil)

// Option configures Open.
type Option func(*DB)

// WithAuditKey links the audit records under key (from seal.DeriveKey),
// so that only a holder of the key can make a record that verifies. The
// server always gives one; without it the chain's key is empty and
// anyone can recompute it, which is for tests only.
func WithAuditKey(key []byte) Option {
	return func(d *DB) { d.chain = auditchain.New(key) }
}

// Open opens (creating if needed) the database at path, migrates it to
// the current schema, and begins the audit's hash chain if it has not
// begun yet.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	// The database holds password hashes and sealed seeds: only its owner
	// may read it. SQLite gives the -wal and -shm files the same mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	f.Close()
	q := url.Values{}
	for _, p := range []string{"busy_timeout(5000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	d := &DB{db: db, chain: auditchain.New(nil)}
	for _, o := range opts {
		o(d)
	}
	first, err := migrate(ctx, db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	applied := func(v int) bool { return first != 0 && first <= v }
	if err := startChain(ctx, db, d.chain, applied(chainMigration), applied(headSealMigration)); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return d, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// migrations are applied in order, each once, each in its own transaction.
// Never edit one that has shipped: add another.
var migrations = []string{
	`CREATE TABLE users (
		id INTEGER PRIMARY KEY,
		userid TEXT NOT NULL UNIQUE COLLATE NOCASE,
		firm TEXT NOT NULL DEFAULT '',
		roles TEXT NOT NULL DEFAULT '',
		attr TEXT NOT NULL DEFAULT '{}',
		is_admin INTEGER NOT NULL DEFAULT 0,
		active INTEGER NOT NULL DEFAULT 1,
		use2fa INTEGER NOT NULL DEFAULT 0,
		pass_hash TEXT NOT NULL,
		must_change INTEGER NOT NULL DEFAULT 0,
		email TEXT NOT NULL DEFAULT '',
		phone TEXT NOT NULL DEFAULT '',
		failures INTEGER NOT NULL DEFAULT 0,
		locked_until INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL
	);
	CREATE TABLE tokens (
		user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
		serial TEXT NOT NULL,
		sealed_seed BLOB NOT NULL,
		algorithm TEXT NOT NULL,
		digits INTEGER NOT NULL,
		period INTEGER NOT NULL,
		last_step INTEGER NOT NULL DEFAULT -1,
		drift INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL
	);
	CREATE TABLE initial_passcodes (
		user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
		hash TEXT NOT NULL,
		expires_at INTEGER NOT NULL,
		used INTEGER NOT NULL DEFAULT 0
	);
	CREATE TABLE audit (
		id INTEGER PRIMARY KEY,
		at INTEGER NOT NULL,
		userid TEXT NOT NULL DEFAULT '',
		client TEXT NOT NULL DEFAULT '',
		event TEXT NOT NULL,
		outcome TEXT NOT NULL,
		detail TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX audit_user_at ON audit(userid, at);
	CREATE INDEX audit_at ON audit(at);`,
	`CREATE TABLE security_answers (
		user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		question_id INTEGER NOT NULL,
		hash TEXT NOT NULL,
		PRIMARY KEY (user_id, question_id)
	);`,
	`CREATE TABLE temp_passcodes (
		user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
		hash TEXT NOT NULL,
		issued_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL,
		revoked INTEGER NOT NULL DEFAULT 0
	);`,
	`CREATE TABLE enrol_codes (
		hash BLOB PRIMARY KEY,
		user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		expires_at INTEGER NOT NULL,
		used INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX enrol_codes_user ON enrol_codes(user_id);`,
	`ALTER TABLE users ADD COLUMN sms INTEGER NOT NULL DEFAULT 0;
	CREATE TABLE sms_codes (
		user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		purpose TEXT NOT NULL,
		hash TEXT NOT NULL,
		phone TEXT NOT NULL,
		expires_at INTEGER NOT NULL,
		PRIMARY KEY (user_id, purpose)
	);`,
	`ALTER TABLE users ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
	CREATE TABLE first_factor_throttle (
		userid TEXT NOT NULL COLLATE NOCASE,
		source TEXT NOT NULL,
		failures INTEGER NOT NULL,
		blocked_until INTEGER NOT NULL,
		touched_at INTEGER NOT NULL,
		PRIMARY KEY (userid, source)
	);
	CREATE INDEX first_factor_touched ON first_factor_throttle(touched_at);`,
	`CREATE TABLE session_leases (
		userid TEXT PRIMARY KEY COLLATE NOCASE,
		holder TEXT NOT NULL,
		open INTEGER NOT NULL,
		until_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);`,
	// service: a back-end's administrator that signs in with its password
	// alone; recovered_at: the last temporary passcode or help-desk number
	// change, for the 30-day rule (from the temporary passcodes so far).
	`ALTER TABLE users ADD COLUMN service INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE users ADD COLUMN recovered_at INTEGER NOT NULL DEFAULT 0;
	UPDATE users SET recovered_at = COALESCE((SELECT issued_at FROM temp_passcodes WHERE temp_passcodes.user_id = users.id), 0);`,
	// The audit's hash chain (see startChain and tx.Audit): records
	// written before it have no hashes until the server links them.
	`ALTER TABLE audit ADD COLUMN prev BLOB;
	ALTER TABLE audit ADD COLUMN hash BLOB;
	CREATE TABLE audit_head (
		id INTEGER PRIMARY KEY CHECK (id = 1),
		seq INTEGER NOT NULL,
		hash BLOB NOT NULL,
		began_at INTEGER NOT NULL,
		earlier INTEGER NOT NULL
	);`,
	// The head's seal (auditchain.Chain.Seal), written by the run that
	// applies this migration for a chain begun before it.
	`ALTER TABLE audit_head ADD COLUMN mac BLOB;`,
}

// Ready checks that the database answers and that its schema is the
// current one (see store.Store.Ready).
func (d *DB) Ready(ctx context.Context) error {
	var current int
	if err := d.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	if current != len(migrations) {
		return fmt.Errorf("database schema is version %d, this server's is %d", current, len(migrations))
	}
	return nil
}

// The migrations after which startChain begins the audit's chain, or
// seals its head (their numbers, from 1).
const (
	chainMigration    = 9
	headSealMigration = 10
)

// migrate applies the migrations the database lacks and returns the
// number of the first it applied (0: none).
func migrate(ctx context.Context, db *sql.DB) (first int, err error) {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return 0, fmt.Errorf("migrations table: %w", err)
	}
	var current int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if current > len(migrations) {
		return 0, fmt.Errorf("the database has schema version %d, newer than this server's %d: update the server", current, len(migrations))
	}
	for v := current + 1; v <= len(migrations); v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			tx.Rollback()
			return 0, fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)`, v, time.Now().Unix()); err != nil {
			tx.Rollback()
			return 0, fmt.Errorf("migration %d: %w", v, err)
		}
		if err := tx.Commit(); err != nil {
			return 0, fmt.Errorf("migration %d: %w", v, err)
		}
		if first == 0 {
			first = v
		}
	}
	return first, nil
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}

// querier is what a transaction and the database both offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tx is a store.Tx: a transaction and the context it runs in.
type tx struct {
	ctx   context.Context
	q     querier
	chain *auditchain.Chain
}

var _ store.Tx = tx{}

// Update runs fn in one transaction (BEGIN IMMEDIATE: see Open, so that
// transactions never fail on a lock upgrade).
func (d *DB) Update(ctx context.Context, fn func(store.Tx) error) error {
	t, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx{ctx: ctx, q: t, chain: d.chain}); err != nil {
		t.Rollback()
		return err
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// View runs fn on the database; each read sees the latest commit.
func (d *DB) View(ctx context.Context, fn func(store.ReadTx) error) error {
	return fn(tx{ctx: ctx, q: d.db, chain: d.chain})
}

// exec runs a statement that must touch exactly one row.
func (t tx) exec(what string, query string, args ...any) error {
	res, err := t.q.ExecContext(t.ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return nil
}

// changed runs a statement and reports whether it touched a row.
func (t tx) changed(what string, query string, args ...any) (bool, error) {
	res, err := t.q.ExecContext(t.ctx, query, args...)
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func attrText(a json.RawMessage) string {
	if len(a) == 0 || string(a) == "null" {
		return "{}"
	}
	return string(a)
}

const userColumns = `id, userid, firm, roles, attr, is_admin, active, use2fa, pass_hash, must_change, email, phone, failures, locked_until, created_at, sms, epoch, service, recovered_at`

func scanUser(row interface{ Scan(...any) error }) (store.User, error) {
	var u store.User
	var attr string
	var locked, created, recovered int64
	err := row.Scan(&u.ID, &u.UserID, &u.Firm, &u.Roles, &attr, &u.IsAdmin, &u.Active, &u.Use2FA,
		&u.PassHash, &u.MustChangePassword, &u.Email, &u.Phone, &u.Failures, &locked, &created, &u.SMS, &u.Epoch, &u.Service, &recovered)
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, store.ErrNotFound
	}
	if err != nil {
		return store.User{}, err
	}
	u.Attr, u.LockedUntil, u.Created, u.RecoveredAt = json.RawMessage(attr), fromUnix(locked), fromUnix(created), fromUnix(recovered)
	return u, nil
}

// CreateUser inserts u (with its epoch); a user ID that exists (in any
// case) is ErrExists.
func (t tx) CreateUser(u store.User) (store.User, error) {
	if u.Created.IsZero() {
		u.Created = time.Now()
	}
	res, err := t.q.ExecContext(t.ctx, `INSERT INTO users (userid, firm, roles, attr, is_admin, active, use2fa, pass_hash, must_change, email, phone, created_at, sms, epoch, service)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.UserID, u.Firm, u.Roles, attrText(u.Attr), u.IsAdmin, u.Active, u.Use2FA, u.PassHash, u.MustChangePassword, u.Email, u.Phone, unix(u.Created), u.SMS, u.Epoch, u.Service)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return store.User{}, fmt.Errorf("user %s: %w", u.UserID, store.ErrExists)
		}
		return store.User{}, fmt.Errorf("create user %s: %w", u.UserID, err)
	}
	u.ID, err = res.LastInsertId()
	return u, err
}

// UserByUserID finds a user by user ID, case-insensitively.
func (t tx) UserByUserID(userID string) (store.User, error) {
	u, err := scanUser(t.q.QueryRowContext(t.ctx, `SELECT `+userColumns+` FROM users WHERE userid = ?`, userID))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return u, fmt.Errorf("read user %s: %w", userID, err)
	}
	return u, err
}

// UserByID finds a user by row ID.
func (t tx) UserByID(id int64) (store.User, error) {
	u, err := scanUser(t.q.QueryRowContext(t.ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return u, fmt.Errorf("read user %d: %w", id, err)
	}
	return u, err
}

// ListUsers returns every user, by user ID.
func (t tx) ListUsers() ([]store.User, error) {
	rows, err := t.q.QueryContext(t.ctx, `SELECT `+userColumns+` FROM users ORDER BY userid`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UpdateUser writes u's profile fields.
func (t tx) UpdateUser(u store.User) error {
	return t.exec("update user "+u.UserID, `UPDATE users SET firm=?, roles=?, attr=?, is_admin=?, active=?, use2fa=?, email=?, phone=?, sms=?, recovered_at=? WHERE id=?`,
		u.Firm, u.Roles, attrText(u.Attr), u.IsAdmin, u.Active, u.Use2FA, u.Email, u.Phone, u.SMS, unix(u.RecoveredAt), u.ID)
}

// SetPassword replaces a user's password hash.
func (t tx) SetPassword(id int64, hash string, mustChange bool) error {
	return t.exec("set password", `UPDATE users SET pass_hash=?, must_change=? WHERE id=?`, hash, mustChange, id)
}

// BumpEpoch moves the user's epoch on.
func (t tx) BumpEpoch(id int64) (int64, error) {
	var epoch int64
	err := t.q.QueryRowContext(t.ctx, `UPDATE users SET epoch = epoch + 1 WHERE id=? RETURNING epoch`, id).Scan(&epoch)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("move epoch on: %w", store.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("move epoch on: %w", err)
	}
	return epoch, nil
}

// DeleteUser removes a user with their token and passcodes (not the audit).
func (t tx) DeleteUser(id int64) error {
	return t.exec("delete user", `DELETE FROM users WHERE id=?`, id)
}

// SetToken replaces the user's token.
func (t tx) SetToken(id int64, tok store.Token) error {
	if tok.Created.IsZero() {
		tok.Created = time.Now()
	}
	_, err := t.q.ExecContext(t.ctx, `INSERT OR REPLACE INTO tokens (user_id, serial, sealed_seed, algorithm, digits, period, last_step, drift, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, tok.Serial, tok.SealedSeed, tok.Algorithm, tok.Digits, tok.Period, tok.LastStep, tok.Drift, unix(tok.Created))
	if err != nil {
		return fmt.Errorf("set token: %w", err)
	}
	return nil
}

// TokenOf returns the user's token, or ErrNotFound.
func (t tx) TokenOf(id int64) (store.Token, error) {
	var tok store.Token
	var created int64
	err := t.q.QueryRowContext(t.ctx, `SELECT serial, sealed_seed, algorithm, digits, period, last_step, drift, created_at FROM tokens WHERE user_id=?`, id).
		Scan(&tok.Serial, &tok.SealedSeed, &tok.Algorithm, &tok.Digits, &tok.Period, &tok.LastStep, &tok.Drift, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Token{}, store.ErrNotFound
	}
	if err != nil {
		return store.Token{}, fmt.Errorf("read token: %w", err)
	}
	tok.Created = fromUnix(created)
	return tok, nil
}

// DeleteToken revokes the user's token.
func (t tx) DeleteToken(id int64) (bool, error) {
	return t.changed("delete token", `DELETE FROM tokens WHERE user_id=?`, id)
}

// AcceptStep is one conditional UPDATE, so two racing verifications of
// one code cannot both succeed.
func (t tx) AcceptStep(id int64, step int64, drift int) (bool, error) {
	return t.changed("accept step", `UPDATE tokens SET last_step=?, drift=? WHERE user_id=? AND last_step < ?`, step, drift, id, step)
}

// SetInitialPasscode replaces the user's initial passcode.
func (t tx) SetInitialPasscode(id int64, p store.InitialPasscode) error {
	_, err := t.q.ExecContext(t.ctx, `INSERT OR REPLACE INTO initial_passcodes (user_id, hash, expires_at, used) VALUES (?, ?, ?, ?)`,
		id, p.Hash, unix(p.Expires), p.Used)
	if err != nil {
		return fmt.Errorf("set initial passcode: %w", err)
	}
	return nil
}

// InitialPasscodeOf returns the user's initial passcode, or ErrNotFound.
func (t tx) InitialPasscodeOf(id int64) (store.InitialPasscode, error) {
	var p store.InitialPasscode
	var exp int64
	err := t.q.QueryRowContext(t.ctx, `SELECT hash, expires_at, used FROM initial_passcodes WHERE user_id=?`, id).Scan(&p.Hash, &exp, &p.Used)
	if errors.Is(err, sql.ErrNoRows) {
		return p, store.ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("read initial passcode: %w", err)
	}
	p.Expires = fromUnix(exp)
	return p, nil
}

// UseInitialPasscode marks it used, once.
func (t tx) UseInitialPasscode(id int64) (bool, error) {
	return t.changed("use initial passcode", `UPDATE initial_passcodes SET used=1 WHERE user_id=? AND used=0`, id)
}

// ReserveAttempt counts an attempt and locks at max, in one statement that
// does nothing while the user is locked.
func (t tx) ReserveAttempt(id int64, max int, lockFor time.Duration, now time.Time) (store.Attempt, bool, error) {
	var a store.Attempt
	var locked int64
	err := t.q.QueryRowContext(t.ctx, `UPDATE users SET failures = failures + 1,
		locked_until = CASE WHEN failures + 1 >= ? THEN ? ELSE 0 END
		WHERE id = ? AND locked_until <= ? RETURNING failures, locked_until`, max, now.Add(lockFor).Unix(), id, now.Unix()).Scan(&a.Failures, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return t.lockState(id)
	}
	if err != nil {
		return store.Attempt{}, false, fmt.Errorf("reserve attempt: %w", err)
	}
	a.LockedUntil = fromUnix(locked)
	return a, true, nil
}

// lockState is the answer of a refused reservation: the user is locked, or
// does not exist.
func (t tx) lockState(id int64) (store.Attempt, bool, error) {
	u, err := t.UserByID(id)
	if err != nil {
		return store.Attempt{}, false, fmt.Errorf("reserve attempt: %w", err)
	}
	return store.Attempt{Failures: u.Failures, LockedUntil: u.LockedUntil}, false, nil
}

// ResetFailures clears the failure count and any lock.
func (t tx) ResetFailures(id int64) error {
	return t.exec("reset failures", `UPDATE users SET failures=0, locked_until=0 WHERE id=?`, id)
}

// ReserveFirstFactor counts a first-factor attempt of key from source
// unless the pair is blocked.
func (t tx) ReserveFirstFactor(key, source string, now time.Time, delay func(int) time.Duration) (store.Throttle, bool, error) {
	var th store.Throttle
	var blocked int64
	err := t.q.QueryRowContext(t.ctx, `SELECT failures, blocked_until FROM first_factor_throttle WHERE userid=? AND source=?`, key, source).Scan(&th.Failures, &blocked)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return th, false, fmt.Errorf("read throttle: %w", err)
	case blocked > now.Unix():
		th.BlockedUntil = fromUnix(blocked)
		return th, false, nil
	}
	th.Failures++
	th.BlockedUntil = now.Add(delay(th.Failures))
	_, err = t.q.ExecContext(t.ctx, `INSERT INTO first_factor_throttle (userid, source, failures, blocked_until, touched_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (userid, source) DO UPDATE SET failures=excluded.failures, blocked_until=excluded.blocked_until, touched_at=excluded.touched_at`,
		key, source, th.Failures, th.BlockedUntil.Unix(), now.Unix())
	if err != nil {
		return th, false, fmt.Errorf("count attempt: %w", err)
	}
	return th, true, nil
}

// ClearFirstFactor forgets the failures of key from source.
func (t tx) ClearFirstFactor(key, source string) error {
	_, err := t.q.ExecContext(t.ctx, `DELETE FROM first_factor_throttle WHERE userid=? AND source=?`, key, source)
	if err != nil {
		return fmt.Errorf("clear throttle: %w", err)
	}
	return nil
}

// ForgetFirstFactors deletes throttles untouched since before.
func (t tx) ForgetFirstFactors(before time.Time) error {
	_, err := t.q.ExecContext(t.ctx, `DELETE FROM first_factor_throttle WHERE touched_at < ?`, before.Unix())
	if err != nil {
		return fmt.Errorf("forget throttles: %w", err)
	}
	return nil
}

// SecurityAnswers returns the user's hashed answers.
func (t tx) SecurityAnswers(id int64) ([]store.SecurityAnswer, error) {
	rows, err := t.q.QueryContext(t.ctx, `SELECT question_id, hash FROM security_answers WHERE user_id=? ORDER BY question_id`, id)
	if err != nil {
		return nil, fmt.Errorf("read security answers: %w", err)
	}
	defer rows.Close()
	var out []store.SecurityAnswer
	for rows.Next() {
		var a store.SecurityAnswer
		if err := rows.Scan(&a.QuestionID, &a.Hash); err != nil {
			return nil, fmt.Errorf("read security answers: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// SetSecurityAnswers replaces the user's answers.
func (t tx) SetSecurityAnswers(id int64, answers []store.SecurityAnswer) error {
	if _, err := t.q.ExecContext(t.ctx, `DELETE FROM security_answers WHERE user_id=?`, id); err != nil {
		return fmt.Errorf("set security answers: %w", err)
	}
	for _, a := range answers {
		if _, err := t.q.ExecContext(t.ctx, `INSERT INTO security_answers (user_id, question_id, hash) VALUES (?, ?, ?)`, id, a.QuestionID, a.Hash); err != nil {
			return fmt.Errorf("set security answers: %w", err)
		}
	}
	return nil
}

// SetSMSCode replaces the user's SMS code of its purpose.
func (t tx) SetSMSCode(id int64, c store.SMSCode) error {
	_, err := t.q.ExecContext(t.ctx, `INSERT OR REPLACE INTO sms_codes (user_id, purpose, hash, phone, expires_at) VALUES (?, ?, ?, ?, ?)`,
		id, c.Purpose, c.Hash, c.Phone, unix(c.Expires))
	if err != nil {
		return fmt.Errorf("set SMS code: %w", err)
	}
	return nil
}

// SMSCodeOf returns the user's SMS code of purpose.
func (t tx) SMSCodeOf(id int64, purpose string) (store.SMSCode, error) {
	c := store.SMSCode{Purpose: purpose}
	var exp int64
	err := t.q.QueryRowContext(t.ctx, `SELECT hash, phone, expires_at FROM sms_codes WHERE user_id=? AND purpose=?`, id, purpose).Scan(&c.Hash, &c.Phone, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return c, store.ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("read SMS code: %w", err)
	}
	c.Expires = fromUnix(exp)
	return c, nil
}

// DeleteSMSCode uses up an SMS code; see store.Tx.
func (t tx) DeleteSMSCode(id int64, purpose, hash string) (bool, error) {
	return t.changed("use SMS code", `DELETE FROM sms_codes WHERE user_id=? AND purpose=? AND hash=?`, id, purpose, hash)
}

// DeleteSMSCodes deletes all the user's SMS codes.
func (t tx) DeleteSMSCodes(id int64) error {
	_, err := t.changed("delete SMS codes", `DELETE FROM sms_codes WHERE user_id=?`, id)
	return err
}

// AddEnrolCode stores a One Swipe enrolment code's hash; see store.Tx.
func (t tx) AddEnrolCode(id int64, hash []byte, expires time.Time) error {
	if _, err := t.changed("replace enrolment codes", `DELETE FROM enrol_codes WHERE user_id=?`, id); err != nil {
		return err
	}
	_, err := t.q.ExecContext(t.ctx, `INSERT INTO enrol_codes (hash, user_id, expires_at) VALUES (?, ?, ?)`, hash, id, unix(expires))
	if err != nil {
		return fmt.Errorf("add enrolment code: %w", err)
	}
	return nil
}

// DeleteEnrolCodes revokes the user's unused One Swipe enrolment codes;
// used ones stay, to be told apart from wrong ones.
func (t tx) DeleteEnrolCodes(id int64) error {
	_, err := t.changed("delete enrolment codes", `DELETE FROM enrol_codes WHERE user_id=? AND used=0`, id)
	return err
}

// UseEnrolCode uses up a One Swipe enrolment code in one statement, so
// that of concurrent uses exactly one wins; see store.Tx.
func (t tx) UseEnrolCode(hash []byte, now time.Time) (int64, error) {
	var id int64
	err := t.q.QueryRowContext(t.ctx, `UPDATE enrol_codes SET used=1 WHERE hash=? AND used=0 AND expires_at>? RETURNING user_id`,
		hash, unix(now)).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("use enrolment code: %w", err)
	}
	// Say why it failed.
	var used bool
	err = t.q.QueryRowContext(t.ctx, `SELECT used FROM enrol_codes WHERE hash=?`, hash).Scan(&used)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, store.ErrNotFound
	case err != nil:
		return 0, fmt.Errorf("use enrolment code: %w", err)
	case used:
		return 0, store.ErrCodeUsed
	}
	return 0, store.ErrCodeExpired
}

// SetTempPasscode replaces the user's temporary passcode.
func (t tx) SetTempPasscode(id int64, p store.TempPasscode) error {
	_, err := t.q.ExecContext(t.ctx, `INSERT OR REPLACE INTO temp_passcodes (user_id, hash, issued_at, expires_at, revoked) VALUES (?, ?, ?, ?, ?)`,
		id, p.Hash, unix(p.Issued), unix(p.Expires), p.Revoked)
	if err != nil {
		return fmt.Errorf("set temporary passcode: %w", err)
	}
	return nil
}

// RevokeTempPasscode revokes the user's temporary passcode, if any.
func (t tx) RevokeTempPasscode(id int64) error {
	_, err := t.changed("revoke temporary passcode", `UPDATE temp_passcodes SET revoked=1 WHERE user_id=?`, id)
	return err
}

// TempPasscodeOf returns the user's last temporary passcode.
func (t tx) TempPasscodeOf(id int64) (store.TempPasscode, error) {
	var p store.TempPasscode
	var issued, exp int64
	err := t.q.QueryRowContext(t.ctx, `SELECT hash, issued_at, expires_at, revoked FROM temp_passcodes WHERE user_id=?`, id).Scan(&p.Hash, &issued, &exp, &p.Revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return p, store.ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("read temporary passcode: %w", err)
	}
	p.Issued, p.Expires = fromUnix(issued), fromUnix(exp)
	return p, nil
}

// DisableUnenrolled disables users who let their initial passcode expire.
func (t tx) DisableUnenrolled(now time.Time) ([]string, error) {
	rows, err := t.q.QueryContext(t.ctx, `UPDATE users SET active=0, epoch=epoch+1
		WHERE active=1 AND sms=0
		AND id NOT IN (SELECT user_id FROM tokens)
		AND id IN (SELECT user_id FROM initial_passcodes WHERE used=0 AND expires_at < ?)
		RETURNING userid`, now.Unix())
	if err != nil {
		return nil, fmt.Errorf("disable unenrolled users: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		ids = append(ids, u)
	}
	return ids, rows.Err()
}

// TakeLease gives userID's lease to holder unless another's lasts past now.
func (t tx) TakeLease(userID, holder string, until, now time.Time) (store.Lease, bool, error) {
	var l store.Lease
	var u, upd int64
	err := t.q.QueryRowContext(t.ctx, `SELECT userid, holder, open, until_at, updated_at FROM session_leases WHERE userid=?`, userID).
		Scan(&l.UserID, &l.Holder, &l.Open, &u, &upd)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return l, false, fmt.Errorf("read lease: %w", err)
	case l.Holder != holder && u > now.Unix():
		l.Until, l.Updated = fromUnix(u), fromUnix(upd)
		return l, false, nil
	}
	_, err = t.q.ExecContext(t.ctx, `INSERT INTO session_leases (userid, holder, open, until_at, updated_at) VALUES (?, ?, 1, ?, ?)
		ON CONFLICT (userid) DO UPDATE SET holder=excluded.holder, open=1, until_at=excluded.until_at, updated_at=excluded.updated_at`,
		userID, holder, until.Unix(), now.Unix())
	if err != nil {
		return store.Lease{}, false, fmt.Errorf("take lease: %w", err)
	}
	return store.Lease{}, true, nil
}

// RefreshLeases moves the end of holder's open leases to until.
func (t tx) RefreshLeases(holder string, until time.Time) error {
	_, err := t.q.ExecContext(t.ctx, `UPDATE session_leases SET until_at=? WHERE holder=? AND open=1`, until.Unix(), holder)
	if err != nil {
		return fmt.Errorf("refresh leases: %w", err)
	}
	return nil
}

// EndLease closes (or, with a zero until, deletes) holder's lease.
func (t tx) EndLease(userID, holder string, until time.Time) (bool, error) {
	if until.IsZero() {
		return t.changed("end lease", `DELETE FROM session_leases WHERE userid=? AND holder=?`, userID, holder)
	}
	return t.changed("end lease", `UPDATE session_leases SET open=0, until_at=? WHERE userid=? AND holder=?`, until.Unix(), userID, holder)
}

// DropLease deletes userID's lease.
func (t tx) DropLease(userID string) (bool, error) {
	return t.changed("drop lease", `DELETE FROM session_leases WHERE userid=?`, userID)
}

// Leases lists the leases that last past now, by user ID.
func (t tx) Leases(now time.Time) ([]store.Lease, error) {
	rows, err := t.q.QueryContext(t.ctx, `SELECT userid, holder, open, until_at, updated_at FROM session_leases WHERE until_at > ? ORDER BY userid`, now.Unix())
	if err != nil {
		return nil, fmt.Errorf("list leases: %w", err)
	}
	defer rows.Close()
	var out []store.Lease
	for rows.Next() {
		var l store.Lease
		var u, upd int64
		if err := rows.Scan(&l.UserID, &l.Holder, &l.Open, &u, &upd); err != nil {
			return nil, fmt.Errorf("list leases: %w", err)
		}
		l.Until, l.Updated = fromUnix(u), fromUnix(upd)
		out = append(out, l)
	}
	return out, rows.Err()
}
