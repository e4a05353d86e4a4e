package gui

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/softtoken/softtoken/enrolclient"
)

// Settings is the Settings dialog's form: how long a copied passcode stays
// on the clipboard, starting in the tray, the enrol URL the Add dialog
// starts with, and the language. They are Fyne preferences, never stored
// with secrets.
type Settings struct {
	ClipboardSeconds *widget.Entry
	StartMinimised   *widget.Check
	EnrolURL         *widget.Entry
	// Language offers the system's language, English and Italian, each
	// named in its own language.
	Language *widget.Select
	prefs    fyne.Preferences
	// languages are the values of PrefLanguage, in Language's order.
	languages []string
}

// NewSettings reads the current settings into a form.
func NewSettings(prefs fyne.Preferences, defaultURL string) *Settings {
	s := &Settings{prefs: prefs}
	s.ClipboardSeconds = widget.NewEntry()
	s.ClipboardSeconds.SetText(strconv.Itoa(prefs.IntWithFallback(PrefClipboardSeconds, defaultClipboardSeconds)))
	s.ClipboardSeconds.Validator = func(v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 5 || n > 600 {
			return errors.New(T("settings.clipboard.invalid"))
		}
		return nil
	}
	s.StartMinimised = widget.NewCheck(T("settings.tray"), nil)
	s.StartMinimised.SetChecked(prefs.Bool(PrefStartMinimised))
	s.languages = []string{"", English, Italian}
	s.Language = widget.NewSelect([]string{T("settings.language.system"), T("settings.language.en"), T("settings.language.it")}, nil)
	s.Language.SetSelectedIndex(max(0, slices.Index(s.languages, prefs.String(PrefLanguage))))
	s.EnrolURL = widget.NewEntry()
	s.EnrolURL.SetText(prefs.StringWithFallback(prefEnrolURL, defaultURL))
	s.EnrolURL.Validator = func(v string) error {
		if strings.TrimSpace(v) == "" {
			return nil
		}
		if _, _, err := enrolclient.URLs(v); err != nil {
			return errors.New(enrolMessage(err, v))
		}
		return nil
	}
	return s
}

// Items are the form's rows.
func (s *Settings) Items() []*widget.FormItem {
	return []*widget.FormItem{
		{Text: T("settings.clipboard"), Widget: s.ClipboardSeconds},
		{Text: "", Widget: s.StartMinimised},
		{Text: T("settings.enrolurl"), Widget: s.EnrolURL, HintText: T("settings.enrolurl.hint")},
		{Text: T("settings.language"), Widget: s.Language},
	}
}

// Save stores the settings; the form's validators have passed.
func (s *Settings) Save() {
	n, _ := strconv.Atoi(strings.TrimSpace(s.ClipboardSeconds.Text))
	s.prefs.SetInt(PrefClipboardSeconds, n)
	s.prefs.SetBool(PrefStartMinimised, s.StartMinimised.Checked)
	if u, _, err := enrolclient.URLs(s.EnrolURL.Text); err == nil {
		s.prefs.SetString(prefEnrolURL, u)
	} else {
		s.prefs.RemoveValue(prefEnrolURL)
	}
	s.prefs.SetString(PrefLanguage, s.languages[max(0, s.Language.SelectedIndex())])
}

// ShowSettings opens the Settings dialog.
func (w *Window) ShowSettings() {
	prefs := w.app.Preferences()
	s := NewSettings(prefs, w.cfg.DefaultEnrolURL)
	d := dialog.NewForm(T("window.settings"), T("Save"), T("Cancel"), s.Items(), func(ok bool) {
		if !ok {
			return
		}
		before := prefs.String(PrefLanguage)
		s.Save()
		if prefs.String(PrefLanguage) != before {
			w.Relabel()
		}
	}, w.Win)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}
