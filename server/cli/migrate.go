package cli

import (
	"context"
	"fmt"

	"github.com/softtoken/softtoken/server"
)

// migrateCmd is `migrate`: it applies the schema migrations the database
// lacks and prints its version. serve and the admin commands migrate too
// when they open the database; this lets an operator do it first, once,
// before starting new nodes (on PostgreSQL nodes take turns anyway).
func migrateCmd(ctx context.Context, env Env, args []string) error {
	var c common
	fs := newFlags(env, "migrate", &c)
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	storage, err := c.storage(env)
	if err != nil {
		return err
	}
	v, err := server.Migrate(ctx, storage, env.Logger)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", c.dbName(), err)
	}
	return c.report(env, map[string]int{"schema_version": v}, fmt.Sprintf("%s: schema version %d", c.dbName(), v))
}
