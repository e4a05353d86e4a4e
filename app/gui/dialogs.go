package gui

import (
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/softtoken/softtoken/enrolclient"
	"github.com/softtoken/softtoken/token"
	"github.com/softtoken/softtoken/token/oneswipe"
)

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
	w.Add = NewAddForm(w.cfg.Begin, w.app.Preferences(), w.Effective().EnrolURL, w.enrolled, func() { w.addDialog.Hide() })
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
