//go:build linux || freebsd || openbsd || netbsd

package autotype

// Open is the typer of this session: X11 ($DISPLAY). A Wayland session
// without X11 is ErrNoDisplay.
func Open() (Typer, error) { return OpenX11("") }
