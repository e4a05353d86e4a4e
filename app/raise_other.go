//go:build !windows

package main

import "fyne.io/fyne/v2"

// raise shows the window and asks for the focus.
func raise(w fyne.Window) {
	w.Show()
	w.RequestFocus()
}
