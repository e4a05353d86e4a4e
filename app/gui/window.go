// Package gui is softtoken's window: a thin layer of Fyne widgets over the
// token package, which computes every passcode, and enrolclient, which
// enrols. It never creates the Fyne app (that needs cgo), so its tests run
// on fyne.io/fyne/v2/test.
package gui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/softtoken/softtoken/app/scan"
	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/oneswipe"
)

// Preference keys. Settings live in Fyne's preferences, never with secrets.
const (
	// PrefClipboardSeconds is how long a copied passcode stays on the
	// clipboard (default 30).
	PrefClipboardSeconds = "clipboardSeconds"
	// PrefStartMinimised starts the app in the tray (when there is one).
	PrefStartMinimised = "startMinimised"
)

// Config is what the window works with.
type Config struct {
	Store token.Store
	Now   func() time.Time
	// Begin starts an enrolment (enrolclient.Client.Begin on Store).
	Begin BeginFunc
	// DefaultEnrolURL pre-fills the Add dialog until an enrolment succeeded.
	DefaultEnrolURL string
	// ClipboardClear overrides PrefClipboardSeconds (tests).
	ClipboardClear time.Duration
	// After runs f on the Fyne thread after d; by default a timer and
	// fyne.Do. Tests pass their own to run it when they choose.
	After func(d time.Duration, f func())
	// OnChange is told when the tokens changed (the tray menu follows them).
	OnChange func([]token.Entry)
	// ScanScreen captures the screen and decodes a QR code (scan.Screen);
	// HideDelay is how long the window hides first (default 400 ms).
	ScanScreen func() (string, error)
	HideDelay  time.Duration
	// ScanClipboard decodes a QR code in the clipboard's image
	// (scan.Clipboard).
	ScanClipboard func() (string, error)
	// OpenCamera opens the webcam (scan.OpenCamera).
	OpenCamera func() (scan.FrameSource, error)
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
}

// Row is one token's row: the name; the passcode, which copies itself when
// clicked; the seconds left and the bar (time-based tokens); then Copy,
// Next code (counter-based tokens), Swipe (tokens that can show One Swipe
// codes) and a "more" button whose menu holds Rename and Delete, away from
// Copy.
type Row struct {
	Entry token.Entry
	Name  *widget.Label
	Code  *widget.RichText
	// Digits is Code made clickable: a click copies the passcode, as Copy
	// does.
	Digits *Tappable
	Left   *widget.Label
	Bar    *Countdown
	Copy   *widget.Button
	// Next shows the next passcode of a counter-based (HOTP) token,
	// advancing its counter in the store first; hidden for other tokens.
	Next *widget.Button
	// Swipe shows a One Swipe code; only for tokens CanSwipe allows.
	Swipe *widget.Button
	// More opens Menu, which holds Rename and Delete.
	More        *widget.Button
	Menu        *fyne.Menu
	lastCode    string
	lastLeft    int
	lastWarning bool
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
		cfg.HideDelay = 400 * time.Millisecond
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

// Relabel speaks the language of the preference PrefLanguage
// (SetLanguage) and rebuilds the window's widgets in it; New calls it, and
// so does Settings when the language changed.
func (w *Window) Relabel() {
	SetLanguage(w.app.Preferences().String(PrefLanguage))
	w.ScanButton = widget.NewButtonWithIcon(T("window.scan"), theme.SearchIcon(), w.ShowScan)
	w.AddButton = widget.NewButtonWithIcon(T("window.add"), theme.ContentAddIcon(), w.ShowAdd)
	w.FullNote = widget.NewLabel(T("window.full", args{"Max": token.MaxTokens}))
	w.FullNote.Hide()
	w.Status = widget.NewLabel("")
	w.Status.Wrapping = fyne.TextWrapWord // a long notice must not widen the window
	w.SettingsButton = widget.NewButtonWithIcon(T("window.settings"), theme.SettingsIcon(), w.ShowSettings)
	// A flat toolbar, as desktop apps draw theirs: it also spares three
	// rounded backgrounds on each redraw (docs/benchmarks.md).
	for _, b := range []*widget.Button{w.AddButton, w.ScanButton, w.SettingsButton} {
		b.Importance = widget.LowImportance
	}
	top := container.NewBorder(nil, nil, container.NewHBox(w.AddButton, w.ScanButton, w.FullNote), w.SettingsButton)
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

func (w *Window) newRow(e token.Entry) *Row {
	r := &Row{Entry: e, Name: widget.NewLabel(fmt.Sprintf("%d  %s", e.Slot, entryName(e))), lastLeft: -1}
	r.Name.TextStyle = fyne.TextStyle{Bold: true}
	r.Name.Truncation = fyne.TextTruncateEllipsis
	r.Code = widget.NewRichText()
	r.Digits = NewTappable(r.Code, func() { w.copyEntry(e) })
	r.Left = widget.NewLabel("")
	r.Bar = NewCountdown()
	r.Copy = widget.NewButtonWithIcon(T("row.copy"), theme.ContentCopyIcon(), func() { w.copyEntry(e) })
	r.Next = widget.NewButtonWithIcon(T("row.next"), theme.MediaSkipNextIcon(), func() { w.nextCode(e) })
	r.Swipe = widget.NewButtonWithIcon(T("row.swipe"), theme.VisibilityIcon(), func() { w.ShowSwipe(e) })
	rename := fyne.NewMenuItem(T("row.rename"), func() { w.rename(e) })
	rename.Icon = theme.DocumentCreateIcon()
	del := fyne.NewMenuItem(T("row.delete"), func() { w.delete(e) })
	del.Icon = theme.DeleteIcon()
	r.Menu = fyne.NewMenu("", rename, del)
	r.More = widget.NewButtonWithIcon("", theme.MoreHorizontalIcon(), nil)
	// Flat, as menu buttons are; it also spares a rounded background on each
	// row's redraw (docs/benchmarks.md, "The idle desktop app").
	r.More.Importance = widget.LowImportance
	r.More.OnTapped = func() {
		// Under the button, ending at its right edge: inside the window.
		pop := widget.NewPopUpMenu(r.Menu, w.Win.Canvas())
		pop.ShowAtRelativePosition(fyne.NewPos(r.More.Size().Width-pop.MinSize().Width, r.More.Size().Height), r.More)
	}
	if !CanSwipe(e) {
		r.Swipe.Hide()
	}
	hotp := e.Err == nil && e.Token.Type == token.HOTP
	if !hotp {
		r.Next.Hide()
	}
	if e.Err != nil || hotp {
		r.Bar.Hide()
	}
	if e.Err != nil || (hotp && w.hotp[e.ID] == "") {
		r.Copy.Disable()
	}
	if e.Err != nil {
		rename.Disabled = true
	}
	return r
}

// object lays the row out: a time-based token's digits with the seconds
// left beside them; in other rows the passcode or a message takes the
// width the buttons leave, so that a message wraps at that width (in a
// box of its own width it would wrap one letter a line).
func (r *Row) object() fyne.CanvasObject {
	var code fyne.CanvasObject = r.Digits
	if r.Entry.Err == nil && r.Entry.Token.Type == token.TOTP {
		code = container.NewHBox(r.Digits, r.Left)
	}
	codeLine := container.NewBorder(nil, nil, nil, container.NewHBox(r.Copy, r.Next, r.Swipe, r.More), code)
	return container.NewVBox(r.Name, codeLine, r.Bar)
}

// Refresh updates the passcodes and countdowns from the tokens in memory:
// it computes passcodes and does no I/O, and redraws only what changed, so
// it is cheap enough to run every second.
func (w *Window) Refresh() {
	now := w.cfg.Now()
	for _, r := range w.list {
		r.update(now, w.hotp[r.Entry.ID], w.pace())
	}
	if w.Swipe != nil {
		w.Swipe.update(now)
	}
}

// UntilChange is how long after now the window next changes by itself:
// the next second with the focus or a One Swipe code open, else the next
// step of a countdown or the next passcode (SetFocused). The ticker sleeps
// that long, so a window in the background or in the tray wakes only to
// redraw.
func (w *Window) UntilChange(now time.Time) time.Duration {
	start := now.Truncate(time.Second)
	next := start.Add(time.Second)
	if w.pace() == everySecond || w.Swipe != nil {
		return next.Sub(now)
	}
	const longest = 5 * time.Minute // no TOTP row: look again now and then
	for at := next; at.Sub(start) < longest; at = at.Add(time.Second) {
		for _, r := range w.list {
			e := r.Entry
			if e.Err != nil || e.Token.Type != token.TOTP {
				continue
			}
			before, after := e.Token.SecondsLeft(at.Add(-time.Second)), e.Token.SecondsLeft(at)
			period := int(e.Token.Period)
			if after > before || shownSeconds(after, period, w.pace()) != shownSeconds(before, period, w.pace()) ||
				(after <= warnSeconds) != (before <= warnSeconds) {
				return at.Sub(now)
			}
		}
	}
	return start.Add(longest).Sub(now)
}

// Wake receives when the window's pace or rows change (SetFocused,
// Reload), for a ticker sleeping UntilChange to look again.
func (w *Window) Wake() <-chan struct{} { return w.wake }

// SetFocused tells the window whether the app has the focus, and brings
// the countdowns up to date.
//
// Each change on the window costs a redraw of all of it, and a trader's
// window sits beside the programs they work in all day. So only with the
// focus do the seconds left count down every second. Without it (in the
// background, or hidden in the tray, which Fyne does not always tell) they
// move in steps of stepSeconds (30 s, 25 s, … 5 s, each shown until the
// next, so up to 4 s more than is left); the warning colour still comes at
// warnSeconds. A new passcode shows as soon as it starts either way.
func (w *Window) SetFocused(focused bool) {
	w.focused = focused
	w.changed()
}

// changed refreshes the window and wakes the ticker (Wake): the pace or
// the rows changed, so its sleep may be too long.
func (w *Window) changed() {
	w.Refresh()
	select {
	case w.wake <- struct{}{}:
	default: // the ticker has yet to take the last one
	}
}

// pace is how often the countdowns move (SetFocused).
type pace int

const (
	everySecond pace = iota // with the focus
	inSteps                 // without it
)

func (w *Window) pace() pace {
	if w.focused {
		return everySecond
	}
	return inSteps
}

// warnSeconds is when the countdown turns to the warning colour.
const warnSeconds = 5

// stepSeconds is the countdown's step in the background (SetFocused).
const stepSeconds = 5

// shownSeconds is the seconds left, of a period, as the countdown shows
// them at pace p (SetFocused).
func shownSeconds(left, period int, p pace) int {
	if p == everySecond {
		return left
	}
	return min((left+stepSeconds-1)/stepSeconds*stepSeconds, period)
}

func (r *Row) update(now time.Time, hotp string, p pace) {
	e := r.Entry
	var code string
	left, warn, digits := 0, false, false
	switch {
	case e.Err != nil:
		code = T("row.unreadable")
	case e.Token.Type == token.HOTP && hotp == "":
		code = T("row.pressnext")
	case e.Token.Type == token.HOTP:
		code, digits = Group(hotp), true
	default:
		c, err := e.Token.Code(now)
		if err != nil {
			code = Message(err)
			break
		}
		code, digits = Group(c), true
		left = e.Token.SecondsLeft(now)
		warn = left <= warnSeconds
		left = shownSeconds(left, int(e.Token.Period), p)
	}
	codeChanged := code != r.lastCode || warn != r.lastWarning
	leftChanged := left != r.lastLeft
	r.lastCode, r.lastLeft, r.lastWarning = code, left, warn
	if !digits {
		if codeChanged {
			r.Code.Segments = []widget.RichTextSegment{&widget.TextSegment{Text: code, Style: widget.RichTextStyleParagraph}}
			r.Code.Wrapping = fyne.TextWrapWord
			r.Code.Refresh()
		}
		return
	}
	// The digits change twice a minute: lay them out only then. The
	// seconds and the bar change at most every second.
	if codeChanged {
		style := widget.RichTextStyleHeading
		style.TextStyle = fyne.TextStyle{Bold: true, Monospace: true}
		r.Left.Importance = widget.MediumImportance
		if warn {
			style.ColorName = theme.ColorNameWarning
			r.Left.Importance = widget.WarningImportance
		}
		r.Code.Segments = []widget.RichTextSegment{&widget.TextSegment{Text: code, Style: style}}
		r.Code.Wrapping = fyne.TextWrapOff
		r.Code.Refresh()
	}
	if e.Token.Type == token.TOTP && (leftChanged || codeChanged) {
		r.Left.SetText(T("row.seconds", args{"Seconds": left}))
		r.Bar.Set(float64(left)/float64(e.Token.Period), warn)
	}
}

// CopySlot copies the passcode of the token in slot (1 to 6), if any.
func (w *Window) CopySlot(slot int) {
	for _, e := range w.entries {
		if e.Slot == slot {
			w.copyEntry(e)
			return
		}
	}
}

// copyEntry copies the passcode e shows: the Copy button, a click on
// the digits, Ctrl+1 to Ctrl+6 and the tray menu all come here. A
// counter-based token's passcode is the one Next code showed last.
func (w *Window) copyEntry(e token.Entry) {
	var code string
	switch {
	case e.Err != nil:
		return
	case e.Token.Type == token.HOTP:
		if code = w.hotp[e.ID]; code == "" {
			w.notice(T("row.pressnext"))
			return
		}
	default:
		var err error
		if code, err = e.Token.Code(w.cfg.Now()); err != nil {
			w.notice(Message(err))
			return
		}
	}
	clip := w.app.Clipboard()
	clip.SetContent(code)
	after := w.clearAfter()
	w.notice(T("notice.copied", args{"Name": e.Token.Label, "Seconds": int(after / time.Second)}))
	w.cfg.After(after, func() {
		// Only if it still holds that passcode: never wipe what the user
		// copied since.
		if clip.Content() == code {
			clip.SetContent("")
		}
	})
}

// nextCode is a counter-based token's Next code button: the store advances
// the counter before it returns the code (token.Store.NextHOTPCode, as
// `softtoken code` does), so no code is ever shown twice; the window then
// shows the code and copies it.
func (w *Window) nextCode(e token.Entry) {
	code, err := w.cfg.Store.NextHOTPCode(e.ID)
	if err != nil {
		w.Inform(T("next.failed"), Message(err))
		return
	}
	w.hotp[e.ID] = code
	w.Reload()
	if i := slices.IndexFunc(w.entries, func(x token.Entry) bool { return x.ID == e.ID }); i >= 0 {
		w.copyEntry(w.entries[i])
	}
}

func (w *Window) clearAfter() time.Duration {
	if w.cfg.ClipboardClear > 0 {
		return w.cfg.ClipboardClear
	}
	s := w.app.Preferences().IntWithFallback(PrefClipboardSeconds, 30)
	return time.Duration(max(s, 5)) * time.Second
}

func (w *Window) notice(s string) {
	w.Status.SetText(s)
	w.cfg.After(4*time.Second, func() {
		if w.Status.Text == s {
			w.Status.SetText("")
		}
	})
}

func (w *Window) delete(e token.Entry) {
	w.Confirm(T("delete.title"), T("delete.question", args{"Name": entryName(e)}), func(yes bool) {
		if !yes {
			return
		}
		if err := w.cfg.Store.Delete(e.ID); err != nil {
			w.Inform(T("Error"), Message(err))
		}
		w.Reload()
	})
}

func (w *Window) rename(e token.Entry) {
	w.AskName(e.Token.Label, func(name string) {
		name = strings.TrimSpace(name)
		if name == "" || name == e.Token.Label {
			return
		}
		if err := w.cfg.Store.Rename(e.ID, name); err != nil {
			w.Inform(T("Error"), Message(err))
			return
		}
		w.Reload()
	})
}

func (w *Window) askName(current string, answer func(string)) {
	entry := widget.NewEntry()
	entry.SetText(current)
	entry.Validator = validateName
	d := dialog.NewForm(T("rename.title"), T("rename.ok"), T("Cancel"), []*widget.FormItem{widget.NewFormItem(T("rename.name"), entry)},
		func(ok bool) {
			if ok {
				answer(entry.Text)
			}
		}, w.Win)
	d.Resize(fyne.NewSize(420, 0))
	d.Show()
	w.Win.Canvas().Focus(entry)
}

// ShowAdd opens the Add dialog.
func (w *Window) ShowAdd() { w.showAdd(nil) }

// showAdd opens the Add dialog, for a scanned One Swipe code when e is set.
func (w *Window) showAdd(e *oneswipe.Enrolment) {
	if len(w.entries) >= token.MaxTokens {
		w.Inform(T("full.title"), Message(token.ErrFull))
		return
	}
	w.Add = NewAddForm(w.cfg.Begin, w.app.Preferences(), w.cfg.DefaultEnrolURL, w.enrolled, func() { w.addDialog.Hide() })
	if e != nil {
		w.Add.UseOneSwipe(*e)
	}
	w.addDialog = dialog.NewCustomWithoutButtons(T("add.title"), w.Add.Content, w.Win)
	w.showFitted(w.addDialog, w.Add.Content, 460)
	w.Win.Canvas().Focus(w.Add.URL)
}

// showFitted shows d, width wide and as tall as its content needs. A
// dialog lives inside the window: the window grows to make room for it
// (a dialog squeezed into a small window overlaps its buttons and its
// content, which for a QR code makes it unreadable).
func (w *Window) showFitted(d dialog.Dialog, content fyne.CanvasObject, width float32) {
	size := fyne.NewSize(width, content.MinSize().Height+120)
	if cur := w.Win.Canvas().Size(); cur.Width < size.Width+40 || cur.Height < size.Height+40 {
		w.Win.Resize(fyne.NewSize(max(cur.Width, size.Width+40), max(cur.Height, size.Height+40)))
	}
	d.Resize(size)
	d.Show()
}

func (w *Window) enrolled(res enrolclient.Result) {
	w.addDialog.Hide()
	w.Reload()
	if res.ClockWarning() != "" {
		w.Inform(T("clock.title"), clockWarning(res.ClockSkew))
	}
	if !res.Waits.IsZero() {
		w.Inform(T("waits.title"), T("waits.text", args{"Date": res.Waits.Local().Format("2006-01-02 15:04")}))
	}
}

// Group splits a passcode in two halves for reading: "123 456",
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

// entryName is how a row names its token: its label, or for a token that
// cannot be read, its slot.
func entryName(e token.Entry) string {
	if e.Err != nil {
		return T("row.unreadablename", args{"Slot": e.Slot})
	}
	return e.Token.Label
}

// validateName is the Rename dialog's check: token.ValidateLabel decides,
// the window says why in the app's language.
func validateName(s string) error {
	s = strings.TrimSpace(s)
	if token.ValidateLabel(s) == nil {
		return nil
	}
	switch {
	case s == "":
		return errors.New(T("name.empty"))
	case !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl):
		return errors.New(T("name.invalid"))
	}
	return errors.New(T("name.long")) // what else ValidateLabel refuses
}

// clockWarning says how far this PC's clock is from the server's.
func clockWarning(skew time.Duration) string {
	if skew < 0 {
		return T("clock.ahead", args{"Skew": (-skew).Round(time.Second).String()})
	}
	return T("clock.behind", args{"Skew": skew.Round(time.Second).String()})
}
