package gui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/softtoken/softtoken/token"
)

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
	lastUpTo    bool
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

func (r *Row) update(now time.Time, hotp string, p pace) {
	e := r.Entry
	var code string
	left, warn, upTo, digits := 0, false, false, false
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
		warn, upTo = warned(left, p), atMost(left, p)
		left = shownSeconds(left, int(e.Token.Period), p)
	}
	codeChanged := code != r.lastCode || warn != r.lastWarning
	leftChanged := left != r.lastLeft || upTo != r.lastUpTo
	r.lastCode, r.lastLeft, r.lastWarning, r.lastUpTo = code, left, warn, upTo
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
		seconds := "row.seconds"
		if upTo {
			seconds = "row.secondsatmost"
		}
		r.Left.SetText(T(seconds, args{"Seconds": left}))
		r.Bar.Set(float64(left)/float64(e.Token.Period), warn)
	}
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

// Group splits a passcode in two halves for reading: "123 456",
// "1234 5678".
func Group(code string) string {
	half := len(code) / 2
	return strings.TrimSpace(code[:half] + " " + code[half:])
}

// entryName is how a row names its token: its label, or for a token that
// cannot be read, its slot.
func entryName(e token.Entry) string {
	if e.Err != nil {
		return T("row.unreadablename", args{"Slot": e.Slot})
	}
	return e.Token.Label
}
