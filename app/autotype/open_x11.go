//go:build linux || freebsd || openbsd || netbsd

package autotype

import "context"

// Open is the typer of this session: X11 ($DISPLAY). A Wayland session
// without X11 is ErrNoDisplay.
func Open() (Typer, error) { return OpenX11("") }

// Listen grabs keys on the session's display until ctx ends: ListenX11
// on $DISPLAY.
func Listen(ctx context.Context, keys []Hotkey, fired func(i int)) error {
	return ListenX11(ctx, "", keys, fired)
}
