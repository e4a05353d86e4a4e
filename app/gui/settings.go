package gui

import (
	"errors"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/softtoken/softtoken/enrolclient"
)

// Settings is the Settings dialog's form: how long a copied passcode stays
// on the clipboard, starting in the tray, and the enrol URL the Add dialog
// starts with. They are Fyne preferences, never stored with secrets.
type Settings struct {
	ClipboardSeconds *widget.Entry
	StartMinimised   *widget.Check
	EnrolURL         *widget.Entry
	prefs            fyne.Preferences
}

// NewSettings reads the current settings into a form.
func NewSettings(prefs fyne.Preferences, defaultURL string) *Settings {
	s := &Settings{prefs: prefs}
	s.ClipboardSeconds = widget.NewEntry()
	s.ClipboardSeconds.SetText(strconv.Itoa(prefs.IntWithFallback(PrefClipboardSeconds, 30)))
	s.ClipboardSeconds.Validator = func(v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 5 || n > 600 {
			return errors.New("a number of seconds from 5 to 600")
		}
		return nil
	}
	s.StartMinimised = widget.NewCheck("Start in the tray", nil)
	s.StartMinimised.SetChecked(prefs.Bool(PrefStartMinimised))
	s.EnrolURL = widget.NewEntry()
	s.EnrolURL.SetText(prefs.StringWithFallback(prefEnrolURL, defaultURL))
	s.EnrolURL.Validator = func(v string) error {
		if strings.TrimSpace(v) == "" {
			return nil
		}
		_, _, err := enrolclient.URLs(v)
		return err
	}
	return s
}

// Items are the form's rows.
func (s *Settings) Items() []*widget.FormItem {
	return []*widget.FormItem{
		{Text: "Clear the clipboard after (s)", Widget: s.ClipboardSeconds},
		{Text: "", Widget: s.StartMinimised},
		{Text: "Enrol URL for Add", Widget: s.EnrolURL, HintText: "the server of your welcome mail"},
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
}

// ShowSettings opens the Settings dialog.
func (w *Window) ShowSettings() {
	s := NewSettings(w.app.Preferences(), w.cfg.DefaultEnrolURL)
	d := dialog.NewForm("Settings", "Save", "Cancel", s.Items(), func(ok bool) {
		if ok {
			s.Save()
		}
	}, w.Win)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}
