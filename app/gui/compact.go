package gui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/softtoken/softtoken/token"
)

// PrefCompact shows the compact window instead of the main one, from one
// start to the next (ShowCompact, ShowFull).
const PrefCompact = "compactView"

// compactWidth is the compact window's width: a name, six digits and the
// seconds, beside the programs a trader works in.
const compactWidth = 360

// Compact is the small window a trader can keep above the others: each
// token's slot and name, its digits (a click copies them, as in the main
// window) and its seconds left, or a Next code button for a counter-based
// token. Full goes back to the main window, as closing it does.
type Compact struct {
	Win  fyne.Window
	Rows []*Row
	Full *widget.Button
	// Note says when the desktop cannot keep the window on top.
	Note *widget.Label
	box  *fyne.Container
}

// Front is the window the trader chose to see: the compact one or the
// main one. A second launch and the tray's Show bring it forward.
func (w *Window) Front() fyne.Window {
	if w.Compact != nil && w.app.Preferences().Bool(PrefCompact) {
		return w.Compact.Win
	}
	return w.Win
}

// Show shows the window the trader chose last (PrefCompact).
func (w *Window) Show() {
	if w.app.Preferences().Bool(PrefCompact) {
		w.ShowCompact()
		return
	}
	w.Win.Show()
}

// ShowCompact hides the main window and shows the compact one, kept above
// the others where the desktop allows it (Config.KeepOnTop), and
// remembers the choice.
func (w *Window) ShowCompact() {
	w.app.Preferences().SetBool(PrefCompact, true)
	if w.Compact == nil {
		c := &Compact{Win: w.app.NewWindow("softtoken"), box: container.NewVBox()}
		c.Win.SetCloseIntercept(w.ShowFull)
		w.Compact = c
		w.relabelCompact()
		w.reloadCompact()
	}
	w.Win.Hide()
	w.Compact.Win.Show()
	if w.cfg.KeepOnTop != nil {
		if err := w.cfg.KeepOnTop(w.Compact.Win); err != nil {
			w.Compact.Note.SetText(T("compact.notontop"))
		}
	}
	w.changed()
}

// ShowFull hides the compact window, if any, and shows the main one, and
// remembers the choice.
func (w *Window) ShowFull() {
	w.app.Preferences().SetBool(PrefCompact, false)
	if w.Compact != nil {
		w.Compact.Win.Hide()
	}
	w.Win.Show()
	w.changed()
}

// relabelCompact rebuilds the compact window's fixed widgets in the
// language of the moment (Relabel).
func (w *Window) relabelCompact() {
	c := w.Compact
	c.Full = widget.NewButtonWithIcon(T("compact.full"), theme.ViewFullScreenIcon(), w.ShowFull)
	c.Full.Importance = widget.LowImportance
	c.Note = widget.NewLabel("")
	c.Note.Importance = widget.LowImportance
	c.Win.SetContent(container.NewBorder(nil, container.NewHBox(c.Full, c.Note), nil, nil, c.box))
}

// reloadCompact rebuilds the compact window's rows from the tokens the
// main window holds (Reload).
func (w *Window) reloadCompact() {
	c := w.Compact
	if c == nil {
		return
	}
	c.box.RemoveAll()
	c.Rows = nil
	if len(w.entries) == 0 {
		c.box.Add(wrapped(T("compact.empty")))
	}
	for _, e := range w.entries {
		r := w.newRow(e)
		r.Name.SetText(fmt.Sprintf("%d  %s", e.Slot, entryName(e)))
		c.Rows = append(c.Rows, r)
		c.box.Add(r.compactObject())
	}
	c.Win.Resize(fyne.NewSize(compactWidth, c.Win.Content().MinSize().Height))
}

// compactObject lays out a row of the compact window: a time-based
// token's name, taking the room left, then its digits and seconds on one
// line; other rows' passcode or message under the name, where a message
// has the width to wrap, with Next code beside a counter-based token's.
func (r *Row) compactObject() fyne.CanvasObject {
	r.Name.TextStyle = fyne.TextStyle{}
	if r.Entry.Err == nil && r.Entry.Token.Type == token.TOTP {
		return container.NewBorder(nil, nil, nil, container.NewHBox(r.Digits, r.Left), r.Name)
	}
	var next fyne.CanvasObject
	if r.Entry.Err == nil {
		r.Next.SetText("")
		next = r.Next
	}
	return container.NewVBox(r.Name, container.NewBorder(nil, nil, nil, next, r.Digits))
}
