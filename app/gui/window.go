// Package gui is softtoken's window: a thin layer of Fyne widgets over the
// token package, which computes every passcode. It never creates the Fyne
// app (that needs cgo), so its tests run on fyne.io/fyne/v2/test.
package gui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/softtoken/softtoken/token"
)

// Window lists the tokens of a store with their current passcodes and
// seconds left. It is the first, minimal window; rows, Add, Copy and the tray
// follow.
type Window struct {
	Win     fyne.Window
	store   token.Store
	now     func() time.Time
	rows    *fyne.Container
	entries []token.Entry
	loadErr error
}

// New builds the window on a and loads the tokens; call Refresh once a
// second to keep the passcodes current.
func New(a fyne.App, store token.Store, now func() time.Time) *Window {
	w := &Window{Win: a.NewWindow("softtoken"), store: store, now: now, rows: container.NewVBox()}
	w.Win.SetContent(container.NewPadded(w.rows))
	w.Win.Resize(fyne.NewSize(420, 260))
	w.Reload()
	return w
}

// Reload reads the tokens from the store, which may be slow (the keyring is
// a D-Bus call away), and redraws. Call it after the tokens change, not on
// every tick. Like every method, it must run on the Fyne thread.
func (w *Window) Reload() {
	w.entries, w.loadErr = w.store.List()
	w.Refresh()
}

// Refresh redraws the rows from the tokens in memory: it computes passcodes
// and does no I/O, so it is cheap enough to run every second.
func (w *Window) Refresh() {
	w.rows.RemoveAll()
	switch {
	case w.loadErr != nil:
		w.rows.Add(wrapped(w.loadErr.Error()))
	case len(w.entries) == 0:
		w.rows.Add(wrapped("No tokens yet. Add one with: softtoken add (the Add button comes with the full window)."))
	}
	now := w.now()
	for _, e := range w.entries {
		w.rows.Add(widget.NewLabel(rowText(e, now)))
	}
}

// rowText is one token's line: name, passcode in two groups, seconds left.
func rowText(e token.Entry, now time.Time) string {
	if e.Err != nil {
		return fmt.Sprintf("%d  %s: %v", e.Slot, e.Name(), e.Err)
	}
	if e.Token.Type == token.HOTP {
		return fmt.Sprintf("%d  %s   (counter-based: use softtoken code)", e.Slot, e.Token.Label)
	}
	code, err := e.Token.Code(now)
	if err != nil {
		return fmt.Sprintf("%d  %s: %v", e.Slot, e.Token.Label, err)
	}
	return fmt.Sprintf("%d  %s   %s   %d s", e.Slot, e.Token.Label, Group(code), e.Token.SecondsLeft(now))
}

// Group splits a passcode in two halves for reading aloud: "123 456",
// "1234 5678".
func Group(code string) string {
	half := len(code) / 2
	return strings.TrimSpace(code[:half] + " " + code[half:])
}

func wrapped(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	return l
}
