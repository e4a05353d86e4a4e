//go:build unix

package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// startLock takes an advisory lock on the database's folder, so that
// processes opening the database at once (nodes started together on one
// host) migrate it and begin the audit's chain one after the other:
// SQLite's own locks serialise each transaction, not the run of them,
// and a new file's switch to WAL can answer "database is locked" without
// waiting. The folder, not the file: closing a descriptor of the file
// would drop the fcntl(2) locks SQLite's connections in this process
// hold on it (sqlite.org/howtocorrupt.html, 2.2.1). unlock releases it.
func startLock(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.Open(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("open the database's folder: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if err != syscall.EWOULDBLOCK && err != syscall.EINTR {
			f.Close()
			return nil, fmt.Errorf("wait for other processes opening the database: %w", err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("wait for other processes opening the database: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
