package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
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
	h, err := t.readHead(t.d.RowLock)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	e.ID, e.Prev = h.Seq+1, h.Hash
	e.Hash = t.chain.Link(e.Prev, e)
	// The head's row is locked (or the only writer's): the link and the
	// head's move only wait for the commit (tx.later).
	if err := t.later("audit", `INSERT INTO audit (id, at, userid, client, event, outcome, detail, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.At.Unix(), e.UserID, e.Client, e.Event, e.Outcome, e.Detail, e.Prev, e.Hash); err != nil {
		return err
	}
	h.Seq, h.Hash = e.ID, e.Hash
	h.Seal = t.chain.Seal(h)
	if err := t.later("move the audit chain's head", `UPDATE audit_head SET seq = ?, hash = ?, mac = ? WHERE id = 1`, h.Seq, h.Hash, h.Seal); err != nil {
		return err
	}
	if t.p != nil {
		// The head's row stays locked by this transaction: a second
		// record links to the head as moved, without reading it again.
		t.p.keep(aheadKey(t.d.rebind(headQuery+t.d.RowLock), nil), kept{table: "audit_head", row: headRow(h)})
	}
	return nil
}

// headQuery reads the chain's head (readHead; read ahead, ahead.go).
const headQuery = `SELECT seq, hash, began_at, earlier, mac FROM audit_head WHERE id = 1`

// headRow is a head as headQuery's row.
type headRow store.AuditHead

func (h headRow) Scan(dest ...any) error {
	if len(dest) != 5 {
		return fmt.Errorf("the audit's head scanned into %d columns", len(dest))
	}
	seq, hash, began, earlier, seal := dest[0].(*int64), dest[1].(*[]byte), dest[2].(*int64), dest[3].(*int64), dest[4].(*[]byte)
	*seq, *hash, *began, *earlier, *seal = h.Seq, slices.Clone(h.Hash), unix(h.Began), h.Earlier, slices.Clone(h.Seal)
	return nil
}

// readHead reads the chain's head (errNoHead when it is gone); lock is
// the row lock to take on it ("" for none).
func (t tx) readHead(lock string) (store.AuditHead, error) {
	var h store.AuditHead
	var began int64
	err := t.row(headQuery+lock).Scan(&h.Seq, &h.Hash, &began, &h.Earlier, &h.Seal)
	if errors.Is(err, sql.ErrNoRows) {
		return h, errNoHead
	}
	if err != nil {
		return h, fmt.Errorf("read the chain's head: %w", err)
	}
	h.Began = fromUnix(began)
	return h, nil
}

// AuditHead reads the chain's head (see store.ReadTx.AuditHead).
func (t tx) AuditHead() (store.AuditHead, error) { return t.readHead("") }

// moveHead writes the head h, sealed with seal (the store's chain's
// Seal, or a new key's while re-linking).
func (t tx) moveHead(h store.AuditHead, seal func(store.AuditHead) []byte) error {
	ok, err := t.changed("move the audit chain's head", `UPDATE audit_head SET seq = ?, hash = ?, mac = ? WHERE id = 1`, h.Seq, h.Hash, seal(h))
	if err == nil && !ok {
		return errNoHead
	}
	return err
}

// AuditCodesFrom reads where the audit's outcomes become codes (see
// store.ReadTx.AuditCodesFrom), which codesMigration marked: the lowest
// mark if rows were added, 0 if the mark was deleted. The mark is
// outside the hash chain and decides nothing but that report (every old
// word translates wherever it stands), so a table tampered with is no
// reason to refuse to read the audit.
func (t tx) AuditCodesFrom() (int64, error) {
	var from int64
	if err := t.row(`SELECT COALESCE(MIN(first_seq), 0) FROM audit_codes`).Scan(&from); err != nil {
		return 0, fmt.Errorf("read where the audit's codes begin: %w", err)
	}
	return from, nil
}

const auditColumns = `id, at, userid, client, event, outcome, detail, prev, hash`

func scanAudit(rows scanner) (store.AuditEvent, error) {
	var e store.AuditEvent
	var at int64
	if err := rows.Scan(&e.ID, &at, &e.UserID, &e.Client, &e.Event, &e.Outcome, &e.Detail, &e.Prev, &e.Hash); err != nil {
		return e, fmt.Errorf("read audit: %w", err)
	}
	e.At = time.Unix(at, 0)
	return e, nil
}

// AuditEvents returns matching events, oldest first (with a limit, the
// newest that many).
func (t tx) AuditEvents(f store.AuditFilter) ([]store.AuditEvent, error) {
	query := `SELECT ` + auditColumns + ` FROM audit WHERE at >= ?`
	args := []any{unix(f.Since)}
	if f.UserID != "" {
		query += ` AND userid = ?` + t.d.NoCase
		args = append(args, f.UserID)
	}
	if f.Limit <= 0 {
		return auditRecords(t.rows(query+` ORDER BY id`, args...))
	}
	out, err := auditRecords(t.rows(query+` ORDER BY id DESC LIMIT ?`, append(args, f.Limit)...))
	slices.Reverse(out)
	return out, err
}

// auditRecords reads the records a query selected (auditColumns).
func auditRecords(rows rowSet, err error) ([]store.AuditEvent, error) {
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
	if db, ok := t.q.(*sql.DB); ok && t.p == nil {
		opts := t.d.Snapshot
		rt, err := db.BeginTx(t.ctx, &opts)
		if err != nil {
			return fmt.Errorf("read audit: %w", err)
		}
		defer rt.Rollback()
		t.q = rt
	}
	h, err := t.readHead("")
	if err != nil {
		return err
	}
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

// startChain begins the audit's hash chain, in the run that applied the
// chain's migration (chained) or the head seal's (sealed), and only then:
// the decision rests on what this process did, never on what the database
// says, which whoever rewrote it could have arranged (a chain cleared of
// its hashes and head would otherwise be begun again over the rewrite).
//
// Begun, the chain links in one transaction the records written before
// (in sequence order, from the genesis hash) and writes the sealed head,
// which says when and over how many. A chain begun by an earlier version
// gets its head's seal. After that the chain is only appended to: a head
// that is gone is never made again (appends then fail, and `audit verify`
// says why). It runs under the migration lock (see Open), so two nodes
// never begin it twice.
//
// It returns how many records a chain it began linked (-1 when it began
// none).
func startChain(ctx context.Context, c conn, d Dialect, chain *auditchain.Chain, chained, sealed bool) (int64, error) {
	if !chained && !sealed {
		return -1, nil
	}
	sqlTx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return -1, fmt.Errorf("begin the audit chain: %w", err)
	}
	defer sqlTx.Rollback()
	t := tx{ctx: ctx, q: sqlTx, d: d, chain: chain}
	h, err := t.readHead(d.RowLock)
	over := int64(-1)
	switch {
	case err == nil && sealed:
		err = t.moveHead(h, t.chain.Seal) // a chain begun before heads were sealed
	case errors.Is(err, errNoHead) && chained:
		over, err = t.beginChain()
	}
	if err != nil {
		return -1, fmt.Errorf("begin the audit chain: %w", err)
	}
	if err := sqlTx.Commit(); err != nil {
		return -1, fmt.Errorf("begin the audit chain: %w", err)
	}
	return over, nil
}

// beginChain links the records written before the chain and writes its
// sealed head; it returns how many records it linked.
func (t tx) beginChain() (int64, error) {
	last, prev, n, err := t.linkAll(func(e store.AuditEvent) []byte { return t.chain.Link(e.Prev, e) })
	if err != nil {
		return -1, err
	}
	h := store.AuditHead{Seq: last, Hash: prev, Began: time.Unix(time.Now().Unix(), 0), Earlier: n}
	_, err = t.run(`INSERT INTO audit_head (id, seq, hash, began_at, earlier, mac) VALUES (1, ?, ?, ?, ?, ?)`,
		h.Seq, h.Hash, h.Began.Unix(), h.Earlier, t.chain.Seal(h))
	return n, err
}

// linkAll links every record, a batch at a time, from the genesis hash:
// the records written before the chain began (beginChain), or all of them
// under a new key (RelinkAudit). It returns the last one's sequence
// number and hash, and how many there were.
func (t tx) linkAll(link func(store.AuditEvent) []byte) (last int64, prev []byte, n int64, err error) {
	prev = auditchain.Genesis()
	for {
		batch, err := auditRecords(t.rows(`SELECT `+auditColumns+` FROM audit WHERE id > ? ORDER BY id LIMIT 500`, last))
		if err != nil || len(batch) == 0 {
			return last, prev, n, err
		}
		for _, e := range batch {
			e.Prev = prev
			e.Hash = link(e)
			if _, err := t.run(`UPDATE audit SET prev = ?, hash = ? WHERE id = ?`, prev, e.Hash, e.ID); err != nil {
				return 0, nil, 0, err
			}
			last, prev = e.ID, e.Hash
			n++
		}
	}
}

// RelinkAudit links every record again under link and moves the head,
// sealed with seal (see store.Tx.RelinkAudit); the head's row is locked
// first, so that no append links meanwhile.
func (t tx) RelinkAudit(link func(e store.AuditEvent) []byte, seal func(store.AuditHead) []byte) error {
	h, err := t.readHead(t.d.RowLock)
	if err != nil {
		return fmt.Errorf("re-link the audit chain: %w", err)
	}
	if h.Seq, h.Hash, _, err = t.linkAll(link); err != nil {
		return fmt.Errorf("re-link the audit chain: %w", err)
	}
	if err := t.moveHead(h, seal); err != nil {
		return fmt.Errorf("re-link the audit chain: %w", err)
	}
	return nil
}
