package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/softtoken/softtoken/server/sqlstore"
)

// pipeline is a pgx connection as a sqlstore.Pipeline: a batch is sent
// in PostgreSQL's pipeline mode, its statements and one Sync, and read
// back in one round trip (pgx.Conn.SendBatch).
type pipeline struct{ c *pgx.Conn }

// pipelineOf is Dialect.Pipeline: the pgx connection under database/sql's
// (nil for any other driver's).
func pipelineOf(dc any) sqlstore.Pipeline {
	c, ok := dc.(*stdlib.Conn)
	if !ok {
		return nil
	}
	return pipeline{c.Conn()}
}

// errCommitRolledBack is a COMMIT the database answered with ROLLBACK:
// the transaction had failed before it.
var errCommitRolledBack = errors.New("the transaction was rolled back instead of committed")

// Batch sends stmts in one round trip (see sqlstore.Pipeline).
func (p pipeline) Batch(ctx context.Context, stmts []sqlstore.Stmt) error {
	b := &pgx.Batch{}
	for _, st := range stmts {
		q := b.Queue(st.Query, st.Args...)
		switch {
		case st.Keep != nil:
			q.Query(func(rows pgx.Rows) error { return st.Keep(p.keep(rows)) })
			continue
		case st.Rows != nil:
			q.Query(func(rows pgx.Rows) error { return st.Rows(rows) })
			continue
		}
		q.Exec(func(ct pgconn.CommandTag) error {
			switch {
			case st.Query == "COMMIT" && ct.String() != "COMMIT":
				return errCommitRolledBack
			case st.Done != nil:
				return st.Done(ct.RowsAffected())
			}
			return nil
		})
	}
	if err := p.c.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("pipelined statements: %w", err)
	}
	return nil
}

// keep copies the first of rows, to be scanned later as rows.Scan would
// have (nil: there is none).
func (p pipeline) keep(rows pgx.Rows) sqlstore.Row {
	if !rows.Next() {
		return nil
	}
	k := keptRow{m: p.c.TypeMap(), fields: slices.Clone(rows.FieldDescriptions())} // pgx reuses both buffers
	for _, v := range rows.RawValues() {
		if v == nil {
			k.values = append(k.values, nil)
			continue
		}
		k.values = append(k.values, slices.Clone(v))
	}
	return k
}

// keptRow is a row's raw values and how to decode them.
type keptRow struct {
	m      *pgtype.Map
	fields []pgconn.FieldDescription
	values [][]byte
}

// Scan decodes the row into dest, one column a destination.
func (k keptRow) Scan(dest ...any) error {
	if len(dest) != len(k.values) {
		return fmt.Errorf("a kept row of %d columns scanned into %d", len(k.values), len(dest))
	}
	for i, d := range dest {
		if err := k.m.Scan(k.fields[i].DataTypeOID, k.fields[i].Format, k.values[i], d); err != nil {
			return fmt.Errorf("column %s: %w", k.fields[i].Name, err)
		}
	}
	return nil
}

// Close closes the connection (see sqlstore.Pipeline): stdlib's
// ResetSession then tells database/sql to drop it.
func (p pipeline) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = p.c.Close(ctx) // closed whatever it answers
}

// Query runs one query (see sqlstore.Pipeline).
func (p pipeline) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	return p.c.Query(ctx, query, args...)
}
