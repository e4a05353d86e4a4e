package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/softtoken/softtoken/server/auditchain"
	"github.com/softtoken/softtoken/server/store"
)

// errNoHead is an append to a chain whose head is gone.
var errNoHead = fmt.Errorf("the audit's hash chain has no head: it was removed: %w", store.ErrNotFound)

// Audit appends an event to the hash chain (see store.Tx.Audit).
func (t tx) Audit(e store.AuditEvent) error {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At = time.Unix(e.At.Unix(), 0) // stored, and linked, to the second
	// The head is read and moved within this transaction. SQLite runs one
	// writer at a time (package sqlite begins every Update IMMEDIATE), so
	// no two appends read the same head; PostgreSQL runs writers at once,
	// so the head's row is locked until the transaction ends
	// (Dialect.RowLock: FOR UPDATE), and concurrent appends, from any
	// node, link one after the other instead of forking the chain.
	var seq int64
	var prev []byte
	err := t.row(`SELECT seq, hash FROM audit_head WHERE id = 1`+t.d.RowLock).Scan(&seq, &prev)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("audit: %w", errNoHead)
	}
	if err != nil {
		return fmt.Errorf("audit: read the chain's head: %w", err)
	}
	e.ID, e.Prev = seq+1, prev
	e.Hash = t.chain.Link(e.Prev, e)
	if _, err := t.run(`INSERT INTO audit (id, at, userid, client, event, outcome, detail, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.At.Unix(), e.UserID, e.Client, e.Event, e.Outcome, e.Detail, e.Prev, e.Hash); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return t.exec("audit: move the chain's head", `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, e.ID, e.Hash)
}

const auditColumns = `id, at, userid, client, event, outcome, detail, prev, hash`

func scanAudit(rows *sql.Rows) (store.AuditEvent, error) {
	var e store.AuditEvent
	var at int64
	if err := rows.Scan(&e.ID, &at, &e.UserID, &e.Client, &e.Event, &e.Outcome, &e.Detail, &e.Prev, &e.Hash); err != nil {
		return e, fmt.Errorf("read audit: %w", err)
	}
	e.At = time.Unix(at, 0)
	return e, nil
}

// AuditEvents returns matching events, oldest first.
func (t tx) AuditEvents(f store.AuditFilter) ([]store.AuditEvent, error) {
	query := `SELECT ` + auditColumns + ` FROM audit WHERE at >= ?`
	args := []any{unix(f.Since)}
	if f.UserID != "" {
		query += ` AND userid = ?` + t.d.NoCase
		args = append(args, f.UserID)
	}
	query += ` ORDER BY id`
	if f.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	return auditRecords(t.rows(query, args...))
}

// auditRecords reads the records a query selected (auditColumns).
func auditRecords(rows *sql.Rows, err error) ([]store.AuditEvent, error) {
	if err != nil {
		return nil, fmt.Errorf("read audit: %w", err)
	}
	defer rows.Close()
	var out []store.AuditEvent
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// WalkAudit reads the head and every record in one read transaction (a
// snapshot: appends meanwhile are not seen, and not waited for).
func (t tx) WalkAudit(head func(store.AuditHead) error, record func(store.AuditEvent) error) error {
	if db, ok := t.q.(*sql.DB); ok {
		opts := t.d.Snapshot
		rt, err := db.BeginTx(t.ctx, &opts)
		if err != nil {
			return fmt.Errorf("read audit: %w", err)
		}
		defer rt.Rollback()
		t.q = rt
	}
	var h store.AuditHead
	var began int64
	err := t.row(`SELECT seq, hash, began_at, earlier FROM audit_head WHERE id = 1`).Scan(&h.Seq, &h.Hash, &began, &h.Earlier)
	if errors.Is(err, sql.ErrNoRows) {
		return errNoHead
	}
	if err != nil {
		return fmt.Errorf("read the audit chain's head: %w", err)
	}
	h.Began = fromUnix(began)
	if err := head(h); err != nil {
		return err
	}
	rows, err := t.rows(`SELECT ` + auditColumns + ` FROM audit ORDER BY id`)
	if err != nil {
		return fmt.Errorf("read audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return err
		}
		if err := record(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// startChain begins the audit's hash chain the first time the database
// is opened after the chain's migration: in one transaction it links the
// records written before (in sequence order, from the genesis hash) and
// writes the head, which says when and how many. After that the chain
// is only appended to. A head that is gone while records are linked is
// never made again, which would bless whatever was changed: appends then
// fail, and `audit verify` says why. It runs under the migration lock
// (see Open), so two nodes never begin it twice.
func startChain(ctx context.Context, c conn, d Dialect, chain *auditchain.Chain) error {
	sqlTx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin the audit chain: %w", err)
	}
	defer sqlTx.Rollback()
	t := tx{ctx: ctx, q: sqlTx, d: d, chain: chain}
	var heads, linked int
	if err := t.row(`SELECT (SELECT COUNT(*) FROM audit_head), (SELECT COUNT(*) FROM audit WHERE hash IS NOT NULL)`).Scan(&heads, &linked); err != nil {
		return fmt.Errorf("begin the audit chain: %w", err)
	}
	if heads > 0 || linked > 0 {
		return nil
	}
	last, prev, n, err := t.linkEarlier()
	if err != nil {
		return fmt.Errorf("begin the audit chain: %w", err)
	}
	if _, err := t.run(`INSERT INTO audit_head (id, seq, hash, began_at, earlier) VALUES (1, ?, ?, ?, ?)`,
		last, prev, time.Now().Unix(), n); err != nil {
		return fmt.Errorf("begin the audit chain: %w", err)
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("begin the audit chain: %w", err)
	}
	return nil
}

// linkEarlier links the records written before the chain began, a batch
// at a time; it returns the last one's sequence number and hash, and how
// many there were.
func (t tx) linkEarlier() (last int64, prev []byte, n int64, err error) {
	prev = auditchain.Genesis()
	for {
		batch, err := auditRecords(t.rows(`SELECT `+auditColumns+` FROM audit WHERE id > ? ORDER BY id LIMIT 500`, last))
		if err != nil || len(batch) == 0 {
			return last, prev, n, err
		}
		for _, e := range batch {
			e.Hash = t.chain.Link(prev, e)
			if _, err := t.run(`UPDATE audit SET prev = ?, hash = ? WHERE id = ?`, prev, e.Hash, e.ID); err != nil {
				return 0, nil, 0, err
			}
			last, prev = e.ID, e.Hash
			n++
		}
	}
}
