//go:build !unix

package sqlite

import "context"

// startLock is startlock_unix.go's on systems without flock(2): nothing
// (one node a file).
func startLock(context.Context, string) (func(), error) { return func() {}, nil }
