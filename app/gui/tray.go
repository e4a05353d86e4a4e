package gui

import (
	"fyne.io/fyne/v2"

	"github.com/softtoken/softtoken/token"
)

// TrayMenu is the system tray's menu, in the app's language: copy each
// time-based token's passcode (copySlot gets its slot), and show the
// window (show). Fyne adds Quit.
func TrayMenu(entries []token.Entry, copySlot func(slot int), show func()) *fyne.Menu {
	var items []*fyne.MenuItem
	for _, e := range entries {
		if e.Err != nil || e.Token.Type != token.TOTP {
			continue
		}
		slot := e.Slot
		items = append(items, fyne.NewMenuItem(T("tray.copy", args{"Name": e.Token.Label}), func() { copySlot(slot) }))
	}
	if len(items) > 0 {
		items = append(items, fyne.NewMenuItemSeparator())
	}
	items = append(items, fyne.NewMenuItem(T("tray.show"), show))
	return fyne.NewMenu("softtoken", items...)
}
