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
	// Hotkeys chooses the hotkeys that type the passcodes of tokens 1 to
	// 6, or none; Enter presses Enter after the code; HotkeyNote says why
	// hotkeys do not work here, when they do not.
	Hotkeys    *widget.Select
	Enter      *widget.Check
	HotkeyNote *widget.Label
	prefs      fyne.Preferences
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
	s.hotkeyForm(prefs)
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
		{Text: T("settings.hotkeys"), Widget: s.Hotkeys, HintText: T("settings.hotkeys.hint")},
		{Text: "", Widget: s.Enter},
		{Text: "", Widget: s.HotkeyNote},
	}
}

// hotkeyForm reads the hotkey settings into the form.
func (s *Settings) hotkeyForm(prefs fyne.Preferences) {
	labels := make([]string, len(hotkeySets))
	for i, set := range hotkeySets {
		labels[i] = T(set.label)
	}
	s.Hotkeys = widget.NewSelect(labels, nil)
	s.Hotkeys.SetSelectedIndex(hotkeySetIndex(prefs.StringWithFallback(PrefHotkeys, defaultHotkeys)))
	s.Enter = widget.NewCheck(T("settings.hotkeys.enter"), nil)
	s.Enter.SetChecked(prefs.Bool(PrefHotkeyEnter))
	s.HotkeyNote = widget.NewLabel("")
	s.HotkeyNote.Wrapping = fyne.TextWrapWord
	s.HotkeyNote.Hide()
}

// noHotkeys says in Settings why the hotkeys do not work here (err), and
// what works instead.
func (s *Settings) noHotkeys(err error) {
	if err == nil {
		return
	}
	s.HotkeyNote.SetText(T("settings.hotkeys.none", args{"Reason": Message(err)}))
	s.HotkeyNote.Show()
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
	s.prefs.SetString(PrefHotkeys, hotkeySets[max(0, s.Hotkeys.SelectedIndex())].name)
	s.prefs.SetBool(PrefHotkeyEnter, s.Enter.Checked)
}

// SettingsForm is the Settings dialog's form with the window's state:
// the current settings, and why the hotkeys do not work, if they do not.
func (w *Window) SettingsForm() *Settings {
	s := NewSettings(w.app.Preferences(), w.cfg.DefaultEnrolURL)
	s.noHotkeys(w.hotkeyError())
	return s
}

// ShowSettings opens the Settings dialog.
func (w *Window) ShowSettings() {
	prefs := w.app.Preferences()
	s := w.SettingsForm()
	d := dialog.NewForm(T("window.settings"), T("Save"), T("Cancel"), s.Items(), func(ok bool) {
		if !ok {
			return
		}
		before, keys := prefs.String(PrefLanguage), prefs.String(PrefHotkeys)
		s.Save()
		if prefs.String(PrefLanguage) != before {
			w.Relabel()
		}
		if prefs.String(PrefHotkeys) != keys {
			w.StartHotkeys()
		}
	}, w.Win)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}
