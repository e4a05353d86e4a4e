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
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/token"
)

// Config is what the window works with.
type Config struct {
	Store token.Store
	Now   func() time.Time
	// Enrol enrols a token (enrolclient.Client.Enrol on Store).
	Enrol EnrolFunc
	// DefaultEnrolURL pre-fills the Add dialog until an enrolment succeeded.
	DefaultEnrolURL string
}

// Window lists the tokens of a store with their current passcodes and
// seconds left, and adds tokens with the Add dialog. It is a first, minimal
// window; the full rows, Copy and the tray follow.
type Window struct {
	Win     fyne.Window
	app     fyne.App
	cfg     Config
	rows    *fyne.Container
	entries []token.Entry
	loadErr error
	// AddButton opens the Add dialog; Add is the open dialog's form, if any.
	AddButton *widget.Button
	Add       *AddForm
	addDialog dialog.Dialog
}

// New builds the window on a and loads the tokens; call Refresh once a
// second to keep the passcodes current.
func New(a fyne.App, cfg Config) *Window {
	w := &Window{Win: a.NewWindow("softtoken"), app: a, cfg: cfg, rows: container.NewVBox()}
	w.AddButton = widget.NewButtonWithIcon("Add", theme.ContentAddIcon(), w.ShowAdd)
	w.Win.SetContent(container.NewBorder(container.NewHBox(w.AddButton), nil, nil, nil, container.NewPadded(w.rows)))
	w.Win.Resize(fyne.NewSize(480, 320))
	w.Reload()
	return w
}

// ShowAdd opens the Add dialog.
func (w *Window) ShowAdd() {
	if len(w.entries) >= token.MaxTokens {
		dialog.ShowInformation("Six tokens", token.ErrFull.Error(), w.Win)
		return
	}
	w.Add = NewAddForm(w.cfg.Enrol, w.app.Preferences(), w.cfg.DefaultEnrolURL, w.enrolled, func() { w.addDialog.Hide() })
	w.addDialog = dialog.NewCustomWithoutButtons("Add a token", w.Add.Content, w.Win)
	size := fyne.NewSize(460, w.Add.Content.MinSize().Height+120)
	if cur := w.Win.Canvas().Size(); cur.Width < size.Width+40 || cur.Height < size.Height+40 {
		// The dialog lives inside the window: make room for it.
		w.Win.Resize(fyne.NewSize(max(cur.Width, size.Width+40), max(cur.Height, size.Height+40)))
	}
	w.addDialog.Resize(size)
	w.addDialog.Show()
	w.Win.Canvas().Focus(w.Add.URL)
}

func (w *Window) enrolled(res enrolclient.Result) {
	w.addDialog.Hide()
	w.Reload()
	if warning := res.ClockWarning(); warning != "" {
		dialog.ShowInformation("Check this PC's clock", warning, w.Win)
	}
}

// Reload reads the tokens from the store, which may be slow (the keyring is
// a D-Bus call away), and redraws. Call it after the tokens change, not on
// every tick. Like every method, it must run on the Fyne thread.
func (w *Window) Reload() {
	w.entries, w.loadErr = w.cfg.Store.List()
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
		w.rows.Add(wrapped("No tokens yet. Press Add and enter the enrol URL, user name, password and passcode from your welcome mail."))
	}
	now := w.cfg.Now()
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
