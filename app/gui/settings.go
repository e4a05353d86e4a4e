package gui

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/softtoken/softtoken/app/policy"
	"github.com/softtoken/softtoken/enrolclient"
)

// Settings is the Settings dialog's form: how long a copied passcode stays
// on the clipboard, starting in the tray, the enrol URL the Add dialog
// starts with, and the language. They are Fyne preferences, never stored
// with secrets. A setting the organisation's policy sets shows its value,
// disabled, with "Set by your organisation" under it, and Save leaves the
// user's own preference as it was.
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
	// eff are the effective settings the form shows.
	eff policy.Settings
}

// NewSettings reads the current settings into a form: the user's
// preferences, or the default enrol URL defaultURL, under the policy pol.
func NewSettings(prefs fyne.Preferences, defaultURL string, pol policy.Policy) *Settings {
	eff := policy.Resolve(pol, prefsUser{prefs}, defaultURL)
	s := &Settings{prefs: prefs, eff: eff}
	s.ClipboardSeconds = widget.NewEntry()
	s.ClipboardSeconds.SetText(strconv.Itoa(eff.ClipboardClearSeconds.Value))
	s.ClipboardSeconds.Validator = func(v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < policy.MinClipboardSeconds || n > policy.MaxClipboardSeconds {
			return errors.New(T("settings.clipboard.invalid"))
		}
		return nil
	}
	s.StartMinimised = widget.NewCheck(T("settings.tray"), nil)
	s.StartMinimised.SetChecked(prefs.Bool(PrefStartMinimised))
	s.languages = []string{"", English, Italian}
	s.Language = widget.NewSelect([]string{T("settings.language.system"), T("settings.language.en"), T("settings.language.it")}, nil)
	s.Language.SetSelectedIndex(max(0, slices.Index(s.languages, eff.Language.Value)))
	s.hotkeyForm(prefs)
	s.EnrolURL = widget.NewEntry()
	s.EnrolURL.SetText(eff.EnrolURL.Value)
	s.EnrolURL.Validator = func(v string) error {
		if strings.TrimSpace(v) == "" {
			return nil
		}
		if _, _, err := enrolclient.URLs(v); err != nil {
			return errors.New(enrolMessage(err, v))
		}
		return nil
	}
	for _, f := range s.fixed() {
		if f.fixed {
			f.widget.Disable()
		}
	}
	return s
}

// fixedField is a field of the form and whether the policy sets it.
type fixedField struct {
	widget fyne.Disableable
	fixed  bool
}

// fixed are the fields a policy may set.
func (s *Settings) fixed() []fixedField {
	return []fixedField{
		{s.ClipboardSeconds, s.eff.ClipboardClearSeconds.Fixed()},
		{s.EnrolURL, s.eff.EnrolURL.Fixed()},
		{s.Language, s.eff.Language.Fixed()},
		{s.Hotkeys, s.eff.Hotkeys.Fixed()},
		{s.Enter, s.eff.Hotkeys.Fixed()},
	}
}

// Items are the form's rows; under a field the policy sets, the hint
// says so.
func (s *Settings) Items() []*widget.FormItem {
	hint := func(fixed bool, normal string) string {
		if fixed {
			return T("policy.fixed")
		}
		return normal
	}
	return []*widget.FormItem{
		{Text: T("settings.clipboard"), Widget: s.ClipboardSeconds, HintText: hint(s.eff.ClipboardClearSeconds.Fixed(), "")},
		{Text: "", Widget: s.StartMinimised},
		{Text: T("settings.enrolurl"), Widget: s.EnrolURL, HintText: hint(s.eff.EnrolURL.Fixed(), T("settings.enrolurl.hint"))},
		{Text: T("settings.language"), Widget: s.Language, HintText: hint(s.eff.Language.Fixed(), "")},
		{Text: T("settings.hotkeys"), Widget: s.Hotkeys, HintText: hint(s.eff.Hotkeys.Fixed(), T("settings.hotkeys.hint"))},
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
	s.Hotkeys.SetSelectedIndex(hotkeySetIndex(s.eff.Hotkeys.Value))
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

// Save stores the settings the policy leaves to the user; the form's
// validators have passed.
func (s *Settings) Save() {
	if !s.eff.ClipboardClearSeconds.Fixed() {
		n, _ := strconv.Atoi(strings.TrimSpace(s.ClipboardSeconds.Text))
		s.prefs.SetInt(PrefClipboardSeconds, n)
	}
	s.prefs.SetBool(PrefStartMinimised, s.StartMinimised.Checked)
	if !s.eff.EnrolURL.Fixed() {
		if u, _, err := enrolclient.URLs(s.EnrolURL.Text); err == nil {
			s.prefs.SetString(prefEnrolURL, u)
		} else {
			s.prefs.RemoveValue(prefEnrolURL)
		}
	}
	if !s.eff.Language.Fixed() {
		s.prefs.SetString(PrefLanguage, s.languages[max(0, s.Language.SelectedIndex())])
	}
	if !s.eff.Hotkeys.Fixed() {
		s.prefs.SetString(PrefHotkeys, hotkeySets[max(0, s.Hotkeys.SelectedIndex())].name)
		s.prefs.SetBool(PrefHotkeyEnter, s.Enter.Checked)
	}
}

// SettingsForm is the Settings dialog's form with the window's state:
// the current settings, and why the hotkeys do not work, if they do not.
func (w *Window) SettingsForm() *Settings {
	s := NewSettings(w.app.Preferences(), w.cfg.DefaultEnrolURL, w.cfg.Policy)
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
