package cli

import (
	"context"
	"fmt"

	"github.com/softtoken/softtoken/server/postgres"
	"github.com/softtoken/softtoken/server/sqlite"
)

// backup copies an SQLite database to a new file (`backup OUT`): a
// consistent copy while servers run. A PostgreSQL database is backed up
// with PostgreSQL's own tools, which know its replicas and its WAL.
func backup(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags(env, "backup", &c)
	rest, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if c.db == "" {
		return usagef("no database: give --db PATH or set SOFTTOKEN_DB")
	}
	if postgres.IsDSN(c.db) {
		return fmt.Errorf("backup copies an SQLite file; back up PostgreSQL with its own tools: pg_dump --format=custom --file OUT DBNAME " +
			"(or pg_basebackup and WAL archiving for point-in-time recovery; docs/deploy.md, \"Backups\")")
	}
	out := rest[0]
	if err := sqlite.Backup(ctx, c.db, out); err != nil {
		return err
	}
	return c.report(env, map[string]string{"database": c.db, "backup": out},
		fmt.Sprintf("Backed up %s to %s. The master key is not in it: keep a copy of the key apart from the backup.", c.db, out))
}
