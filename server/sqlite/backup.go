package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
)

// Backup copies the database at path, as of one moment, to a new file
// out with VACUUM INTO: a consistent copy taken while servers keep
// writing (they wait at most the busy timeout), compacted, and readable
// by its owner only, since it holds password hashes and sealed seeds. It
// never overwrites out, and never migrates or otherwise changes the
// database it copies. The master key is not in the copy: it is backed up
// apart (docs/deploy.md, "Backups").
func Backup(ctx context.Context, path, out string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("back up %s: %w", path, err)
	}
	// VACUUM INTO writes into an empty file: made here, so that it is the
	// owner's alone and so that an existing file is refused.
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("back up to %s: the file exists: give a new name", out)
	}
	if err != nil {
		return fmt.Errorf("back up to %s: %w", out, err)
	}
	f.Close()
	if err := vacuumInto(ctx, path, out); err != nil {
		os.Remove(out)
		return fmt.Errorf("back up %s to %s: %w", path, out, err)
	}
	return nil
}

// vacuumInto runs VACUUM INTO out on the database at path.
func vacuumInto(ctx context.Context, path, out string) error {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `VACUUM INTO ?`, out)
	return err
}
