//go:build !(linux || freebsd || openbsd || netbsd) && !(windows && amd64)

package autotype

import "context"

// Open is the typer of this session: none yet on this system
// (ErrNoDisplay).
func Open() (Typer, error) { return nil, ErrNoDisplay }

// Listen grabs keys: not yet on this system (ErrNoDisplay).
func Listen(ctx context.Context, keys []Hotkey, fired func(i int)) error { return ErrNoDisplay }
