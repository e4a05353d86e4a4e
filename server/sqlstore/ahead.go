package sqlstore

import (
	"fmt"
	"strings"
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
	return query + "\x00" + fmt.Sprint(args...)
}

// aheadStmts are the reads to send ahead with a user's row, by user ID
// (byUserID, the row ID then found in the database) or by row ID (byID).
// Their answers are kept under the statements the methods will send with
// the row ID, which *id holds once the user's row was scanned (it is
// scanned first in the batch); nothing is kept when no user was found.
func (t tx) aheadStmts(byUserID string, byID int64, id *int64) []Stmt {
	var out []Stmt
	for _, a := range aheadOfUser {
		query, table := t.d.rebind(a.query), a.table
		sent, arg := query, any(byID)
		if byUserID != "" {
			sent = strings.Replace(query, "user_id=$1", "user_id=(SELECT id FROM users WHERE userid = $1)", 1)
			arg = byUserID
		}
		out = append(out, Stmt{Query: sent, Args: []any{arg}, Keep: func(r Row) error {
			if id != nil && *id != 0 {
				t.p.keep(aheadKey(query, []any{*id}), kept{table: table, row: r})
			}
			return nil
		}})
	}
	return out
}

// keep keeps a read's answer under key.
func (p *pipeTx) keep(key string, k kept) {
	if p.ahead == nil {
		p.ahead = map[string]kept{}
	}
	p.ahead[key] = k
}

// kept answers a read from what was kept: ok false when nothing was.
func (p *pipeTx) kept(query string, args []any) (row Row, ok bool) {
	k, ok := p.ahead[aheadKey(query, args)]
	return k.row, ok
}

// wrote forgets what was kept of the table query writes; a statement
// that reads (SELECT) forgets nothing, and one whose table is not told
// by its first words forgets everything.
func (p *pipeTx) wrote(query string) {
	if len(p.ahead) == 0 {
		return
	}
	table, write := target(query)
	if !write {
		return
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
