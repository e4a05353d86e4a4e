package sqlstore

import (
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/softtoken/softtoken/server/store"
)

// Reading ahead in a pipelined transaction (docs/benchmarks.md, "Round
// trips"): when a write transaction reads a user's row, and so locks it,
// the rules go on to read the rows that hang from it, one round trip
// each. Instead, those reads go in the same batch as the user's row, and
// their answers are kept for the rest of the transaction: a read the
// store later makes of exactly that statement and those arguments is
// answered from what was kept, as long as the transaction has not
// written to that table since (any write to it, or one the store cannot
// name the table of, forgets what was kept of it). A row read ahead is
// read after the user's row was locked, in the same transaction, so it
// is what the read itself would have found at that moment; the
// conditional statements that decide races are never answered from it.

// aheadOfUser are the reads that go ahead with a locked user's row: each
// statement as its method sends it, with the user's row ID as its one
// argument, and the table it reads.
var aheadOfUser = []struct{ query, table string }{
	{tokenOfUser, "tokens"},
	{tempPasscodeOfUser, "temp_passcodes"},
	{deskCaseOfUser, "desk_cases"},
}

// Row is a row read ahead, to be scanned when the store asks for it.
type Row interface {
	Scan(dest ...any) error
}

// kept is a read's answer kept: its table, and its row (nil: none).
type kept struct {
	table string
	row   Row
}

// aheadKey is the key of a read's answer: the statement as sent and its
// arguments.
func aheadKey(query string, args []any) string {
	return query + "\x00" + fmt.Sprintf("%#v", args) // each argument quoted: ("a1", "b") is not ("a", "1b")
}

// aheadStmts are the reads to send ahead with a user's row, by user ID
// (byUserID, the row ID then found in the database) or by row ID (byID).
// Their answers are kept in into under the statements the methods will
// send with the row ID, which id gives once the user's row was scanned
// (it is scanned first in the batch); nothing is kept when no user was
// found (id gives 0). With lockToken the token is read with its row lock
// (sent with nowait after it, see aheadOf), and kept also under the
// locked read's statement, which tells AcceptStep it holds the row.
func (t tx) aheadStmts(byUserID string, byID int64, into *pipeTx, id func() int64, lockToken bool, nowait string) []Stmt {
	var out []Stmt
	for _, a := range aheadOfUser {
		query, table := t.d.rebind(a.query), a.table
		sent, locked := query, ""
		if lockToken && table == "tokens" && t.userLock != "" {
			sent, locked = t.d.rebind(a.query+t.userLock+nowait), t.d.rebind(a.query+t.userLock)
		}
		arg := any(byID)
		if byUserID != "" {
			sent = strings.Replace(sent, "user_id=$1", "user_id=(SELECT id FROM users WHERE userid = $1)", 1)
			arg = byUserID
		}
		out = append(out, Stmt{Query: sent, Args: []any{arg}, Keep: func(r Row) error {
			if id := id(); id != 0 {
				into.keep(aheadKey(query, []any{id}), kept{table: table, row: r})
				if locked != "" {
					into.keep(aheadKey(locked, []any{id}), kept{table: table, row: r})
				}
			}
			return nil
		}})
	}
	return out
}

// Soon sends the reads a names with the transaction's next batch, and
// keeps their answers (see store.Ahead).
func (t tx) Soon(a store.Ahead) {
	if t.p != nil {
		t.p.soon = append(t.p.soon, t.aheadOf(a, t.p, "")...)
	}
}

// Peek is the transaction reading without row locks (see store.Tx.Peek).
func (t tx) Peek() store.ReadTx {
	t.userLock = ""
	return t
}

// Then begins the session's next transaction with this one's COMMIT, by
// the reads a names (see store.Tx.Then); outside a session, or on a
// database that does not pipeline, it does nothing.
//
// Those reads lock NOWAIT: PostgreSQL sends a batch's answers only when
// it reaches the batch's end, so a read there that waited for another
// transaction's row would keep the COMMIT's answer from the caller, who
// might give up and be told the committed transaction failed. A row
// that is held fails the read at once instead: the COMMIT's answer comes
// back, and the next transaction begins afresh, and waits, on its own.
func (t tx) Then(a store.Ahead) {
	if t.p != nil && t.p.session {
		t.p.then = func(next *pipeTx) []Stmt { return t.aheadOf(a, next, " NOWAIT") }
	}
}

// aheadOf are the statements of the reads a names, their answers kept in
// into: each kept as the method that makes the read sends it, so that the
// read is answered from what was kept; a read that locks is sent with
// nowait ("" or " NOWAIT") after its lock.
func (t tx) aheadOf(a store.Ahead, into *pipeTx, nowait string) []Stmt {
	out := t.aheadOfUserRow(a, into, nowait)
	if a.Peek != 0 {
		query := t.d.rebind(userByID)
		out = append(out, Stmt{Query: query, Args: []any{a.Peek}, Keep: func(r Row) error {
			into.keep(aheadKey(query, []any{a.Peek}), kept{table: "users", row: r})
			return nil
		}})
	}
	if a.PeekUserID != "" {
		query := t.d.rebind(userByUserID)
		out = append(out, Stmt{Query: query, Args: []any{a.PeekUserID}, Keep: func(r Row) error {
			into.keep(aheadKey(query, []any{a.PeekUserID}), kept{table: "users", row: r})
			return nil
		}})
	}
	if a.FirstFactorKey != "" {
		// touched_at of a row made here is written again by the count
		// (ReserveFirstFactor) before anything commits.
		query, args := t.d.rebind(throttleUpsert), []any{a.FirstFactorKey, a.FirstFactorSource}
		out = append(out, Stmt{Query: query, Args: append(args, time.Now().Unix()), Keep: func(r Row) error {
			into.keep(aheadKey(query, args), kept{table: "first_factor_throttle", row: r})
			return nil
		}})
	}
	if a.AuditHead {
		query := t.d.rebind(headQuery + t.d.RowLock)
		out = append(out, Stmt{Query: t.d.rebind(headQuery + t.d.RowLock + nowait), Keep: func(r Row) error {
			into.keep(aheadKey(query, nil), kept{table: "audit_head", row: r})
			return nil
		}})
	}
	return out
}

// aheadOfUserRow are aheadOf's reads of a user's row, locked, with the
// rows that hang from it (store.Ahead.User).
func (t tx) aheadOfUserRow(a store.Ahead, into *pipeTx, nowait string) []Stmt {
	var out []Stmt
	if a.User != 0 {
		query, found := t.d.rebind(userByID+t.userLock), false
		out = append(out, Stmt{Query: t.d.rebind(userByID + t.userLock + nowait), Args: []any{a.User}, Keep: func(r Row) error {
			found = r != nil
			into.keep(aheadKey(query, []any{a.User}), kept{table: "users", row: r})
			return nil
		}})
		out = append(out, t.aheadStmts("", a.User, into, func() int64 {
			if found {
				return a.User
			}
			return 0
		}, a.LockToken, nowait)...)
	}
	return out
}

// locked notes that the transaction read, and so locked, u's row
// (lockState).
func (t tx) locked(u store.User) {
	if t.p == nil || t.userLock == "" {
		return
	}
	if t.p.locks == nil {
		t.p.locks = map[int64]lockState{}
	}
	t.p.locks[u.ID] = lockState{failures: u.Failures, lockedUntil: unix(u.LockedUntil)}
}

// keep keeps a read's answer under key.
func (p *pipeTx) keep(key string, k kept) {
	if p.ahead == nil {
		p.ahead = map[string]kept{}
	}
	p.ahead[key] = k
}

// kept answers a read from what was kept: ok false when nothing was (or
// the transaction is not pipelined: p nil).
func (p *pipeTx) kept(query string, args []any) (row Row, ok bool) {
	if p == nil {
		return nil, false
	}
	k, ok := p.ahead[aheadKey(query, args)]
	return k.row, ok
}

// keptScanner scans a row that was kept as sql.Row would: sql.ErrNoRows
// when there was none.
type keptScanner struct{ row Row }

func (k keptScanner) Scan(dest ...any) error {
	if k.row == nil {
		return sql.ErrNoRows
	}
	return k.row.Scan(dest...)
}

// wrote forgets what was kept of the table query writes; a statement
// that reads (SELECT) forgets nothing, and one whose table is not told
// by its first words forgets everything.
func (p *pipeTx) wrote(query string) {
	if len(p.ahead) == 0 && len(p.locks) == 0 {
		return
	}
	table, write := target(query)
	if !write {
		return
	}
	if table == "" || table == "users" {
		p.locks = nil
	}
	for key, k := range p.ahead {
		if table == "" || k.table == table {
			delete(p.ahead, key)
		}
	}
}

// target names the table a statement writes: write false for a SELECT
// (FOR UPDATE too); table "" when the statement writes but its first
// words do not name one table (a WITH, a DELETE FROM users that cascades
// to every table hanging from it).
func target(query string) (table string, write bool) {
	f := strings.Fields(strings.ToUpper(query))
	if len(f) == 0 || f[0] == "SELECT" {
		return "", false
	}
	if f[0] == "WITH" {
		return targetWith(query)
	}
	var name string
	switch {
	case len(f) >= 3 && (f[0] == "INSERT" && f[1] == "INTO" || f[0] == "DELETE" && f[1] == "FROM"):
		name = f[2]
	case len(f) >= 2 && f[0] == "UPDATE":
		name = f[1]
	default:
		return "", true
	}
	name, _, _ = strings.Cut(name, "(") // INSERT INTO t(columns)
	if i := strings.LastIndex(name, "."); i >= 0 {
		name = name[i+1:] // schema.table
	}
	name = strings.ToLower(strings.Trim(name, `"`))
	if name == "users" && f[0] == "DELETE" {
		return "", true
	}
	return name, true
}

// targetWith is target for WITH name AS (statement) SELECT …, a write
// whose answer the database checks (throttle.go, tokens.go): the table of
// its one statement. Anything else begun by WITH (several statements, or
// a write after them) names no table.
func targetWith(query string) (table string, write bool) {
	open := strings.Index(query, "(")
	if open < 0 {
		return "", true
	}
	depth := 0
	for i := open; i < len(query); i++ {
		switch query[i] {
		case '(':
			depth++
		case ')':
			depth--
		}
		if depth > 0 {
			continue
		}
		f := strings.Fields(strings.ToUpper(query[:open]))
		if len(f) != 3 || f[2] != "AS" || !strings.HasPrefix(strings.ToUpper(strings.TrimSpace(query[i+1:])), "SELECT") {
			return "", true
		}
		return target(query[open+1 : i])
	}
	return "", true
}
