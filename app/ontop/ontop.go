// Package ontop keeps a window above the others, for the compact window
// a trader leaves beside the programs they work in. Fyne has no such
// setting, so it asks the platform: on X11 the window manager, through
// the EWMH state _NET_WM_STATE_ABOVE; on Windows, SetWindowPos with
// HWND_TOPMOST.
package ontop

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
)

// ErrUnsupported is Keep on a platform or window that cannot be kept on
// top (macOS, Wayland, Fyne's test driver): the window still works, in
// the usual order.
var ErrUnsupported = errors.New("this desktop cannot keep a window on top")

// Keep asks for w to stay above other windows. Call it on the Fyne thread
// once w is shown: before that it has no native window (ErrUnsupported).
func Keep(w fyne.Window) error {
	nw, ok := w.(driver.NativeWindow)
	if !ok {
		return ErrUnsupported
	}
	err := ErrUnsupported
	nw.RunNative(func(ctx any) { err = keep(ctx) })
	return err
}
