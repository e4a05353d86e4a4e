package pgtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/softtoken/softtoken/server/pgtest"
)

// Through Delayed, each round trip to PostgreSQL takes at least twice the
// delay, is counted once, and the answers are the database's.
func TestDelayed(t *testing.T) {
	ctx := context.Background()
	const d = 20 * time.Millisecond
	dsn, trips := pgtest.Delayed(t, pgtest.Start(t), d)
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for i := range 3 {
		before := trips()
		start := time.Now()
		var got int
		if err := c.QueryRow(ctx, "SELECT $1::int + 1", i).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < 2*d {
			t.Errorf("a round trip took %v, less than twice the delay (%v)", took, d)
		}
		want := int64(1)
		if i == 0 {
			want = 2 // prepared first: pgx caches its statements
		}
		if n := trips() - before; n != want {
			t.Errorf("query %d: %d round trips on the wire, want %d", i, n, want)
		}
		if got != i+1 {
			t.Errorf("SELECT %d + 1 = %d", i, got)
		}
	}
}
