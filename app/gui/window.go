// Package gui is softtoken's window: a thin layer of Fyne widgets over the
// token package, which computes every passcode, and enrolclient, which
// enrols. It never creates the Fyne app (that needs cgo), so its tests run
// on fyne.io/fyne/v2/test.
package gui

import (
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/softtoken/softtoken/app/autotype"
	"github.com/softtoken/softtoken/app/policy"
	"github.com/softtoken/softtoken/app/scan"
	"github.com/softtoken/softtoken/token"
)

// Preference keys. Settings live in Fyne's preferences, never with
// secrets; package policy knows them all, and resolves them under the
// organisation's policy.
const (
	// PrefClipboardSeconds is how long a copied passcode stays on the
	// clipboard (policy.DefaultClipboardSeconds).
	PrefClipboardSeconds = policy.PrefClipboardSeconds
	// PrefStartMinimised starts the app in the tray (when there is one).
	PrefStartMinimised = policy.PrefStartMinimised
)

// defaultHideDelay is how long the window hides before a screen scan
// unless Config.HideDelay says otherwise.
const defaultHideDelay = 400 * time.Millisecond

// Config is what the window works with. Its zero fields take the
// defaults: the real clock and timers, the scanners and camera of package
// scan, and defaultHideDelay.
type Config struct {
	Store token.Store
	Now   func() time.Time
	// Begin starts an enrolment (enrolclient.Client.Begin on Store).
	Begin BeginFunc
	// DefaultEnrolURL pre-fills the Add dialog until an enrolment succeeded.
	DefaultEnrolURL string
	// Policy is what the organisation set (policy.Read): each value it
	// sets wins over the user's preference, and Settings shows it fixed.
	Policy policy.Policy
	// ClipboardClear overrides PrefClipboardSeconds (tests).
	ClipboardClear time.Duration
	// After runs f on the Fyne thread after d; by default a timer and
	// fyne.Do. Tests pass their own to run it when they choose.
	After func(d time.Duration, f func())
	// OnChange is told when the tokens changed (the tray menu follows them).
	OnChange func([]token.Entry)
	// ScanScreen captures the screen and decodes a QR code (scan.Screen);
	// HideDelay is how long the window hides first (defaultHideDelay).
	ScanScreen func() (string, error)
	HideDelay  time.Duration
	// ScanClipboard decodes a QR code in the clipboard's image
	// (scan.Clipboard).
	ScanClipboard func() (string, error)
	// OpenCamera opens the webcam (scan.OpenCamera).
	OpenCamera func() (scan.FrameSource, error)
	// Typer types into the focused window (autotype.Open), and Listen
	// grabs the hotkeys that ask for it (autotype.ListenX11); nil: no
	// hotkeys (StartHotkeys).
	Typer  func() (autotype.Typer, error)
	Listen ListenFunc
	// KeepOnTop keeps the compact window above the others (ontop.Keep);
	// nil: it is an ordinary window.
	KeepOnTop func(fyne.Window) error
	// Beside runs f beside the Fyne thread (typing waits for the
	// hotkey's keys to be let go); a goroutine by default, and at once in
	// tests.
	Beside func(f func())
}

// Window shows up to six tokens, one row each: the name, the passcode in
// large digits grouped "123 456", the seconds left with a bar that turns to
// the warning colour in the last 5 seconds, and the buttons of [Row].
type Window struct {
	Win     fyne.Window
	app     fyne.App
	cfg     Config
	rows    *fyne.Container
	list    []*Row
	entries []token.Entry
	loadErr error
	// hotp holds the passcode last shown for each counter-based token, by
	// ID, until the next one is asked for.
	hotp map[string]string
	// focused says whether a trader is looking at the window, which sets
	// how often its countdowns move (see SetFocused); wake tells the ticker
	// it changed (see Wake).
	focused bool
	wake    chan struct{}
	// keys are the hotkeys that type passcodes (StartHotkeys).
	keys hotkeys

	// AddButton opens the Add dialog; Add is the open dialog's form, if any.
	AddButton *widget.Button
	Add       *AddForm
	addDialog dialog.Dialog
	// Swipe is the open One Swipe dialog, if any.
	Swipe *SwipeView
	// Camera is the open webcam dialog, if any.
	Camera *CameraView
	// SettingsButton opens the Settings dialog.
	SettingsButton *widget.Button
	// FullNote explains why Add is disabled.
	FullNote *widget.Label
	// Status shows short notices ("Passcode copied").
	Status *widget.Label

	// Confirm asks a yes/no question; dialog.ShowConfirm by default, and
	// replaced by tests.
	Confirm func(title, message string, answer func(bool))
	// AskName asks for a new name; a form dialog by default.
	AskName func(current string, answer func(string))
	// Inform shows a message; dialog.ShowInformation by default.
	Inform func(title, message string)
	// ScanButton opens the Scan dialog.
	ScanButton *widget.Button
	// CompactButton shows the compact window (ShowCompact), the open one
	// if any.
	CompactButton *widget.Button
	Compact       *Compact
}

// New builds the window on a and loads the tokens; call Refresh once a
// second to keep the passcodes current.
func New(a fyne.App, cfg Config) *Window {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ScanScreen == nil {
		cfg.ScanScreen = scan.Screen
	}
	if cfg.OpenCamera == nil {
		cfg.OpenCamera = scan.OpenCamera
	}
	if cfg.ScanClipboard == nil {
		cfg.ScanClipboard = scan.Clipboard
	}
	if cfg.HideDelay == 0 {
		cfg.HideDelay = defaultHideDelay
	}
	if cfg.Beside == nil {
		cfg.Beside = func(f func()) { go f() }
	}
	if cfg.After == nil {
		cfg.After = func(d time.Duration, f func()) { time.AfterFunc(d, func() { fyne.Do(f) }) }
	}
	w := &Window{Win: a.NewWindow("softtoken"), app: a, cfg: cfg, rows: container.NewVBox(), hotp: map[string]string{},
		wake: make(chan struct{}, 1)}
	w.Confirm = func(title, msg string, answer func(bool)) { dialog.ShowConfirm(title, msg, answer, w.Win) }
	w.AskName = w.askName
	w.Inform = func(title, msg string) { dialog.ShowInformation(title, msg, w.Win) }
	w.Win.SetOnDropped(w.Dropped)
	w.addShortcuts()
	w.Relabel()
	// Room for every row, up to six, within a 1366×768 screen.
	w.Win.Resize(fyne.NewSize(560, float32(min(700, 150+100*max(1, len(w.entries))))))
	return w
}

// Relabel speaks the language of the setting Language (the policy's or PrefLanguage)
// (SetLanguage) and rebuilds the window's widgets in it; New calls it, and
// so does Settings when the language changed.
func (w *Window) Relabel() {
	SetLanguage(w.Effective().Language.Value)
	w.ScanButton = widget.NewButtonWithIcon(T("window.scan"), theme.SearchIcon(), w.ShowScan)
	w.AddButton = widget.NewButtonWithIcon(T("window.add"), theme.ContentAddIcon(), w.ShowAdd)
	// Under the toolbar, wrapped: in the toolbar it would widen the
	// window past a laptop's half screen.
	w.FullNote = wrapped(T("window.full", args{"Max": token.MaxTokens}))
	w.FullNote.Hide()
	w.Status = widget.NewLabel("")
	w.Status.Wrapping = fyne.TextWrapWord // a long notice must not widen the window
	w.SettingsButton = widget.NewButtonWithIcon(T("window.settings"), theme.SettingsIcon(), w.ShowSettings)
	w.CompactButton = widget.NewButtonWithIcon(T("window.compact"), theme.ViewRestoreIcon(), w.ShowCompact)
	// A flat toolbar, as desktop apps draw theirs: it also spares
	// rounded backgrounds on each redraw (docs/benchmarks.md).
	for _, b := range []*widget.Button{w.AddButton, w.ScanButton, w.CompactButton, w.SettingsButton} {
		b.Importance = widget.LowImportance
	}
	top := container.NewVBox(container.NewBorder(nil, nil, container.NewHBox(w.AddButton, w.ScanButton),
		container.NewHBox(w.CompactButton, w.SettingsButton)), w.FullNote)
	if w.Compact != nil {
		w.relabelCompact()
	}
	w.Win.SetContent(container.NewBorder(top, w.Status, nil, nil, container.NewVScroll(w.rows)))
	w.Reload()
}

func (w *Window) addShortcuts() {
	keys := []fyne.KeyName{fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4, fyne.Key5, fyne.Key6}
	for i, k := range keys {
		w.Win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) { w.CopySlot(i + 1) })
	}
	w.Win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyV, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) {
		if !w.ScanButton.Disabled() {
			w.ScanClipboard()
		}
	})
	w.Win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) {
		if !w.AddButton.Disabled() {
			w.ShowAdd()
		}
	})
}

// Rows are the rows the window shows, in slot order.
func (w *Window) Rows() []*Row { return w.list }

// Reload reads the tokens from the store, which may be slow (the keyring is
// a D-Bus call away), and rebuilds the rows. Call it after the tokens
// change, not on every tick. Like every method, it runs on the Fyne thread.
func (w *Window) Reload() {
	w.entries, w.loadErr = w.cfg.Store.List()
	for id := range w.hotp {
		if !slices.ContainsFunc(w.entries, func(e token.Entry) bool { return e.ID == id }) {
			delete(w.hotp, id) // deleted
		}
	}
	w.rows.RemoveAll()
	w.list = nil
	switch {
	case w.loadErr != nil:
		w.rows.Add(wrapped(Message(w.loadErr)))
	case len(w.entries) == 0:
		w.rows.Add(wrapped(T("window.empty")))
	}
	for _, e := range w.entries {
		r := w.newRow(e)
		w.list = append(w.list, r)
		w.rows.Add(r.object())
		w.rows.Add(widget.NewSeparator())
	}
	w.reloadCompact()
	if w.Swipe != nil {
		// Follow the token: it may have been re-enrolled, or deleted.
		if i := slices.IndexFunc(w.entries, func(e token.Entry) bool { return e.ID == w.Swipe.Entry.ID }); i >= 0 {
			w.Swipe.Entry, w.Swipe.code = w.entries[i], ""
		} else {
			w.Swipe.dialog.Hide()
		}
	}
	full := len(w.entries) >= token.MaxTokens
	if full {
		w.AddButton.Disable()
		w.ScanButton.Disable()
		w.FullNote.Show()
	} else {
		w.AddButton.Enable()
		w.ScanButton.Enable()
		w.FullNote.Hide()
	}
	w.changed()
	if w.cfg.OnChange != nil {
		w.cfg.OnChange(w.entries)
	}
}

func (w *Window) notice(s string) {
	w.Status.SetText(s)
	w.cfg.After(4*time.Second, func() {
		if w.Status.Text == s {
			w.Status.SetText("")
		}
	})
}

func wrapped(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	return l
}
