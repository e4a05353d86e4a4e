//go:build windows

package ontop

import (
	"fmt"

	"fyne.io/fyne/v2/driver"
	"golang.org/x/sys/windows"
)

var (
	user32           = windows.NewLazySystemDLL("user32.dll")
	procSetWindowPos = user32.NewProc("SetWindowPos")
)

// SetWindowPos's arguments: the topmost band, and neither move nor resize
// nor take the focus.
const (
	hwndTopmost   = ^uintptr(0) // HWND_TOPMOST, (HWND)-1
	swpNoSize     = 0x0001
	swpNoMove     = 0x0002
	swpNoActivate = 0x0010
	swpShowWindow = 0x0040
)

func keep(ctx any) error {
	c, ok := ctx.(driver.WindowsWindowContext)
	if !ok || c.HWND == 0 {
		return ErrUnsupported
	}
	if r, _, err := procSetWindowPos.Call(c.HWND, hwndTopmost, 0, 0, 0, 0, swpNoSize|swpNoMove|swpNoActivate|swpShowWindow); r == 0 {
		return fmt.Errorf("keep the window on top: %w", err)
	}
	return nil
}
