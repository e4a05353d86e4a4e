//go:build !(linux || freebsd || openbsd || netbsd)

package autotype

// Open is the typer of this session: none yet on this system
// (ErrNoDisplay).
func Open() (Typer, error) { return nil, ErrNoDisplay }
