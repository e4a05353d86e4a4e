//go:build !(linux || freebsd || openbsd || netbsd || windows)

package ontop

func keep(any) error { return ErrUnsupported }
