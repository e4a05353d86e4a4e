package main

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
	"golang.org/x/sys/windows"
)

var (
	user32              = windows.NewLazySystemDLL("user32.dll")
	isIconic            = user32.NewProc("IsIconic")
	showWindow          = user32.NewProc("ShowWindow")
	setForegroundWindow = user32.NewProc("SetForegroundWindow")
)

const swRestore = 9 // SW_RESTORE

// raise shows the window and brings it to the front. Fyne's Show leaves a
// minimised window minimised on Windows, so a minimised one is restored
// first, as a second launch of a Windows program does.
func raise(w fyne.Window) {
	w.Show()
	if nw, ok := w.(driver.NativeWindow); ok {
		nw.RunNative(func(ctx any) {
			c, ok := ctx.(driver.WindowsWindowContext)
			if !ok || c.HWND == 0 {
				return
			}
			if iconic, _, _ := isIconic.Call(c.HWND); iconic != 0 {
				_, _, _ = showWindow.Call(c.HWND, swRestore)
			}
			_, _, _ = setForegroundWindow.Call(c.HWND)
		})
	}
	w.RequestFocus()
}
