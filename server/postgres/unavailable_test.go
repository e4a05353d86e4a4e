package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// What the dialect takes for "the database cannot be reached", and what
// it does not: a failure of a statement is a fault, never an outage.
func TestUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connections are refused
	_, refused := pgconn.Connect(context.Background(), "postgres://postgres@"+addr+"/x?sslmode=disable&connect_timeout=2")
	if refused == nil {
		t.Fatal("a connection to a closed port was made")
	}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", fmt.Errorf("begin transaction: %w", refused), true},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"cannot connect now", &pgconn.PgError{Code: "57P03"}, true},
		{"read-only after a fail-over", fmt.Errorf("reserve: %w", &pgconn.PgError{Code: "25006"}), true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"broken connection", fmt.Errorf("commit: %w", io.ErrUnexpectedEOF), true},
		{"bad connection", driver.ErrBadConn, true},
		{"unique violation", &pgconn.PgError{Code: uniqueViolation}, false},
		{"deadlock", &pgconn.PgError{Code: deadlockDetected}, false},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"another failure", errors.New("sealed seed does not open"), false},
	} {
		if got := unavailable(c.err); got != c.want {
			t.Errorf("%s (%v): unavailable %v, want %v", c.name, c.err, got, c.want)
		}
	}
}
